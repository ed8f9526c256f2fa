import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTable, fixedSizeListVector, readArtifact } from '@tangent/arrow-io';
import {
  cvSchema,
  embeddingSchema,
  findInstance,
  historySchema,
  pipelineInstances,
  publishOutputs,
  resolveManifest,
  runPredictionsSchema,
  runStage,
  splitSchema,
  splitTable,
  classRunPredictionsSchema,
} from '@tangent/contracts';
import {
  ACTIVATIONS,
  activationNetKernel,
  ntkRelu2InitErrorConstant,
  ntkRelu2NeuronMoments,
  reluNetKernel,
  type ActivationName,
} from '@tangent/kernels';
import { eigh, mat32, mat64, rng } from '@tangent/linalg';
import { empiricalNtkMlp, initMlp } from '@tangent/nn';
import { bestLr, mlpStage, mlpSubmitStage } from './stage.ts';
import { twoLayerAnalyticalKernel } from './analytical-kernel.ts';
import { relativeFrobeniusDistance } from './kernel-stats.ts';
import { empiricalKernelRidge } from './after-kernel.ts';
import { stratifiedSubset } from './tracked-subset.ts';
import { trainOptions, trainTwoLayer, twoLayerSpec } from './train-two-layer.ts';
import { tempArtifacts } from '@tangent/contracts/testing';

const D = 6;
const INPUT = `toy-d${D}`;
const TEST_IDS = [7, 3, 9, 1, 5];
const LAMBDAS = [1e-3, 1e-2, 0.1, 1];

let dir = '';
const artifacts = tempArtifacts('mlp-stage-');
beforeEach(() => (dir = artifacts.enter()));
afterEach(() => artifacts.exit());

/** A tiny manifest: one input (toy, d = 6), the given grid and a few epochs. */
const manifest = (grid: Record<string, unknown>) => ({
  grid: { embedders: ['toy'], d: [D], seeds: [0, 1], lrs: [1], lrSweep: { widths: [], lrs: [] }, ...grid },
  mlp: { train: { epochs: 15 }, tracking: { size: 24, every: 5 } },
});
const GRID = { widths: [8, 64], lrSweep: { widths: [8], lrs: [0.5] } };

function features(ids: number[], targets: Array<number | null>, seed: number): Float32Array {
  const r = rng(seed);
  const X = new Float32Array(ids.length * D);
  for (let i = 0; i < ids.length; i++) {
    let s = 0;
    for (let j = 0; j < D; j++) s += (X[i * D + j] = r.normal() + (targets[i] === 1 && j === 0 ? 1.5 : 0)) ** 2;
    for (let j = 0; j < D; j++) X[i * D + j] /= Math.sqrt(s);
  }
  return X;
}

/**
 * The upstream artifacts of `raw`'s input, laid down with the identities its instances expect:
 * pca train (80 rows, ids 100..179) and test (5 rows), and the ntk split (every 5th row eval).
 */
/** Rows of the fixture as the network sees them: scaled to norm √d (inputScale sqrt_d), ±1 labels. */
function networkRows(fx: Awaited<ReturnType<typeof fixture>>, rs: number[]) {
  const s = Math.sqrt(D);
  return {
    X: {
      rows: rs.length,
      cols: D,
      data: Float32Array.from(rs.flatMap((i) => Array.from(fx.X.subarray(i * D, (i + 1) * D), (v) => v * s))),
    },
    y: Float32Array.from(rs, (i) => (fx.t[i] ? 1 : -1)),
  };
}

async function fixture(raw: Record<string, unknown>, o: { flipEval?: boolean } = {}) {
  const m = resolveManifest(raw);
  const instances = pipelineInstances(m);
  const ids = Array.from({ length: 80 }, (_, i) => 100 + i);
  const t0 = ids.map((_, i) => (i % 3 === 0 ? 1 : 0));
  const X = features(ids, t0, 1);
  // flipEval: the eval rows' labels flipped, the features and the split kept (the selection-invariance test)
  const t = t0.map((v, i) => (o.flipEval && i % 5 === 4 ? 1 - v : v));
  const schema = embeddingSchema(D);
  const table = (id: number[], target: Array<number | null>, x: Float32Array, split: string) =>
    buildTable(schema, { id: Int32Array.from(id), split: id.map(() => split), target, embedding: fixedSizeListVector(x, D) });
  const testT = TEST_IDS.map(() => null);
  await publishOutputs({ name: 'pca', version: '1', outputs: ['train.arrow', 'test.arrow'] }, m, findInstance(instances, 'pca', INPUT)!, {
    files: [
      { name: 'train.arrow', schema, table: table(ids, t, X, 'train'), dtype: 'float32', seed: null },
      { name: 'test.arrow', schema, table: table(TEST_IDS, testT, features(TEST_IDS, testT, 2), 'test'), dtype: 'float32', seed: null },
    ],
  });
  await publishNtk(m, instances, ids);
  return { ids, t, X };
}

/** The ntk stage's files the mlp stage reads, for train ids `ids`: the split (every 5th row eval), cv.arrow, metrics.json. */
async function publishNtk(m: ReturnType<typeof resolveManifest>, instances: ReturnType<typeof pipelineInstances>, ids: number[]) {
  const isEval = Uint8Array.from(ids, (_, i) => (i % 5 === 4 ? 1 : 0));
  const fold = Int8Array.from(ids, (_, i) => (isEval[i] ? -1 : foldOf(i)));
  // what the after kernel reads of the ntk stage: its λ grid (cv.arrow) and its CV settings (metrics.json)
  const k = 3,
    cvT = buildTable(cvSchema(k), {
      lambda: Float64Array.from(LAMBDAS),
      accuracy_mean: new Float64Array(LAMBDAS.length),
      accuracy_sd: new Float64Array(LAMBDAS.length),
      f1_mean: new Float64Array(LAMBDAS.length),
      f1_sd: new Float64Array(LAMBDAS.length),
      mse_mean: new Float64Array(LAMBDAS.length),
      fold_accuracy: fixedSizeListVector(new Float64Array(LAMBDAS.length * k), k),
      fold_f1: fixedSizeListVector(new Float64Array(LAMBDAS.length * k), k),
      loo_accuracy: LAMBDAS.map(() => null),
      loo_f1: LAMBDAS.map(() => null),
      loo_mse: LAMBDAS.map(() => null),
      selected: Int8Array.from(LAMBDAS, (_, c) => +(c === 0)),
    });
  const ms = { mean: 0.5, sd: 0 };
  const km = {
    ...{ input: INPUT, kernel: 'ntk', depth: 2, sigma_w: 1, sigma_b: 0, label_coding: 'pm1', select_by: 'f1', chosen_lambda: LAMBDAS[0] },
    cv: { solver: 'cholesky', folds: k, accuracy: ms, f1: ms },
    loo: { computed: false, accuracy: null, f1: null, mse: null },
    eval: { rows: 16, accuracy: 0.5, f1: 0.5, fit_rows: 64 },
    test: { rows: 5, predicted_positive: 0, refit_rows: 80 },
    timings: {},
    backend: {},
  };
  await publishOutputs(
    { name: 'ntk', version: '1', outputs: ['split.arrow', 'cv.arrow', 'metrics.json'] },
    m,
    findInstance(instances, 'ntk', INPUT)!,
    {
      files: [
        { name: 'split.arrow', schema: splitSchema, table: splitTable(Int32Array.from(ids), { isEval, fold }), dtype: 'int8', seed: 0 },
        { name: 'cv.arrow', schema: cvSchema(k), table: cvT, dtype: 'float64', seed: 0 },
        { name: 'metrics.json', json: km, dtype: 'float64', seed: 0 },
      ],
    },
  );
}

/** The fixture's CV fold of train row i (fit rows): blocks of three, so every fold holds both classes. */
const foldOf = (i: number) => Math.floor(i / 3) % 3;
const runDir = (run: string) => join(dir, 'mlp', INPUT, run);
const metricsOf = (run: string) => JSON.parse(readFileSync(join(runDir(run), 'metrics.json'), 'utf8'));
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

/**
 * ‖Θ̂₀ − Θ‖_F / ‖Θ‖_F on the tracked rows, computed here without the stage's GEMM kernels: Θ̂₀ from
 * the closed form of the two-layer empirical NTK with the network's initial weights, Θ from the
 * scalar analytical recursion.
 */
/** C² = Σ Var τ / Σ Θ² over the same tracked rows, pair by pair (kernels' ntk-relu2-variance.ts eq. V2, without its GEMM). */
function independentInitConstant(fx: { t: number[]; X: Float32Array }, fitRows: number[]): number {
  const Xf = fitRows.map((i) => Float64Array.from(fx.X.subarray(i * D, (i + 1) * D), (v) => v * Math.sqrt(D)));
  const tracked = Array.from(
    stratifiedSubset(
      Float32Array.from(fitRows, (i) => (fx.t[i] ? 1 : -1)),
      Math.min(24, fitRows.length),
      0,
    ),
  );
  const dot = (a: Float64Array, b: Float64Array) => a.reduce((acc, v, j) => acc + v * b[j], 0);
  let v = 0,
    t = 0;
  for (const a of tracked)
    for (const b of tracked) {
      const mo = ntkRelu2NeuronMoments(Math.sqrt(dot(Xf[a], Xf[a])), Math.sqrt(dot(Xf[b], Xf[b])), dot(Xf[a], Xf[b]), D);
      v += mo.variance;
      t += mo.mean ** 2;
    }
  return Math.sqrt(v / t);
}

function independentInitError(
  fx: { t: number[]; X: Float32Array },
  fitRows: number[],
  width: number,
  seed: number,
  activation: ActivationName = 'relu',
): number {
  const { phi, dphi } = ACTIVATIONS[activation];
  const s = Math.sqrt(D);
  const Xf = fitRows.map((i) => Float32Array.from(fx.X.subarray(i * D, (i + 1) * D), (v) => v * s)); // inputScale sqrt_d
  const yf = fitRows.map((i) => (fx.t[i] ? 1 : -1));
  const tracked = Array.from(stratifiedSubset(Float32Array.from(yf), Math.min(24, yf.length), 0));
  const net = initMlp(twoLayerSpec(D, width, { parameterization: 'ntk', bias: false, sigmaB: 1, activation }), seed);
  const [L1, L2] = net.layers;
  const u = tracked.map((r) =>
    Array.from({ length: width }, (_, k) => Xf[r].reduce((acc, v, j) => acc + L1.W.data[k * D + j] * v, 0) / Math.sqrt(D)),
  );
  const w2 = L2.W.data;
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((acc, v, j) => acc + v * b[j], 0);
  let num = 0,
    den = 0;
  tracked.forEach((a, p) =>
    tracked.forEach((b, q) => {
      let hh = 0,
        dd = 0;
      for (let k = 0; k < width; k++) {
        hh += phi(u[p][k]) * phi(u[q][k]);
        dd += w2[k] * w2[k] * dphi(u[p][k]) * dphi(u[q][k]);
      }
      const empirical = ((dot(Xf[a], Xf[b]) / D) * dd + hh) / width;
      const [xx, zz, xz] = [dot(Xf[a], Xf[a]), dot(Xf[b], Xf[b]), dot(Xf[a], Xf[b])];
      const analytical = (
        activation === 'relu'
          ? reluNetKernel(xx, zz, xz, D, { depth: 2 })
          : activationNetKernel(xx, zz, xz, D, { depth: 2 }, ACTIVATIONS[activation])
      ).ntk;
      num += (empirical - analytical) ** 2;
      den += analytical ** 2;
    }),
  );
  return Math.sqrt(num / den);
}

describe('mlp stage on synthetic artifacts (runStage)', () => {
  it('runs every (width, seed, lr) of the grid; metrics, history and the tracked kernel are right', async () => {
    const raw = manifest(GRID);
    const fx = await fixture(raw);
    const res = await runStage(mlpStage, { manifest: raw });
    const runs = ['w8-s0-lr0.5', 'w8-s1-lr0.5', 'w8-s0-lr1', 'w8-s1-lr1', 'w64-s0-lr1', 'w64-s1-lr1'];
    expect(res.map((r) => r.outDir)).toEqual(runs.map(runDir));
    for (const r of runs) expect(readdirSync(runDir(r)).sort()).toEqual(['history.arrow', 'metrics.json', 'predictions.arrow']);

    const m = metricsOf('w64-s0-lr1');
    expect(m).toMatchObject({ run: 'w64-s0-lr1', width: 64, seed: 0, n_fit: 64, n_eval: 16, d: D, tracked: 24, epochs: 15 });
    expect(m.lr_natural).toBeCloseTo(1, 10);
    expect(m.provenance.seed).toBe(0);
    expect(m.provenance.config.run).toEqual({ width: 64, seed: 0, lr: 1 });
    expect(m.provenance).toMatchObject({ stage: 'mlp', key: `${INPUT}/w64-s0-lr1`, kind: 'metrics' });
    const { table, meta: hm } = readArtifact(join(runDir('w64-s0-lr1'), 'history.arrow'), historySchema);
    expect(table.numRows).toBe(16);
    expect(hm.dtype).toMatch(/float32/);
    expect(table.getChild('delta_theta')!.get(15)).toBeCloseTo(m.delta_theta, 12);

    // predictions.arrow: the eval rows (split order) then the test rows, from the final network.
    const { table: pt } = readArtifact(join(runDir('w64-s0-lr1'), 'predictions.arrow'), runPredictionsSchema);
    const pid = Array.from(pt.getChild('id')!.toArray() as Int32Array);
    const psplit = pt.getChild('split')!.toArray() as string[];
    const score = Array.from(pt.getChild('score')!.toArray() as Float64Array);
    const evalRows = fx.ids.map((_, i) => i).filter((i) => i % 5 === 4);
    expect(pid).toEqual([...evalRows.map((i) => fx.ids[i]), ...TEST_IDS]);
    expect(psplit).toEqual([...evalRows.map(() => 'eval'), ...TEST_IDS.map(() => 'test')]);
    // the eval scores reproduce the last history row: accuracy of sign(score) and 1/(2n) Σ (score − y)²
    const yEval = evalRows.map((i) => (fx.t[i] ? 1 : -1));
    const evalScore = score.slice(0, evalRows.length);
    expect(mean(evalScore.map((s, k) => +((s > 0 ? 1 : -1) === yEval[k])))).toBeCloseTo(m.eval_accuracy, 12);
    expect(mean(evalScore.map((s, k) => (s - yEval[k]) ** 2)) / 2).toBeCloseTo(table.getChild('eval_loss')!.get(15), 5);
    for (const s of score.slice(evalRows.length)) expect(Number.isFinite(s) && s !== 0).toBe(true);

    // Θ̂₀ vs Θ on the tracked rows: the recorded error equals an independent computation of it.
    const fitRows = fx.ids.map((_, i) => i).filter((i) => i % 5 !== 4);
    for (const [run, width, seed] of [
      ['w8-s0-lr1', 8, 0],
      ['w64-s0-lr1', 64, 0],
      ['w64-s1-lr1', 64, 1],
    ] as const) {
      const want = independentInitError(fx, fitRows, width, seed);
      expect(Math.abs(metricsOf(run).kernel_init_error - want) / want, run).toBeLessThan(1e-4);
      // the constant C of E[m·err²] = C², predicted from the same tracked rows (float32 rows: 1e-6)
      expect(metricsOf(run).kernel_init_error_sqrt_m_predicted / independentInitConstant(fx, fitRows), run).toBeCloseTo(1, 6);
    }
    // ... and falls with width (∝ m^-1/2), as does the kernel's movement during training.
    const at = (w: number, key: string) => mean([0, 1].map((s) => metricsOf(`w${w}-s${s}-lr1`)[key]));
    expect(at(64, 'kernel_init_error')).toBeLessThan(at(8, 'kernel_init_error'));
    expect(at(64, 'delta_theta')).toBeLessThan(at(8, 'delta_theta'));
  });

  it('the submission trains at the lr with the best mean fold-0 F1 (never eval) and writes the Kaggle format', async () => {
    const raw = manifest(GRID);
    const fx = await fixture(raw);
    await runStage(mlpStage, { manifest: raw });
    // only the width with several rates pays for the fold-0 score that chooses among them
    const fold0 = fx.ids.filter((_, i) => i % 5 !== 4 && foldOf(i) === 0).length;
    expect(metricsOf('w8-s0-lr0.5').validation).toMatchObject({ rows: fold0, epochs_used: 15, epoch_fold: null });
    expect(metricsOf('w64-s0-lr1').validation).toBeNull();
    const [s] = await runStage(mlpSubmitStage, { manifest: raw, key: `${INPUT}/submit-w8` });
    expect(s.outDir).toBe(runDir('submit-w8'));
    const csv = readFileSync(join(s.outDir, 'submission.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('id,target');
    expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(TEST_IDS.map(String));
    expect(csv.slice(1).every((l) => /^\d+,[01]$/.test(l))).toBe(true);
    const byLr = [0.5, 1].map((lr) => ({ lr, score: mean([0, 1].map((seed) => metricsOf(`w8-s${seed}-lr${lr}`).validation.f1)) }));
    const best = [...byLr].sort((a, b) => b.score - a.score || a.lr - b.lr)[0].lr;
    const sub = JSON.parse(readFileSync(join(s.outDir, 'submit.json'), 'utf8'));
    expect(sub).toMatchObject({ width: 8, lr_natural: best, seed: 0, rows: 5 });
    expect(sub.selection).toMatchObject({ rule: 'fold0-f1', rows: 'fit', fold: 0, configs_tried: 2 });
    sub.selection.scores.forEach((x: { lr: number; score: number }, i: number) => expect(x.score).toBeCloseTo(byLr[i].score, 12));
    expect(sub.provenance).toMatchObject({ stage: 'mlp-submit', key: `${INPUT}/submit-w8` });
  });

  it('bestLr: the mean fold-0 F1 over seeds, a diverged seed counting 0 (not dropped), ties to the smaller rate', () => {
    const got = bestLr([
      { lr: 1.5, selectionF1: 0.9 },
      { lr: 1.5, selectionF1: null },
      { lr: 1, selectionF1: 0.7 },
      { lr: 1, selectionF1: 0.7 },
    ]);
    expect(got.lr).toBe(1); // dropping the diverged seed would have picked 1.5 (0.9 > 0.7)
    expect(got.scores.map((x) => x.lr)).toEqual([1, 1.5]);
    expect(got.scores[1].score).toBeCloseTo(0.45, 15);
    expect(
      bestLr([
        { lr: 2, selectionF1: 0.5 },
        { lr: 0.5, selectionF1: 0.5 },
      ]).lr,
    ).toBe(0.5);
  });

  it('with one learning rate the submission trains at it without waiting for (or reading) any run', async () => {
    const raw = manifest({ widths: [8], seeds: [0], lrs: [1.5] });
    await fixture(raw);
    const [s] = await runStage(mlpSubmitStage, { manifest: raw, key: `${INPUT}/submit-w8` });
    expect(existsSync(runDir('w8-s0-lr1.5'))).toBe(false);
    expect(JSON.parse(readFileSync(join(s.outDir, 'submit.json'), 'utf8')).lr_natural).toBe(1.5);
  });

  it('a diverging run is recorded in diverged.json (exit ok) with the lr to try; other runs untouched; the submission skips it', async () => {
    const raw = manifest({ widths: [64], seeds: [0], lrs: [1, 7] });
    await fixture(raw);
    await runStage(mlpStage, { manifest: raw, key: `${INPUT}/w64-s0-lr1` });
    const before = readFileSync(join(runDir('w64-s0-lr1'), 'metrics.json'), 'utf8');
    const [r] = await runStage(mlpStage, { manifest: raw, key: `${INPUT}/w64-s0-lr7` });
    expect(r.summary).toMatch(/^warning: toy-d6 w64-s0-lr7: run w64-s0-lr7 diverged at epoch \d+/);
    expect(readdirSync(runDir('w64-s0-lr7'))).toEqual(['diverged.json']);
    const rec = JSON.parse(readFileSync(join(runDir('w64-s0-lr7'), 'diverged.json'), 'utf8'));
    expect(rec.run).toBe('w64-s0-lr7');
    expect(rec.message).toMatch(/diverged at epoch \d+.*rerun with .*\b1\.75\b/); // the advice: a quarter of the lr
    expect(rec.loss).toBeGreaterThan(0);
    expect(rec.provenance).toMatchObject({ stage: 'mlp', key: `${INPUT}/w64-s0-lr7` });
    expect(readFileSync(join(runDir('w64-s0-lr1'), 'metrics.json'), 'utf8')).toBe(before);
    // lr 7 diverged (counts as fold-0 F1 0): the width's submission trains at lr 1.
    const [s] = await runStage(mlpSubmitStage, { manifest: raw, key: `${INPUT}/submit-w64` });
    expect(JSON.parse(readFileSync(join(s.outDir, 'submit.json'), 'utf8')).lr_natural).toBe(1);
  });

  it('afterKernel: kernel ridge with Θ̂_0 and Θ̂_T of the run, λ by the ntk CV grid and folds, eval and test scored; fold-0 selection nested', async () => {
    const raw = {
      ...manifest({ widths: [8], seeds: [0] }),
      mlp: { train: { epochs: 15 }, tracking: { size: 24, every: 5 }, afterKernel: true },
    };
    const fx = await fixture(raw);
    await runStage(mlpStage, { manifest: raw, key: `${INPUT}/w8-s0-lr1` });
    expect(readdirSync(runDir('w8-s0-lr1')).sort()).toEqual([
      'history.arrow',
      'metrics.json',
      'predictions-after-kernel.arrow',
      'predictions-init-kernel.arrow',
      'predictions.arrow',
    ]);
    const ak = metricsOf('w8-s0-lr1').after_kernel;
    const scores = (f: string) =>
      Array.from(
        readArtifact(join(runDir('w8-s0-lr1'), f), runPredictionsSchema)
          .table.getChild('score')!
          .toArray() as Float64Array,
      );
    // Θ̂_0-KRR recomputed here from the seeded initial network and the fixture's rows (scaled to norm √d)
    const part = (rs: number[]) => networkRows(fx, rs);
    const fitRows = fx.ids.map((_, i) => i).filter((i) => i % 5 !== 4),
      evalRows = fx.ids.map((_, i) => i).filter((i) => i % 5 === 4);
    const o = {
      lambdas: LAMBDAS,
      fold: Int8Array.from(fitRows, foldOf),
      selectBy: 'f1' as const,
      coding: 'pm1' as const,
      precision: 'float64' as const,
    };
    const net0 = initMlp(twoLayerSpec(D, 8, { parameterization: 'ntk', bias: false, sigmaB: 1 }), 0);
    const want = empiricalKernelRidge(net0, part(fitRows), part(evalRows), null, o);
    expect(ak.init.lambda).toBe(want.lambda);
    expect(ak.init.cv_f1).toBeCloseTo(want.cv.f1, 10);
    expect(ak.init.eval_f1).toBeCloseTo(want.eval!.f1, 10);
    expect(ak.init.selection.lambda).toBe(want.nested.lambda);
    expect(ak.init.selection.f1).toBeCloseTo(want.nested.f1, 10);
    scores('predictions-init-kernel.arrow')
      .slice(0, evalRows.length)
      .forEach((v, i) => expect(v).toBeCloseTo(want.evalScores![i], 3)); // the stage runs the kernel GEMMs in float32
    // the trained network's kernel is another kernel; its recorded eval accuracy is that of its stored scores
    expect(LAMBDAS).toContain(ak.final.lambda);
    const fin = scores('predictions-after-kernel.arrow');
    expect(fin).toHaveLength(evalRows.length + TEST_IDS.length);
    const yEval = evalRows.map((i) => (fx.t[i] ? 1 : -1));
    expect(mean(fin.slice(0, evalRows.length).map((v, i) => +((v > 0 ? 1 : -1) === yEval[i])))).toBeCloseTo(ak.final.eval_accuracy, 12);
    expect(ak.seconds).toBeGreaterThan(0);
    // Θ̂_T for selection: the kernel of the same network trained here on the fit rows outside fold 0 only
    const rest = fitRows.filter((i) => foldOf(i) !== 0),
      held = fitRows.filter((i) => foldOf(i) === 0);
    const v = trainTwoLayer(
      { X: part(rest).X, y: part(rest).y, Xeval: part(held).X, yeval: part(held).y },
      trainOptions({ width: 8, seed: 0, epochs: 15, trackFull: false, maxKernelBytes: 2 ** 31 }),
    );
    const heldOut = empiricalKernelRidge(v.network, part(fitRows), null, null, o).nested;
    expect(ak.final.selection.lambda).toBe(heldOut.lambda);
    expect(ak.final.selection.f1).toBeCloseTo(heldOut.f1, 10);
    // without train.validation the run still trains the fold-0 network, and records its score
    expect(metricsOf('w8-s0-lr1').validation).toMatchObject({ rows: held.length, f1: v.final.evalF1, epoch_fold: null });
  });

  it('train.validation early-stop: the epoch chosen on fold 1 (net fitted on the other folds), scored on fold 0, final net trained that long', async () => {
    const raw = {
      ...manifest({ widths: [8], seeds: [1] }),
      mlp: { train: { epochs: 25, validation: 'early-stop' }, tracking: { size: 24, every: 5 } },
    };
    const fx = await fixture(raw);
    await runStage(mlpStage, { manifest: raw, key: `${INPUT}/w8-s1-lr1` });
    const m = metricsOf('w8-s1-lr1');
    const fitRows = fx.ids.map((_, i) => i).filter((i) => i % 5 !== 4);
    const part = (rs: number[]) => networkRows(fx, rs);
    const heldOut = (f: number, epochs: number) => {
      const a = part(fitRows.filter((i) => foldOf(i) !== f)),
        b = part(fitRows.filter((i) => foldOf(i) === f));
      return trainTwoLayer(
        { X: a.X, y: a.y, Xeval: b.X, yeval: b.y },
        trainOptions({ width: 8, seed: 1, epochs, trackFull: false, maxKernelBytes: 2 ** 31 }),
      );
    };
    const inner = heldOut(1, 25);
    let best = inner.history[1];
    for (const h of inner.history) if (h.epoch >= 1 && h.evalF1! > best.evalF1!) best = h;
    const v = heldOut(0, best.epoch);
    expect(m.validation).toEqual({
      rows: fitRows.filter((i) => foldOf(i) === 0).length,
      accuracy: v.final.evalAccuracy,
      f1: v.final.evalF1,
      best_epoch: best.epoch,
      epochs_used: best.epoch,
      epoch_fold: 1,
    });
    // fold 0 did not choose the epoch: its own best epoch is another one here, so the test can tell
    const fold0 = heldOut(0, 25).history.filter((h) => h.epoch >= 1);
    expect(fold0.reduce((a, h) => (h.evalF1! > a.evalF1! ? h : a)).epoch).not.toBe(best.epoch);
    expect(m.epochs).toBe(best.epoch);
    const { table } = readArtifact(join(runDir('w8-s1-lr1'), 'history.arrow'), historySchema);
    expect(table.numRows).toBe(best.epoch + 1);
  });

  it('selection invariance: flipped eval labels turn every eval accuracy p into 1 − p and leave every fold-0 score, epoch, λ and rate', async () => {
    const raw = {
      ...manifest({ widths: [8], lrSweep: { widths: [8], lrs: [0.5] } }),
      mlp: { train: { epochs: 12, validation: 'early-stop' }, tracking: { size: 24, every: 5 }, afterKernel: true },
    };
    const runs = ['w8-s0-lr0.5', 'w8-s1-lr0.5', 'w8-s0-lr1', 'w8-s1-lr1'];
    const outcome = async (flipEval: boolean) => {
      await fixture(raw, { flipEval });
      await runStage(mlpStage, { manifest: raw });
      const [s] = await runStage(mlpSubmitStage, { manifest: raw, key: `${INPUT}/submit-w8` });
      const ms = runs.map(metricsOf);
      const sub = JSON.parse(readFileSync(join(s.outDir, 'submit.json'), 'utf8'));
      return {
        chosen: {
          validation: ms.map((m) => m.validation),
          kernels: ms.map((m) => [m.after_kernel.init.selection, m.after_kernel.final.selection, m.after_kernel.final.lambda]),
          lr: sub.lr_natural,
          scores: sub.selection.scores,
        },
        eval: ms.flatMap((m) => [m.eval_accuracy, m.after_kernel.init.eval_accuracy, m.after_kernel.final.eval_accuracy]),
      };
    };
    const a = await outcome(false),
      b = await outcome(true);
    expect(b.chosen).toEqual(a.chosen);
    b.eval.forEach((v, i) => expect(v).toBeCloseTo(1 - a.eval[i], 12));
    expect(a.eval.some((v) => Math.abs(v - 0.5) > 1e-9)).toBe(true); // so the flip did change them
  });

  it('tracking.dynamics: the predicted loss curves sit in history.arrow beside the actual ones, the worst deviation in metrics.json', async () => {
    const raw = {
      ...manifest({ widths: [64], seeds: [0] }),
      mlp: { train: { epochs: 15 }, tracking: { size: 24, every: 5, dynamics: true } },
    };
    await fixture(raw);
    await runStage(mlpStage, { manifest: raw, key: `${INPUT}/w64-s0-lr1` });
    const m = metricsOf('w64-s0-lr1');
    const { table } = readArtifact(join(runDir('w64-s0-lr1'), 'history.arrow'), historySchema);
    const col = (k: string) => Array.from({ length: table.numRows }, (_, i) => table.getChild(k)!.get(i) as number);
    let worstA = 0,
      worstE = 0;
    for (const [pred, actual] of [
      ['train_loss_pred_analytic', 'train_loss'],
      ['eval_loss_pred_analytic', 'eval_loss'],
      ['train_loss_pred_empirical', 'train_loss'],
      ['eval_loss_pred_empirical', 'eval_loss'],
    ]) {
      const p = col(pred),
        a = col(actual);
      expect(p[0]).toBeCloseTo(a[0], 5); // both start from the centred network's f₀ = 0
      expect(p[15]).toBeLessThan(p[0]); // c = 1 < 2: the predicted loss falls
      const dev = Math.max(...p.map((v, i) => Math.abs(v - a[i]) / a[i]));
      if (pred.endsWith('analytic')) worstA = Math.max(worstA, dev);
      else worstE = Math.max(worstE, dev);
    }
    expect(m.dynamics_max_rel_dev_analytic).toBeCloseTo(worstA, 12);
    expect(m.dynamics_max_rel_dev_empirical).toBeCloseTo(worstE, 12);
    // the baseline: the NNGP's prediction of the same run, a wrong kernel, strays further than Θ̂₀'s
    expect(m.dynamics_max_rel_dev_nngp).toBeGreaterThan(worstE);
  });

  it('model.activation erf: erf networks, Θ̂₀ against the erf NTK (small at width 4096), no relu-only constant, erf dynamics', async () => {
    const raw = {
      ...manifest({ widths: [4096], seeds: [0] }),
      mlp: { model: { activation: 'erf' }, train: { epochs: 15 }, tracking: { size: 24, every: 5, dynamics: true } },
    };
    const fx = await fixture(raw);
    await runStage(mlpStage, { manifest: raw, key: `${INPUT}/w4096-s0-lr1` });
    const m = metricsOf('w4096-s0-lr1');
    expect(m.provenance.config.model.activation).toBe('erf');
    const fitRows = fx.ids.map((_, i) => i).filter((i) => i % 5 !== 4);
    const want = independentInitError(fx, fitRows, 4096, 0, 'erf');
    expect(Math.abs(m.kernel_init_error - want) / want).toBeLessThan(1e-4);
    expect(m.kernel_init_error).toBeLessThan(0.05);
    expect(m.kernel_init_error_sqrt_m_predicted).toBeNull(); // relu's closed form only: never another network's number
    // the linearised dynamics from the erf Θ and Θ̂₀ track the wide network; the NNGP baseline strays further
    expect(m.dynamics_max_rel_dev_empirical).toBeLessThan(0.01);
    expect(m.dynamics_max_rel_dev_analytic).toBeLessThan(0.05);
    expect(m.dynamics_max_rel_dev_nngp).toBeGreaterThan(m.dynamics_max_rel_dev_analytic);
    expect(m.train_loss).toBeLessThan(0.5); // it learns (the centred network starts at loss 1/2)
  });

  it('names the missing upstream artifact', async () => {
    await expect(runStage(mlpStage, { manifest: manifest(GRID), key: `${INPUT}/w8-s0-lr1` })).rejects.toThrowError(
      /pca[/\\]toy-d6[/\\]train\.arrow: not found; rerun its stage: npx tangent pca --key toy-d6/,
    );
    expect(existsSync(join(dir, 'mlp'))).toBe(false);
  });
});

/** Three classes 'a', 'b', 'c': row i of 90 (ids 100..189) is class i mod 3, its coordinate c shifted by 1.5, rows of unit norm. */
const CLASSES = ['a', 'b', 'c'];
async function fixtureClasses(raw: Record<string, unknown>) {
  const m = resolveManifest(raw);
  const instances = pipelineInstances(m);
  const rows = (n: number, seed: number, classOf: (i: number) => number) => {
    const r = rng(seed),
      X = new Float32Array(n * D);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < D; j++) s += (X[i * D + j] = r.normal() + (j === classOf(i) ? 1.5 : 0)) ** 2;
      for (let j = 0; j < D; j++) X[i * D + j] /= Math.sqrt(s);
    }
    return X;
  };
  const ids = Array.from({ length: 90 }, (_, i) => 100 + i);
  const t = ids.map((_, i) => i % 3);
  const X = rows(90, 1, (i) => t[i]);
  const testT = TEST_IDS.map((_, i) => i % 3); // a labelled test split, as every dataset but the tweets has
  const schema = embeddingSchema(D);
  const table = (id: number[], target: number[], x: Float32Array, split: string) =>
    buildTable(schema, { id: Int32Array.from(id), split: id.map(() => split), target, embedding: fixedSizeListVector(x, D) });
  const extra = { classes: CLASSES };
  await publishOutputs({ name: 'pca', version: '1', outputs: ['train.arrow', 'test.arrow'] }, m, findInstance(instances, 'pca', INPUT)!, {
    files: [
      { name: 'train.arrow', schema, table: table(ids, t, X, 'train'), dtype: 'float32', seed: null, extra },
      {
        name: 'test.arrow',
        schema,
        table: table(
          TEST_IDS,
          testT,
          rows(5, 2, (i) => testT[i]),
          'test',
        ),
        dtype: 'float32',
        seed: null,
        extra,
      },
    ],
  });
  await publishNtk(m, instances, ids);
  return { ids, t, X };
}

/** (1/K) Σ_k Θ̂_kk on rows `rs` of the fixture (as the network sees them) from nn's block kernel of the seeded initial network. */
function traceKernel(fx: { X: Float32Array }, rs: number[], width: number, seed: number, K: number) {
  const s = Math.sqrt(D);
  const X = mat32(rs.length, D, Float32Array.from(rs.flatMap((i) => Array.from(fx.X.subarray(i * D, (i + 1) * D), (v) => v * s))));
  const T = empiricalNtkMlp(initMlp(twoLayerSpec(D, width, { parameterization: 'ntk', bias: false, sigmaB: 1 }, K), seed), X);
  const n = rs.length,
    out = mat64(n, n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) for (let k = 0; k < K; k++) out.data[i * n + j] += T.data[(i * K + k) * n * K + j * K + k] / K;
  return { X, theta: out };
}

describe('mlp stage on a 3-class input (K outputs)', () => {
  const raw = {
    ...manifest({ widths: [64], seeds: [0] }),
    mlp: { train: { epochs: 15, validation: 'score' }, tracking: { size: 24, every: 5, dynamics: true } },
  };

  it('trains a 3-output network: ΔΘ and Θ̂₀ error on the trace kernel, η from its λ_max, class scores and per-class predictions', async () => {
    const fx = await fixtureClasses(raw);
    await runStage(mlpStage, { manifest: raw, key: `${INPUT}/w64-s0-lr1` });
    expect(readdirSync(runDir('w64-s0-lr1')).sort()).toEqual(['history.arrow', 'metrics.json', 'predictions.arrow']);
    const m = metricsOf('w64-s0-lr1');
    const fitRows = fx.ids.map((_, i) => i).filter((i) => i % 5 !== 4),
      evalRows = fx.ids.map((_, i) => i).filter((i) => i % 5 === 4);
    expect(m).toMatchObject({ classes: CLASSES, n_fit: fitRows.length, n_eval: evalRows.length, tracked: 24, full_kernel: true });

    // η = c n / λ_max(Θ̂_tr,0) on all fit rows, Θ̂_tr from nn's block kernel of the seeded network
    const full = traceKernel(fx, fitRows, 64, 0, 3);
    const lmax = eigh(mat64(full.X.rows, full.X.rows, full.theta.data.slice())).values.at(-1)!;
    expect(m.lambda_max0 / lmax).toBeCloseTo(1, 5);
    expect(m.lr / (fitRows.length / lmax)).toBeCloseTo(1, 5);
    // Θ̂₀'s error on the tracked rows: Θ̂_tr,0 against the analytical Θ (of the one-output network)
    const tracked = Array.from(
      stratifiedSubset(
        Int8Array.from(fitRows, (i) => fx.t[i]),
        24,
        0,
      ),
      (a) => fitRows[a],
    );
    const sub = traceKernel(fx, tracked, 64, 0, 3);
    const want = relativeFrobeniusDistance(sub.theta, twoLayerAnalyticalKernel('relu')(sub.X));
    expect(m.kernel_init_error / want).toBeCloseTo(1, 4);
    // the predicted constant of the trace (E w̄⁴ = 1 + 2/K): below the one-output network's on the same rows
    const c3 = ntkRelu2InitErrorConstant(sub.X, 3).constant;
    expect(m.kernel_init_error_sqrt_m_predicted!).toBeCloseTo(c3, 10);
    expect(c3).toBeLessThan(ntkRelu2InitErrorConstant(sub.X).constant);

    // the history: centred start at 1/(2n) Σ ‖y_i‖² = K/2, ΔΘ on the trace kernel, predicted curves from Θ ⊗ I
    const { table: h } = readArtifact(join(runDir('w64-s0-lr1'), 'history.arrow'), historySchema);
    const col = (k: string) => Array.from({ length: h.numRows }, (_, i) => h.getChild(k)!.get(i) as number | null);
    expect(col('train_loss')[0]).toBeCloseTo(1.5, 6);
    expect(col('train_loss')[15]!).toBeLessThan(1);
    expect(col('delta_theta')[15]).toBeCloseTo(m.delta_theta, 12);
    expect(m.delta_theta).toBeGreaterThan(0);
    expect(col('alignment')[5]).not.toBeNull();
    expect(col('train_loss_pred_empirical')[0]).toBeCloseTo(1.5, 6);
    expect(m.dynamics_max_rel_dev_empirical).toBeLessThan(m.dynamics_max_rel_dev_nngp);

    // predictions.arrow: eval rows then test rows, the three outputs, the argmax class and its score
    const { table: pt, meta } = readArtifact(join(runDir('w64-s0-lr1'), 'predictions.arrow'), classRunPredictionsSchema(3));
    expect(meta.extra).toEqual({ classes: CLASSES });
    expect(Array.from(pt.getChild('id')!.toArray() as Int32Array)).toEqual([...evalRows.map((i) => fx.ids[i]), ...TEST_IDS]);
    const scores = Array.from({ length: pt.numRows }, (_, i) => Array.from(pt.getChild('scores')!.get(i)!.toArray() as Float64Array));
    const label = Array.from(pt.getChild('label')!.toArray() as Int8Array);
    scores.forEach((f, i) => {
      expect(label[i]).toBe(f.indexOf(Math.max(...f)));
      expect(pt.getChild('score')!.get(i)).toBe(f[label[i]]);
    });
    // the eval scores: accuracy, per-class recall and macro-F1 by brute force, and the eval loss
    const truth = evalRows.map((i) => fx.t[i]);
    const pred = label.slice(0, evalRows.length);
    expect(m.eval_accuracy).toBeCloseTo(mean(pred.map((p, i) => +(p === truth[i]))), 12);
    const f1 = CLASSES.map((_, c) => {
      const tp = pred.filter((p, i) => p === c && truth[i] === c).length,
        pos = truth.filter((v) => v === c).length;
      expect(m.eval_per_class_recall[c]).toBeCloseTo(tp / pos, 12);
      return (2 * tp) / (pos + pred.filter((p) => p === c).length);
    });
    expect(m.eval_macro_f1).toBeCloseTo(mean(f1), 12);
    expect(m.eval_f1).toBe(m.eval_macro_f1);
    const se = scores
      .slice(0, evalRows.length)
      .reduce((a, f, i) => a + f.reduce((b, v, k) => b + (v - (k === truth[i] ? 1 : -1)) ** 2, 0), 0);
    expect(se / (2 * evalRows.length)).toBeCloseTo(col('eval_loss')[15]!, 5);
    expect(m.train_accuracy).toBeGreaterThan(0.6); // three shifted classes: it learns
    expect(m.train_per_class_recall).toHaveLength(3);
    expect(m.train_macro_f1).toBeGreaterThan(0.5);
    // the fold-0 score counts rows, not rows × outputs
    expect(m.validation.rows).toBe(fitRows.filter((i) => foldOf(i) === 0).length);
  });

  it('refuses, with one line each, the after kernel and a Kaggle submission for K > 2 classes', async () => {
    await fixtureClasses(raw);
    const ak = { ...raw, mlp: { ...raw.mlp, afterKernel: true } };
    await expect(runStage(mlpStage, { manifest: ak, key: `${INPUT}/w64-s0-lr1` })).rejects.toThrowError(
      /train\.arrow: 3 classes; mlp\.afterKernel .* is binary so far: set mlp\.afterKernel: false/,
    );
    expect(existsSync(join(dir, 'mlp'))).toBe(false);
    await expect(runStage(mlpSubmitStage, { manifest: raw, key: `${INPUT}/submit-w64` })).rejects.toThrowError(
      /train\.arrow: 3 classes; a Kaggle submission is binary .* set mlp\.submission\.enabled: false/,
    );
  });
});
