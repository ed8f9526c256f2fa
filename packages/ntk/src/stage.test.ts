import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTable, fixedSizeListVector, readArtifact, readFixedSizeList } from '@tangent/arrow-io';
import {
  applySets,
  cvSchema,
  embeddingSchema,
  findInstance,
  krrFile,
  pipelineInstances,
  predictionsSchema,
  publishOutputs,
  readSplit,
  resolveManifest,
  runStage,
  cvWithMacroF1Schema,
  multiclassPredictionsSchema,
  type OutputFile,
} from '@tangent/contracts';
import { reluNetKernel } from '@tangent/kernels';
import { hasEigh, rng, setBackend } from '@tangent/linalg';

import { ntkStage } from './stage.ts';

const d = 6;
const KEY = `syn-d${d}`;
const BASE_NTK = { lambdaGrid: { min: 1e-4, max: 1, count: 6 }, folds: 4, seed: 3 };
/** The manifest object of these tests: one input (syn, d = 6) and the given ntk section. */
const manifest = (ntk: Record<string, unknown> = BASE_NTK) => ({ grid: { embedders: ['syn'], d: [d] }, ntk });

let dir = '';
const prev = process.env.TANGENT_ARTIFACTS_DIR;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ntk-stage-'));
  process.env.TANGENT_ARTIFACTS_DIR = dir;
});
afterEach(() => {
  if (prev === undefined) delete process.env.TANGENT_ARTIFACTS_DIR;
  else process.env.TANGENT_ARTIFACTS_DIR = prev;
});

const out = (file: string) => join(dir, 'ntk', KEY, file);

/** Publish pca train/test files as the manifest's pca instance KEY. */
/** What `compare: [nngp]` publishes besides a submission (sorted): each kernel's cv, metrics and predictions, and the split. */
const COMPARE_NNGP_FILES = [
  'cv-nngp.arrow',
  'cv.arrow',
  'metrics-nngp.json',
  'metrics.json',
  'predictions-nngp.arrow',
  'predictions.arrow',
  'split.arrow',
];

async function publishPca(files: OutputFile[]): Promise<void> {
  const m = resolveManifest(manifest());
  const pca = findInstance(pipelineInstances(m), 'pca', KEY)!;
  await publishOutputs({ name: 'pca', version: '1', outputs: ['train.arrow', 'test.arrow'] }, m, pca, { files });
}

/**
 * A PCA-like input: unit-norm rows, a nonlinear labelling rule, shuffled ids, published as the
 * pca instance of the manifest (its identity does not depend on the ntk section).
 */
async function writeInputs(nTrain: number, nTest: number) {
  const r = rng(17);
  const schema = embeddingSchema(d);
  const make = (n: number, split: 'train' | 'test', idBase: number) => {
    const X = new Float32Array(n * d);
    const t: Array<number | null> = [];
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) ((X[i * d + k] = r.normal()), (s += X[i * d + k] ** 2));
      for (let k = 0; k < d; k++) X[i * d + k] /= Math.sqrt(s);
      t.push(split === 'test' ? null : X[i * d] * X[i * d + 1] + 0.3 * X[i * d + 2] + 0.1 * r.normal() > 0 ? 1 : 0);
    }
    const ids = Int32Array.from(r.permutation(n), (p) => idBase + 3 * p);
    const table = buildTable(schema, { id: ids, split: new Array(n).fill(split), target: t, embedding: fixedSizeListVector(X, d) });
    return { ids, X, t, file: { name: `${split}.arrow`, schema, table, dtype: 'float32', seed: null } };
  };
  const data = { train: make(nTrain, 'train', 1), test: make(nTest, 'test', 100000) };
  await publishPca([data.train.file, data.test.file]);
  return data;
}

describe('ntk stage (runStage)', () => {
  it('writes split, CV table, predictions, metrics and submission that agree with an independent refit', async () => {
    const data = await writeInputs(240, 70);
    const [res] = await runStage(ntkStage, { manifest: manifest(), key: KEY });
    expect(res.outDir).toBe(join(dir, 'ntk', KEY));
    expect(readdirSync(res.outDir).sort()).toEqual(['cv.arrow', 'metrics.json', 'predictions.arrow', 'split.arrow', 'submission.csv']);
    const split = readSplit(out('split.arrow'));
    expect(split.ids).toEqual(data.train.ids);
    const nEval = split.role.filter((r) => r === 'eval').length;
    expect(nEval).toBeGreaterThanOrEqual(46);
    expect(nEval).toBeLessThanOrEqual(50);

    const { table: cv, meta } = readArtifact(out('cv.arrow'), cvSchema(4));
    expect(cv.numRows).toBe(6);
    expect(meta.seed).toBe(3);
    expect(meta.dtype).toBe('float64');
    expect((meta.config as { folds: number }).folds).toBe(4);
    expect(Array.from(cv.getChild('selected')!.toArray() as Int8Array).reduce((a, b) => a + b, 0)).toBe(1);
    for (let c = 0; c < 6; c++) expect(cv.getChild('loo_accuracy')!.get(c)).toBeGreaterThan(0.4);

    const m = JSON.parse(readFileSync(out('metrics.json'), 'utf8'));
    // auto, 4 folds × 6 λ, LOO on, no jitter: with LAPACK one eigendecomposition serves LOO and every fold; without it
    // (onnxruntime or TypeScript) the folds go to Cholesky and LOO to the TypeScript eigensolver (190 fit rows ≤ 2048).
    expect(m.cv.solver).toBe(hasEigh() ? 'shared-eigh' : 'cholesky');
    expect(m.loo.computed).toBe(true);
    expect(m.eval.rows).toBe(nEval);
    expect(m.eval.fit_rows).toBe(240 - nEval);
    expect(m.test).toMatchObject({ rows: 70, refit_rows: 240 });
    expect(m.input).toBe(KEY);
    expect(m.provenance).toMatchObject({ stage: 'ntk', key: KEY, kind: 'metrics' });
    // The λ marked selected in cv.arrow is the one in metrics.json.
    const sel = (cv.getChild('selected')!.toArray() as Int8Array).indexOf(1);
    expect(cv.getChild('lambda')!.get(sel)).toBe(m.chosen_lambda);

    // Independent eval prediction: scalar kernel + Gaussian elimination at the chosen λ.
    const fit: number[] = [],
      ev: number[] = [];
    data.train.ids.forEach((id, i) => (split.role[split.index.get(id)!] === 'eval' ? ev : fit).push(i));
    const x = (i: number) => data.train.X.subarray(i * d, (i + 1) * d);
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, k) => s + v * b[k], 0);
    const kern = (i: number, j: number) => reluNetKernel(dot(x(i), x(i)), dot(x(j), x(j)), dot(x(i), x(j)), d, { depth: 2 }).ntk;
    const n = fit.length;
    const A = fit.map((i, a) => [...fit.map((j, b) => kern(i, j) + (a === b ? m.chosen_lambda : 0)), 2 * data.train.t[i]! - 1]);
    for (let c = 0; c < n; c++)
      for (let r = c + 1; r < n; r++) {
        const f = A[r][c] / A[c][c];
        for (let k = c; k <= n; k++) A[r][k] -= f * A[c][k];
      }
    const alpha = new Array(n).fill(0);
    for (let r = n - 1; r >= 0; r--) alpha[r] = (A[r][n] - alpha.reduce((s, v, k) => (k > r ? s + A[r][k] * v : s), 0)) / A[r][r];
    const { table: pred } = readArtifact(out('predictions.arrow'), predictionsSchema);
    let ok = 0;
    for (let e = 0; e < ev.length; e++) {
      const ref = fit.reduce((s, j, a) => s + kern(ev[e], j) * alpha[a], 0);
      expect(pred.getChild('id')!.get(e)).toBe(data.train.ids[ev[e]]);
      expect(pred.getChild('score')!.get(e)).toBeCloseTo(ref, 6);
      if ((ref >= 0 ? 1 : 0) === data.train.t[ev[e]]) ok++;
    }
    expect(m.eval.accuracy).toBeCloseTo(ok / ev.length, 12);
    expect(m.eval.accuracy).toBeGreaterThan(0.6);

    const csv = readFileSync(out('submission.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('id,target');
    expect(csv.length).toBe(71);
    expect(csv.slice(1).map((l) => Number(l.split(',')[0]))).toEqual(Array.from(data.test.ids));
    expect(pred.numRows).toBe(ev.length + 70);
    expect(res.files).toContain(out('submission.csv'));
  });

  it('without LAPACK (TypeScript backend) auto picks Cholesky for the folds, still computes LOO, and fits the same model', async () => {
    await writeInputs(240, 70);
    const read = () => ({
      m: JSON.parse(readFileSync(out('metrics.json'), 'utf8')),
      scores: Array.from(readArtifact(out('predictions.arrow'), predictionsSchema).table.getChild('score')!.toArray() as Float64Array),
    });
    await runStage(ntkStage, { manifest: manifest(), key: KEY });
    const auto = read();
    setBackend('ts');
    try {
      expect(hasEigh()).toBe(false);
      await runStage(ntkStage, { manifest: manifest(), key: KEY });
    } finally {
      setBackend('auto');
    }
    const ts = read();
    expect(ts.m.cv.solver).toBe('cholesky');
    expect(ts.m.loo.computed).toBe(true);
    expect(ts.m.backend.eigensolver).toMatch(/^none \(TypeScript QL only up to 2048\)/);
    // Another solver (and, with OpenBLAS present, another backend) for the same CV: the same λ, folds and scores.
    expect(ts.m.chosen_lambda).toBe(auto.m.chosen_lambda);
    expect(ts.m.cv.accuracy.mean).toBeCloseTo(auto.m.cv.accuracy.mean, 12);
    expect(ts.m.loo.accuracy).toBeCloseTo(auto.m.loo.accuracy, 12);
    expect(ts.m.eval.accuracy).toBe(auto.m.eval.accuracy);
    ts.scores.forEach((v, i) => expect(v).toBeCloseTo(auto.scores[i], 8));
  });

  it('the split is a function of (id, target, seed): a run with another kernel and solver reproduces it', async () => {
    await writeInputs(240, 70);
    await runStage(ntkStage, { manifest: manifest(), key: KEY });
    const before = readSplit(out('split.arrow'));
    await runStage(ntkStage, { manifest: manifest({ ...BASE_NTK, kernel: 'nngp', depth: 3, sigmaB: 0.2, solver: 'eigh' }), key: KEY });
    const after = readSplit(out('split.arrow'));
    expect(after.ids).toEqual(before.ids);
    expect(after.fold).toEqual(before.fold);
    const m = JSON.parse(readFileSync(out('metrics.json'), 'utf8'));
    expect(m).toMatchObject({ kernel: 'nngp', depth: 3, sigma_b: 0.2 });
    expect(m.cv.solver).toBe('eigh');
    expect(m.loo.computed).toBe(true); // LOO has its own eigendecomposition, whatever the CV solver
    await runStage(ntkStage, { manifest: manifest({ ...BASE_NTK, loo: false }), key: KEY });
    const noLoo = JSON.parse(readFileSync(out('metrics.json'), 'utf8'));
    expect(noLoo.loo).toEqual({ computed: false, accuracy: null, f1: null, mse: null, macro_f1: null });
    expect(readSplit(out('split.arrow')).fold).toEqual(before.fold);
  });

  it('compare: [nngp] fits the NNGP on the same split and folds, exactly as a run with kernel: nngp would', async () => {
    await writeInputs(240, 70);
    const read = () => ({
      files: readdirSync(join(dir, 'ntk', KEY)).sort(),
      metrics: (f: string) => JSON.parse(readFileSync(out(f), 'utf8')),
      scores: (f: string) => Array.from(readArtifact(out(f), predictionsSchema).table.getChild('score')!.toArray() as Float64Array),
    });
    await runStage(ntkStage, { manifest: manifest({ ...BASE_NTK, kernel: 'nngp' }), key: KEY });
    const alone = read();
    const nngpAlone = { m: alone.metrics('metrics.json'), s: alone.scores('predictions.arrow') };
    await runStage(ntkStage, { manifest: manifest(), key: KEY });
    const ntkAlone = { m: read().metrics('metrics.json'), s: read().scores('predictions.arrow') };

    await runStage(ntkStage, { manifest: manifest({ ...BASE_NTK, compare: ['nngp'] }), key: KEY });
    const both = read();
    expect(both.files).toEqual([...COMPARE_NNGP_FILES, 'submission.csv']);
    expect(krrFile('metrics', 'nngp', 'ntk')).toBe('metrics-nngp.json');
    expect(krrFile('predictions', 'ntk', 'ntk')).toBe('predictions.arrow');
    const nngp = both.metrics('metrics-nngp.json');
    expect(nngp.kernel).toBe('nngp');
    expect(nngp.provenance).toMatchObject({ stage: 'ntk', key: KEY, kind: 'metrics-nngp' });
    for (const [got, ref] of [
      [nngp, nngpAlone.m],
      [both.metrics('metrics.json'), ntkAlone.m],
    ]) {
      expect(got.chosen_lambda).toBe(ref.chosen_lambda);
      expect(got.eval).toEqual(ref.eval);
      expect(got.cv).toEqual(ref.cv);
    }
    expect(both.scores('predictions-nngp.arrow')).toEqual(nngpAlone.s);
    expect(both.scores('predictions.arrow')).toEqual(ntkAlone.s);
    // The two kernels are different functions: their eval scores differ.
    expect(nngpAlone.s[0]).not.toBeCloseTo(ntkAlone.s[0], 6);
  });

  it('compare: [nngp] from one Gram pass: both kernels CV, choose λ, score eval and test as brute-force solves do', async () => {
    const data = await writeInputs(240, 70);
    await runStage(ntkStage, { manifest: manifest({ ...BASE_NTK, compare: ['nngp'] }), key: KEY });
    const split = readSplit(out('split.arrow'));
    const role = (i: number) => split.role[split.index.get(data.train.ids[i])!];
    const fold = (i: number) => split.fold[split.index.get(data.train.ids[i])!];
    const fit = [...data.train.ids.keys()].filter((i) => role(i) === 'fit');
    const ev = [...data.train.ids.keys()].filter((i) => role(i) === 'eval');
    const y = (i: number) => 2 * data.train.t[i]! - 1;
    const rowOf = (X: Float32Array, i: number) => X.subarray(i * d, (i + 1) * d);
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((acc, v, k) => acc + v * b[k], 0);
    /** Ridge weights on `rows` by Gaussian elimination, and the scores they give at `at` (rows of Xa). */
    const solveScore = (
      kern: (a: Float32Array, b: Float32Array) => number,
      rows: number[],
      lambda: number,
      Xa: Float32Array,
      at: number[],
    ) => {
      const x = (i: number) => rowOf(data.train.X, i);
      const [alpha] = gaussSolveColumns(
        rows.map((i) => rows.map((j) => kern(x(i), x(j)))),
        rows.map((i) => [y(i)]),
        lambda,
      );
      return at.map((i) => rows.reduce((acc, j, a) => acc + kern(rowOf(Xa, i), x(j)) * alpha[a], 0));
    };
    const f1 = (scores: number[], rows: number[]) => {
      let tp = 0,
        fp = 0,
        fn = 0;
      scores.forEach((v, a) => {
        const p = v >= 0 ? 1 : 0,
          t = data.train.t[rows[a]];
        if (p && t) tp++;
        else if (p) fp++;
        else if (t) fn++;
      });
      return (2 * tp) / (2 * tp + fp + fn);
    };
    for (const kernel of ['ntk', 'nngp'] as const) {
      const kern = (a: Float32Array, b: Float32Array) => reluNetKernel(dot(a, a), dot(b, b), dot(a, b), d, { depth: 2 })[kernel];
      const { table: cv } = readArtifact(out(krrFile('cv', kernel, 'ntk')), cvSchema(4));
      const lambdas = Array.from(cv.getChild('lambda')!.toArray() as Float64Array);
      const meanF1 = lambdas.map((lambda, c) => {
        const foldF1 = Array.from(cv.getChild('fold_f1')!.get(c)!.toArray() as Float64Array);
        let sum = 0;
        for (let f = 0; f < 4; f++) {
          const va = fit.filter((i) => fold(i) === f);
          const ref = f1(
            solveScore(
              kern,
              fit.filter((i) => fold(i) !== f),
              lambda,
              data.train.X,
              va,
            ),
            va,
          );
          expect(foldF1[f]).toBeCloseTo(ref, 12);
          sum += ref;
        }
        return sum / 4;
      });
      // selectBy f1, ties to the larger λ
      const best = meanF1.reduce((b, v, c) => (v > meanF1[b] || (v === meanF1[b] && lambdas[c] > lambdas[b]) ? c : b), 0);
      const m = JSON.parse(readFileSync(out(krrFile('metrics', kernel, 'ntk')), 'utf8'));
      expect(m.chosen_lambda).toBe(lambdas[best]);
      const scores = Array.from(
        readArtifact(out(krrFile('predictions', kernel, 'ntk')), predictionsSchema)
          .table.getChild('score')!
          .toArray() as Float64Array,
      );
      const evalRef = solveScore(kern, fit, m.chosen_lambda, data.train.X, ev);
      const testRef = solveScore(kern, [...data.train.ids.keys()], m.chosen_lambda, data.test.X, [...data.test.ids.keys()]);
      [...evalRef, ...testRef].forEach((v, r) => expect(scores[r]).toBeCloseTo(v, 6));
    }
  });

  it('refuses a run that would not fit in memory (a --set override) with one line, leaving the previous generation', async () => {
    await writeInputs(240, 70);
    await runStage(ntkStage, { manifest: manifest(), key: KEY });
    const files = readdirSync(join(dir, 'ntk', KEY)).sort();
    const bytes = files.map((f) => readFileSync(join(dir, 'ntk', KEY, f)));
    const raw = applySets(manifest(), ['ntk.maxMemoryGb=0.0001']);
    expect((raw.ntk as { maxMemoryGb: number }).maxMemoryGb).toBe(0.0001);
    let message = '';
    await runStage(ntkStage, { manifest: raw, key: KEY }).catch((e: Error) => (message = e.message));
    expect(message).toMatch(
      /^ntk stage \(ntk\) on 240 train \+ 70 test rows needs \d{3} KiB of float64 kernel memory, more than the maxMemoryGb limit of 0\.0001 GB \(105 KiB\); /,
    );
    expect(message).not.toContain('\n');
    // No staging folder left beside the instance folder, and the published generation untouched.
    expect(readdirSync(join(dir, 'ntk'))).toEqual([KEY]);
    expect(readdirSync(join(dir, 'ntk', KEY)).sort()).toEqual(files);
    files.forEach((f, i) => expect(readFileSync(join(dir, 'ntk', KEY, f)).equals(bytes[i])).toBe(true));
  });

  it('names the missing upstream artifact and the command that writes it', async () => {
    await expect(runStage(ntkStage, { manifest: manifest(), key: KEY })).rejects.toThrow(
      /pca[/\\]syn-d6[/\\]train\.arrow: not found; rerun its stage: npx tangent pca --key syn-d6/,
    );
    expect(existsSync(join(dir, 'ntk'))).toBe(false);
  });
});

/**
 * A K-class input: rows near K orthogonal centres on the unit sphere (class = centre), the class
 * names in the pca artifacts' provenance (extra.classes), the test split labelled or not.
 */
async function writeClassInputs(classes: string[], nTrain: number, nTest: number, testLabelled = true) {
  const K = classes.length;
  const r = rng(23);
  const schema = embeddingSchema(d);
  const make = (n: number, split: 'train' | 'test', idBase: number) => {
    const X = new Float32Array(n * d);
    const t: number[] = [];
    for (let i = 0; i < n; i++) {
      const c = (i * 7) % K;
      const x = Array.from({ length: d }, (_, k) => (k === c ? 1 : 0) + 0.4 * r.normal());
      const s = Math.hypot(...x);
      x.forEach((v, k) => (X[i * d + k] = v / s));
      t.push(c);
    }
    const ids = Int32Array.from(r.permutation(n), (p) => idBase + 2 * p);
    const target = split === 'test' && !testLabelled ? t.map(() => null) : t;
    const table = buildTable(schema, { id: ids, split: new Array(n).fill(split), target, embedding: fixedSizeListVector(X, d) });
    return { ids, X, t, file: { name: `${split}.arrow`, schema, table, dtype: 'float32', seed: null, extra: { classes } } };
  };
  const data = { train: make(nTrain, 'train', 1), test: make(nTest, 'test', 50000) };
  await publishPca([data.train.file, data.test.file]);
  return data;
}

/** Ridge weights for the columns of Y (rows × K) by Gaussian elimination: K independent single-target solves. */
function gaussSolveColumns(A0: number[][], Y: number[][], lambda: number): number[][] {
  const n = A0.length;
  return Y[0].map((_, k) => {
    const A = A0.map((row, a) => [...row.map((v, b) => v + (a === b ? lambda : 0)), Y[a][k]]);
    for (let c = 0; c < n; c++)
      for (let r = c + 1; r < n; r++) {
        const f = A[r][c] / A[c][c];
        for (let j = c; j <= n; j++) A[r][j] -= f * A[c][j];
      }
    const x = new Array<number>(n).fill(0);
    for (let r = n - 1; r >= 0; r--) x[r] = (A[r][n] - x.reduce((s, v, j) => (j > r ? s + A[r][j] * v : s), 0)) / A[r][r];
    return x;
  });
}

describe('ntk stage with K > 2 classes', () => {
  const CLASSES = ['cat', 'dog', 'eel'];

  it('one-hot ridge, argmax labels, per-class scores in predictions.arrow, test scored by the refit; no submission', async () => {
    const data = await writeClassInputs(CLASSES, 180, 45);
    const [res] = await runStage(ntkStage, { manifest: manifest(), key: KEY });
    expect(readdirSync(res.outDir).sort()).toEqual(['cv.arrow', 'metrics.json', 'predictions.arrow', 'split.arrow']);
    const m = JSON.parse(readFileSync(out('metrics.json'), 'utf8'));
    expect(m.classes).toEqual(CLASSES);
    expect(m.test.predicted_positive).toBeUndefined();
    expect(m.test).toMatchObject({ rows: 45, refit_rows: 180 });

    // The split is stratified by class: each class's eval share is round(0.2 · n_c).
    const split = readSplit(out('split.arrow'));
    const role = (i: number) => split.role[split.index.get(data.train.ids[i])!];
    for (let c = 0; c < 3; c++) {
      const rows = data.train.t.flatMap((t, i) => (t === c ? [i] : []));
      expect(rows.filter((i) => role(i) === 'eval').length).toBe(Math.round(0.2 * rows.length));
    }

    const { table: pred } = readArtifact(out('predictions.arrow'), multiclassPredictionsSchema(3));
    const { values: scores, dim } = readFixedSizeList(pred, 'scores');
    expect(dim).toBe(3);
    const nEval = m.eval.rows;
    expect(pred.numRows).toBe(nEval + 45);
    const rows = Array.from({ length: pred.numRows }, (_, r) => ({
      split: pred.getChild('split')!.get(r) as string,
      id: pred.getChild('id')!.get(r) as number,
      label: pred.getChild('label')!.get(r) as number,
      target: pred.getChild('target')!.get(r) as number,
      score: pred.getChild('score')!.get(r) as number,
      s: Array.from(scores.subarray(r * 3, r * 3 + 3)),
    }));
    for (const row of rows) {
      expect(row.label).toBe(row.s.indexOf(Math.max(...row.s)));
      expect(row.score).toBe(row.s[row.label]);
    }
    // Brute-force metrics from the rows against metrics.json.
    const check = (part: 'eval' | 'test', block: { accuracy: number; macro_f1: number; per_class_recall: number[] }) => {
      const sel = rows.filter((row) => row.split === part);
      expect(block.accuracy).toBeCloseTo(sel.filter((row) => row.label === row.target).length / sel.length, 14);
      let f1 = 0;
      for (let c = 0; c < 3; c++) {
        const tp = sel.filter((row) => row.label === c && row.target === c).length;
        const fn = sel.filter((row) => row.label !== c && row.target === c).length;
        const fp = sel.filter((row) => row.label === c && row.target !== c).length;
        expect(block.per_class_recall[c]).toBeCloseTo(tp / (tp + fn), 14);
        f1 += (2 * tp) / (2 * tp + fp + fn) / 3;
      }
      expect(block.macro_f1).toBeCloseTo(f1, 14);
    };
    check('eval', m.eval);
    check('test', m.test);
    expect(m.eval.f1).toBe(m.eval.macro_f1);
    expect(m.cv.f1).toEqual(m.cv.macro_f1);
    expect(m.test.accuracy).toBeGreaterThan(0.85);

    // The test scores: K independent single-target solves (Gaussian elimination) on all train rows at the chosen λ.
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, k) => s + v * b[k], 0);
    const row = (X: Float32Array, i: number) => X.subarray(i * d, (i + 1) * d);
    const kern = (a: Float32Array, b: Float32Array) => reluNetKernel(dot(a, a), dot(b, b), dot(a, b), d, { depth: 2 }).ntk;
    const n = 180;
    const Kxx = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => kern(row(data.train.X, i), row(data.train.X, j))));
    const Y = data.train.t.map((t) => [0, 1, 2].map((c) => (c === t ? 1 : -1)));
    const alpha = gaussSolveColumns(Kxx, Y, m.chosen_lambda);
    const testRows = rows.filter((r) => r.split === 'test');
    testRows.forEach((r, a) => {
      expect(r.id).toBe(data.test.ids[a]);
      expect(r.target).toBe(data.test.t[a]);
      const kx = Array.from({ length: n }, (_, j) => kern(row(data.test.X, a), row(data.train.X, j)));
      for (let c = 0; c < 3; c++)
        expect(r.s[c]).toBeCloseTo(
          kx.reduce((s, v, j) => s + v * alpha[c][j], 0),
          6,
        );
    });
  });

  it('selectBy macro-f1 picks the λ with the best mean macro-F1 in cv.arrow; compare: [nngp] fits the NNGP the same way', async () => {
    await writeClassInputs(CLASSES, 150, 30);
    await runStage(ntkStage, { manifest: manifest({ ...BASE_NTK, kernel: 'nngp', selectBy: 'macro-f1' }), key: KEY });
    const alone = JSON.parse(readFileSync(out('metrics.json'), 'utf8'));
    const aloneScores = readFixedSizeList(readArtifact(out('predictions.arrow'), multiclassPredictionsSchema(3)).table, 'scores').values;
    await runStage(ntkStage, { manifest: manifest({ ...BASE_NTK, selectBy: 'macro-f1', compare: ['nngp'] }), key: KEY });
    expect(readdirSync(join(dir, 'ntk', KEY)).sort()).toEqual(COMPARE_NNGP_FILES);
    for (const kernel of ['ntk', 'nngp'] as const) {
      const m = JSON.parse(readFileSync(out(krrFile('metrics', kernel, 'ntk')), 'utf8'));
      expect(m).toMatchObject({ kernel, select_by: 'macro-f1', classes: CLASSES });
      const { table: cv } = readArtifact(out(krrFile('cv', kernel, 'ntk')), cvWithMacroF1Schema(4));
      const lambdas = Array.from(cv.getChild('lambda')!.toArray() as Float64Array);
      const folds = readFixedSizeList(cv, 'fold_macro_f1').values;
      const mean = lambdas.map((_, c) => (folds[4 * c] + folds[4 * c + 1] + folds[4 * c + 2] + folds[4 * c + 3]) / 4);
      const best = mean.reduce((b, v, c) => (v > mean[b] || (v === mean[b] && lambdas[c] > lambdas[b]) ? c : b), 0);
      expect(m.chosen_lambda).toBe(lambdas[best]);
      expect(cv.getChild('macro_f1_mean')!.get(best)).toBeCloseTo(mean[best], 14);
    }
    const nngp = JSON.parse(readFileSync(out('metrics-nngp.json'), 'utf8'));
    expect(nngp.chosen_lambda).toBe(alone.chosen_lambda);
    expect(nngp.eval).toEqual(alone.eval);
    expect(nngp.test).toEqual(alone.test);
    const both = readFixedSizeList(readArtifact(out('predictions-nngp.arrow'), multiclassPredictionsSchema(3)).table, 'scores').values;
    expect(Array.from(both)).toEqual(Array.from(aloneScores));
  });

  it('two classes with a labelled test split: the binary layout and numbers, test scores added, no submission', async () => {
    await writeClassInputs(['ham', 'spam'], 160, 40);
    await runStage(ntkStage, { manifest: manifest(), key: KEY });
    expect(readdirSync(join(dir, 'ntk', KEY)).sort()).toEqual(['cv.arrow', 'metrics.json', 'predictions.arrow', 'split.arrow']);
    const m = JSON.parse(readFileSync(out('metrics.json'), 'utf8'));
    const { table: pred } = readArtifact(out('predictions.arrow'), predictionsSchema);
    expect(pred.getChild('scores')).toBeNull();
    const test = Array.from({ length: pred.numRows }, (_, r) => r).filter((r) => pred.getChild('split')!.get(r) === 'test');
    const label = (r: number) => pred.getChild('label')!.get(r) as number;
    const target = (r: number) => pred.getChild('target')!.get(r) as number;
    expect(test.every((r) => label(r) === ((pred.getChild('score')!.get(r) as number) >= 0 ? 1 : 0))).toBe(true);
    const tp = test.filter((r) => label(r) === 1 && target(r) === 1).length;
    const wrong = test.filter((r) => label(r) !== target(r)).length;
    expect(m.classes).toEqual(['ham', 'spam']);
    expect(m.test.accuracy).toBeCloseTo((test.length - wrong) / test.length, 14);
    expect(m.test.f1).toBeCloseTo((2 * tp) / (2 * tp + wrong), 14); // the positive class's F1 for two classes
    expect(m.test.predicted_positive).toBe(test.filter((r) => label(r) === 1).length);
    expect(m.test.per_class_recall).toHaveLength(2);
    expect(m.eval.macro_f1).toBeGreaterThan(0.8);
    // selectBy macro-f1 for two classes: the mean of both classes' F1, a column of its own in cv.arrow
    await runStage(ntkStage, { manifest: manifest({ ...BASE_NTK, selectBy: 'macro-f1' }), key: KEY });
    const mm = JSON.parse(readFileSync(out('metrics.json'), 'utf8'));
    const { table: cv } = readArtifact(out('cv.arrow'), cvWithMacroF1Schema(4));
    const macro = Array.from(cv.getChild('macro_f1_mean')!.toArray() as Float64Array);
    const lambdas = Array.from(cv.getChild('lambda')!.toArray() as Float64Array);
    const best = macro.reduce((b, v, c) => (v > macro[b] || (v === macro[b] && lambdas[c] > lambdas[b]) ? c : b), 0);
    expect(mm.chosen_lambda).toBe(lambdas[best]);
    expect(mm.cv.macro_f1.mean).toBe(macro[best]);
    expect(mm.cv.f1.mean).toBe(cv.getChild('f1_mean')!.get(best));
  });

  it('refuses a partly labelled test split and test classes that differ from train’s, each with one line', async () => {
    const data = await writeClassInputs(CLASSES, 60, 12);
    const schema = embeddingSchema(d);
    const republish = async (target: Array<number | null>, classes: string[]) => {
      const m = resolveManifest(manifest());
      const table = buildTable(schema, {
        id: data.test.ids,
        split: new Array(12).fill('test'),
        target,
        embedding: fixedSizeListVector(data.test.X, d),
      });
      await publishOutputs(
        { name: 'pca', version: '1', outputs: ['train.arrow', 'test.arrow'] },
        m,
        findInstance(pipelineInstances(m), 'pca', KEY)!,
        {
          files: [data.train.file, { name: 'test.arrow', schema, table, dtype: 'float32', seed: null, extra: { classes } }],
        },
      );
    };
    await republish([null, ...data.test.t.slice(1)], CLASSES);
    await expect(runStage(ntkStage, { manifest: manifest(), key: KEY })).rejects.toThrow(
      /test\.arrow: 11 of 12 test rows have a target; a test split is all labelled or all unlabelled/,
    );
    await republish(data.test.t, ['cat', 'dog', 'emu']);
    await expect(runStage(ntkStage, { manifest: manifest(), key: KEY })).rejects.toThrow(
      /test\.arrow: classes \[cat, dog, emu\] differ from train's \[cat, dog, eel\]; rerun the pca stage/,
    );
  });
});
