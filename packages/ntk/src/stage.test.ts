import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Field, Int32, Int8, Utf8 } from 'apache-arrow';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildTable, defineSchema, embeddingType, fixedSizeListVector, readArtifact, writeArtifact } from '@tangent/arrow-io';
import { rng } from '@tangent/linalg';
import { register } from './cli.ts';
import { ntkConfigSchema } from './config.ts';
import { cvSchema, predictionsSchema, runNtk } from './stage.ts';
import { reluNetKernel } from '@tangent/kernels';
import { readSplit } from './split-artifact.ts';

const d = 6;
const schema = defineSchema('pca', [
  new Field('id', new Int32(), false),
  new Field('split', new Utf8(), false),
  new Field('target', new Int8(), true),
  new Field('embedding', embeddingType(d), false),
]);

/** A PCA-like input: unit-norm rows, a nonlinear labelling rule, shuffled ids. */
function writeInputs(dir: string, nTrain: number, nTest: number) {
  const r = rng(17);
  const make = (n: number, split: string, idBase: number) => {
    const X = new Float32Array(n * d);
    const t: Array<number | null> = [];
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) ((X[i * d + k] = r.normal()), (s += X[i * d + k] ** 2));
      for (let k = 0; k < d; k++) X[i * d + k] /= Math.sqrt(s);
      t.push(split === 'test' ? null : X[i * d] * X[i * d + 1] + 0.3 * X[i * d + 2] + 0.1 * r.normal() > 0 ? 1 : 0);
    }
    const ids = Int32Array.from(r.permutation(n), (p) => idBase + 3 * p);
    const meta = { stage: 'pca', stageVersion: '1', configHash: 'x', config: {}, inputs: {}, dtype: 'float32', seed: null };
    writeArtifact(
      join(dir, `${split}.arrow`),
      schema,
      buildTable(schema, { id: ids, split: new Array(n).fill(split), target: t, embedding: fixedSizeListVector(X, d) }),
      meta,
    );
    return { ids, X, t };
  };
  return { train: make(nTrain, 'train', 1), test: make(nTest, 'test', 100000) };
}

describe('runNtk (stage)', () => {
  const root = mkdtempSync(join(tmpdir(), 'ntk-stage-'));
  const inputDir = join(root, 'pca', 'syn');
  const data = writeInputs((mkdirSync(inputDir, { recursive: true }), inputDir), 240, 70);
  const where = {
    inputDir,
    outputDir: join(root, 'ntk', 'x'),
    splitPath: join(root, 'ntk', 'split.arrow'),
    submissionPath: join(root, 'sub', 'ntk-krr.csv'),
  };
  const cfg = ntkConfigSchema.parse({ lambdaGrid: { min: 1e-4, max: 1, count: 6 }, folds: 4, seed: 3 });

  it('writes split, CV table, predictions, metrics and submission that agree with an independent refit', async () => {
    const res = await runNtk(cfg, where);
    const split = readSplit(where.splitPath);
    expect(split.ids).toEqual(data.train.ids);
    const nEval = split.role.filter((r) => r === 'eval').length;
    expect(nEval).toBeGreaterThanOrEqual(46);
    expect(nEval).toBeLessThanOrEqual(50);

    const { table: cv, meta } = readArtifact(where.outputDir + '/cv.arrow', cvSchema(4));
    expect(cv.numRows).toBe(6);
    expect(meta.seed).toBe(3);
    expect(meta.dtype).toBe('float64');
    expect((meta.config as { folds: number }).folds).toBe(4);
    expect(Array.from(cv.getChild('selected')!.toArray() as Int8Array).reduce((a, b) => a + b, 0)).toBe(1);
    for (let c = 0; c < 6; c++) expect(cv.getChild('loo_accuracy')!.get(c)).toBeGreaterThan(0.4);

    const m = JSON.parse(readFileSync(where.outputDir + '/metrics.json', 'utf8'));
    expect(m.cv.solver).toBe('cholesky'); // auto: 6 λ is below the eigh break-even
    expect(m.eval.rows).toBe(nEval);

    // Independent eval prediction: scalar kernel + Gaussian elimination at the chosen λ.
    const fit: number[] = [],
      ev: number[] = [];
    data.train.ids.forEach((id, i) => (split.role[split.index.get(id)!] === 'eval' ? ev : fit).push(i));
    const x = (i: number) => data.train.X.subarray(i * d, (i + 1) * d);
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, k) => s + v * b[k], 0);
    const kern = (i: number, j: number) => reluNetKernel(dot(x(i), x(i)), dot(x(j), x(j)), dot(x(i), x(j)), d, { depth: 2 }).ntk;
    const n = fit.length;
    const A = fit.map((i, a) => [...fit.map((j, b) => kern(i, j) + (a === b ? m.chosenLambda : 0)), 2 * data.train.t[i]! - 1]);
    for (let c = 0; c < n; c++)
      for (let r = c + 1; r < n; r++) {
        const f = A[r][c] / A[c][c];
        for (let k = c; k <= n; k++) A[r][k] -= f * A[c][k];
      }
    const alpha = new Array(n).fill(0);
    for (let r = n - 1; r >= 0; r--) alpha[r] = (A[r][n] - alpha.reduce((s, v, k) => (k > r ? s + A[r][k] * v : s), 0)) / A[r][r];
    const { table: pred } = readArtifact(where.outputDir + '/predictions.arrow', predictionsSchema);
    let ok = 0;
    for (let e = 0; e < ev.length; e++) {
      const ref = fit.reduce((s, j, a) => s + kern(ev[e], j) * alpha[a], 0);
      expect(pred.getChild('id')!.get(e)).toBe(data.train.ids[ev[e]]);
      expect(pred.getChild('score')!.get(e)).toBeCloseTo(ref, 6);
      if ((ref >= 0 ? 1 : 0) === data.train.t[ev[e]]) ok++;
    }
    expect(m.eval.accuracy).toBeCloseTo(ok / ev.length, 12);
    expect(m.eval.accuracy).toBeGreaterThan(0.6);

    const csv = readFileSync(where.submissionPath, 'utf8').trim().split('\n');
    expect(csv[0]).toBe('id,target');
    expect(csv.length).toBe(71);
    expect(csv.slice(1).map((l) => Number(l.split(',')[0]))).toEqual(Array.from(data.test.ids));
    expect(pred.numRows).toBe(ev.length + 70);
    expect(res.outputs.submission).toBe(where.submissionPath);
  });

  it('the split is a function of (id, target, seed): a second run reproduces it', async () => {
    const before = readSplit(where.splitPath);
    await runNtk({ ...cfg, kernel: 'nngp', depth: 3, sigmaB: 0.2, solver: 'eigh' }, where);
    const after = readSplit(where.splitPath);
    expect(after.fold).toEqual(before.fold);
    const m = JSON.parse(readFileSync(where.outputDir + '/metrics.json', 'utf8'));
    expect(m.cv.solver).toBe('eigh');
    expect(m.loo.computed).toBe(true); // LOO has its own eigendecomposition, whatever the CV solver
    await runNtk({ ...cfg, loo: false }, where);
    expect(JSON.parse(readFileSync(where.outputDir + '/metrics.json', 'utf8')).loo.accuracy).toBeNull();
  });

  it('the CLI refuses a run that would not fit in memory, naming the flag', async () => {
    const program = new Command().exitOverride();
    register(program);
    const cfgPath = join(root, 'ntk.yaml');
    writeFileSync(cfgPath, 'input: nowhere\n');
    const prev = process.env.TANGENT_ARTIFACTS_DIR;
    process.env.TANGENT_ARTIFACTS_DIR = root;
    try {
      await expect(
        program.parseAsync(['node', 'tangent', 'ntk', '--config', cfgPath, '--input', 'syn', '--max-memory-gb', '0.0001']),
      ).rejects.toThrow(
        /ntk stage on 240 train \+ 70 test rows needs \d+\.\d MB of float64 kernel memory, more than the --max-memory-gb \/ maxMemoryGb limit of 0\.0001 GB; raise --max-memory-gb \(maxMemoryGb in configs\/pipeline\/ntk\.yaml\)/,
      );
      await expect(program.parseAsync(['node', 'tangent', 'ntk', '--config', cfgPath])).rejects.toThrow(
        /pca\/nowhere\/train\.arrow: file not found.*run `tangent pca` first/,
      );
    } finally {
      if (prev === undefined) delete process.env.TANGENT_ARTIFACTS_DIR;
      else process.env.TANGENT_ARTIFACTS_DIR = prev;
    }
  });
});
