import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeArtifact } from '@tangent/arrow-io';
import { stratifiedSplit } from '@tangent/kernels';
import { rng } from '@tangent/linalg';
import { readSplit, splitSchema, splitTable } from './split.ts';

const r = rng(4);
const target = Int8Array.from({ length: 1003 }, () => (r.uniform() < 0.43 ? 1 : 0));

describe('split artifact', () => {
  it('round-trips through split.arrow', () => {
    const s = stratifiedSplit(target, { evalFraction: 0.2, folds: 5, seed: 7 });
    const ids = Int32Array.from({ length: target.length }, (_, i) => 10 * i + 3);
    const path = join(mkdtempSync(join(tmpdir(), 'ntk-split-')), 'split.arrow');
    writeArtifact(path, splitSchema, splitTable(ids, s), {
      stage: 'ntk',
      stageVersion: '1',
      configHash: 'x',
      config: {},
      inputs: {},
      dtype: 'int8',
      seed: 7,
    });
    const back = readSplit(path);
    expect(back.ids).toEqual(ids);
    expect(back.fold).toEqual(s.fold);
    expect(back.role[back.index.get(13)!]).toBe(s.isEval[1] ? 'eval' : 'fit');
  });
});
