import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readJsonFile } from './json-file.ts';
import { errorOf } from '@tangent/base/testing';

const metrics = z.object({ eval: z.object({ accuracy: z.number(), f1: z.number() }), runs: z.array(z.object({ width: z.number() })) });

function file(content: string): string {
  const p = join(mkdtempSync(join(tmpdir(), 'json-file-')), 'metrics.json');
  writeFileSync(p, content);
  return p;
}

describe('readJsonFile', () => {
  const good = { eval: { accuracy: 0.8, f1: 0.7 }, runs: [{ width: 16 }] };

  it('reads and validates a good file', () => {
    expect(readJsonFile(file(JSON.stringify(good)), metrics)).toEqual(good);
  });

  it('J1: missing file, with the hint', () => {
    expect(errorOf(() => readJsonFile('/nonexistent/metrics.json', metrics, 'run `tangent ntk` first'))).toBe(
      '/nonexistent/metrics.json: file not found; run `tangent ntk` first',
    );
  });

  it('J2: truncated JSON names the file and the fix', () => {
    const text = JSON.stringify(good);
    const p = file(text.slice(0, text.length - 9));
    expect(errorOf(() => readJsonFile(p, metrics))).toMatch(
      /metrics\.json: not valid JSON: .* \(truncated or corrupt\); delete it and rerun the stage that writes it$/,
    );
  });

  it('J3: empty file', () => {
    expect(errorOf(() => readJsonFile(file(''), metrics))).toMatch(
      /metrics\.json: empty file \(truncated or corrupt\); delete it and rerun/,
    );
  });

  it('J4: shape mismatch names the field path', () => {
    const p = file(JSON.stringify({ ...good, runs: [{ width: 16 }, { width: 'wide' }] }));
    expect(errorOf(() => readJsonFile(p, metrics, 'run `tangent mlp` first'))).toMatch(
      /metrics\.json: field 'runs\.1\.width': .*; rerun the stage that writes it; run `tangent mlp` first$/,
    );
  });

  it('J5: a directory where the file should be', () => {
    const dir = mkdtempSync(join(tmpdir(), 'json-dir-'));
    expect(errorOf(() => readJsonFile(dir, metrics))).toMatch(/json-dir-\w+: not a regular file$/);
  });
});
