import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readArtifact } from '@tangent/arrow-io';
import { krrPredictionsSchema, krrTargets, krrValidationSchema, runLargeScaleKrr } from './large-scale.ts';

const out = mkdtempSync(join(tmpdir(), 'krr-'));
const prev = process.env.TANGENT_ARTIFACTS_DIR;
process.env.TANGENT_ARTIFACTS_DIR = out;
afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  if (prev === undefined) delete process.env.TANGENT_ARTIFACTS_DIR;
  else process.env.TANGENT_ARTIFACTS_DIR = prev;
});

describe('tangent krr (runLargeScaleKrr)', () => {
  it('fits Fashion-MNIST rows with Falkon, picks λ on validation and writes one group of outputs', async () => {
    const r = await runLargeScaleKrr({
      name: 'tiny',
      data: { kind: 'fashion_mnist', trainSubset: 600, testSubset: 200 },
      solver: 'falkon',
      centres: [150],
      lambdas: [0.01, 1],
      validationFraction: 0.2,
    });
    expect(r.metrics.solver).toBe('falkon');
    expect(r.metrics.reason).toMatch(/falkon requested/);
    expect(r.metrics.testAccuracy).toBeGreaterThan(0.6); // 10 classes, 600 rows: far above chance
    expect(r.result.validation).toHaveLength(2);
    const p = readArtifact(r.outputs.predictions, krrPredictionsSchema);
    expect(p.table.numRows).toBe(200);
    expect(readArtifact(r.outputs.validation, krrValidationSchema).table.numRows).toBe(2);
    const m = JSON.parse(readFileSync(r.outputs.metrics, 'utf8'));
    expect(m.peak_rss_gb).toBeGreaterThan(0);
    expect(m.provenance.stage).toBe('krr');
    expect(m.seconds.total).toBeGreaterThan(0);
  });

  it('refuses a forced exact solve over the memory budget before writing anything, naming Falkon', async () => {
    const dir = join(out, 'krr', 'x');
    await expect(
      runLargeScaleKrr({
        name: 'x',
        data: { kind: 'fashion_mnist', trainSubset: 20000, testSubset: 10 },
        solver: 'exact',
        centres: [500],
        lambdas: [0.1],
        maxMemoryGb: 2,
      }),
    ).rejects.toThrow(/use solver: falkon/);
    expect(existsSync(dir)).toBe(false);
  });

  it('codes two classes as ±1 (one output) and K ≥ 3 as one-hot minus 1/K', () => {
    expect(Array.from(krrTargets(Int32Array.from([0, 1]), 2).data)).toEqual([-1, 1]);
    const Y = krrTargets(Int32Array.from([2]), 4);
    expect(Array.from(Y.data)).toEqual([-0.25, -0.25, 0.75, -0.25]);
  });
});
