import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTable, fixedSizeListVector, readArtifact } from '@tangent/arrow-io';
import { embeddingSchema, runStage } from '@tangent/contracts';
import { publishToyEmbeddings } from '@tangent/contracts/testing';
import { krrPredictionsSchema, krrTargets, krrValidationSchema, loadPcaKrr, runLargeScaleKrr } from './large-scale.ts';
import { ntkStage } from './stage.ts';

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

  it('reads its pca input by key, identity-checked: a stale pca is refused exactly as the ntk stage refuses it', async () => {
    const manifest = { grid: { embedders: ['toy'], d: [4] }, ntk: { folds: 2, lambdaGrid: { min: 0.01, max: 1, count: 3 } } };
    await publishToyEmbeddings(manifest, { stage: 'pca', key: 'toy-d4', dim: 4, unitNorm: true, nTrain: 60, nTest: 10 });
    const run = { name: 'tweets-toy', data: { kind: 'pca', input: 'toy-d4', evalFraction: 0.25 }, solver: 'exact', lambdas: [0.1] };
    const r = await runLargeScaleKrr(run, { manifest });
    expect(r.metrics.n + r.metrics.nTest).toBe(60);
    const inputs = Object.keys(JSON.parse(readFileSync(r.outputs.metrics, 'utf8')).provenance.inputs);
    expect(inputs.some((k) => k.endsWith(join('pca', 'toy-d4', 'train.arrow')))).toBe(true);
    // the manifest now asks for another pca (transductive), and the pca stage has not rerun
    const changed = { ...manifest, pca: { transductive: true } };
    const stale = /pca\/toy-d4\/train\.arrow: stale: written for another configuration .*; rerun its stage: npx tangent pca --key toy-d4/;
    await expect(runLargeScaleKrr({ ...run, name: 'tweets-stale' }, { manifest: changed })).rejects.toThrow(stale);
    await expect(runStage(ntkStage, { manifest: changed })).rejects.toThrow(stale);
    expect(existsSync(join(out, 'krr', 'tweets-stale'))).toBe(false);
    // an input the manifest does not make is one line naming the field
    await expect(runLargeScaleKrr({ ...run, data: { ...run.data, input: 'toy-d9' } }, { manifest })).rejects.toThrow(
      /data\.input 'toy-d9' is not a pca instance of the manifest \(its inputs: toy-d4\)/,
    );
  });

  it('codes two classes as ±1 (one output) and K ≥ 3 as one-hot minus 1/K', () => {
    expect(Array.from(krrTargets(Int32Array.from([0, 1]), 2).data)).toEqual([-1, 1]);
    const Y = krrTargets(Int32Array.from([2]), 4);
    expect(Array.from(Y.data)).toEqual([-0.25, -0.25, 0.75, -0.25]);
  });
});

describe('a pca input of another dataset (loadPcaKrr)', () => {
  it('takes its classes from the provenance and stratifies the test rows by class; a target outside them is one line', () => {
    const n = 60;
    const table = buildTable(embeddingSchema(2), {
      id: Int32Array.from({ length: n }, (_, i) => i),
      split: new Array(n).fill('train'),
      target: Array.from({ length: n }, (_, i) => i % 3),
      embedding: fixedSizeListVector(
        Float32Array.from({ length: 2 * n }, (_, i) => Math.cos(i)),
        2,
      ),
    });
    const cfg = { kind: 'pca', input: 'x.raw', evalFraction: 0.2, trainSubset: null, testSubset: null, preprocess: 'none' } as const;
    const data = loadPcaKrr(cfg as never, 0, { table, path: 'x/train.arrow', meta: { extra: { classes: ['a', 'b', 'c'] } } });
    expect(data.classes).toBe(3);
    expect(data.xTest.rows).toBe(12);
    expect([0, 1, 2].map((c) => data.labelsTest.filter((y) => y === c).length)).toEqual([4, 4, 4]);
    expect(() => loadPcaKrr(cfg as never, 0, { table, path: 'x/train.arrow' })).toThrow(
      /x\/train\.arrow: train row 2 has target 2; expected a class index 0\.\.1/,
    );
  });
});
