/**
 * Stage 5 "mlp": one finite-width two-layer network per (embedder, d, width, seed, lr) instance,
 * trained on the ntk split's fit rows and scored on its eval rows with the empirical NTK tracked
 * → data/mlp/<input>/<run>/{history.arrow, metrics.json} (or diverged.json); then, per width,
 * "mlp-submit": a network trained on all of train at the width's best learning rate →
 * data/mlp/<input>/submit-w<width>/{submission.csv, submit.json}.
 */
import { buildTable } from '@tangent/arrow-io';
import { fail } from '@tangent/base';
import {
  cvSchema,
  defineStage,
  divergedSchema,
  krrMetricsSchema,
  runPredictionsFile,
  embeddingColumns,
  historySchema,
  readEmbeddings,
  readRunOutcome,
  runMetricsSchema,
  runPredictionsSchema,
  splitRows,
  splitSchema,
  submissionCsv,
  type Instance,
  type RunMetrics,
  type StageContext,
} from '@tangent/contracts';
import { decideLabels, mean } from '@tangent/kernels';
import type { Mat32, Mat64 } from '@tangent/linalg';
import { DivergenceError, initMlp } from '@tangent/nn';
import { empiricalKernelRidge, type EmpiricalKrr } from './after-kernel.ts';
import { mlpRunConfigSchema, mlpSubmitConfigSchema, trainSettings, type MlpShared } from './config.ts';
import { stratifiedSubset } from './tracked-subset.ts';
import { trainTwoLayer, twoLayerSpec, type HistoryRow, type PredictedDynamics, type TrainResult } from './train-two-layer.ts';

export const STAGE_VERSION = '3';

interface Features {
  ids: Int32Array;
  X: Mat32;
  /** ±1 labels (0 where the target is null). */
  y: Float32Array;
}

/** A pca artifact as network inputs: rows scaled per `model.inputScale`, targets as ±1. */
function readFeatures(ctx: StageContext<MlpShared>, split: 'train' | 'test'): Features {
  const pca = ctx.dep('pca');
  const { table, path } = ctx.readArrow(pca, `${split}.arrow`, embeddingColumns);
  const e = readEmbeddings(table, path, split);
  const X: Mat32 = { rows: e.rows, cols: e.dim, data: e.values };
  const y = Float32Array.from(e.target, (t) => (t === null ? 0 : t > 0 ? 1 : -1)); // ±1 coding, as in kernel regression
  if (ctx.config.model.inputScale === 'sqrt_d') {
    const s = Math.sqrt(X.cols);
    for (let i = 0; i < X.data.length; i++) X.data[i] *= s;
  }
  return { ids: e.ids, X, y };
}

function rows(X: Mat32, idx: Int32Array): Mat32 {
  const c = X.cols,
    out = new Float32Array(idx.length * c);
  idx.forEach((r, i) => out.set(X.data.subarray(r * c, (r + 1) * c), i * c));
  return { rows: idx.length, cols: c, data: out };
}

export interface Prepared {
  /** `fold`: the ntk split's CV fold (0..k−1) of each fit row. */
  fit: { X: Mat32; y: Float32Array; fold: Int8Array };
  eval: { X: Mat32; y: Float32Array; ids: Int32Array };
  all: Features;
}

/** Fit/eval rows of train according to the ntk stage's split (train on 'fit', evaluate on 'eval'). */
export function prepareData(ctx: StageContext<MlpShared>): Prepared {
  const all = readFeatures(ctx, 'train');
  const ntk = ctx.dep('ntk');
  const { table, path } = ctx.readArrow(ntk, 'split.arrow', splitSchema);
  const split = splitRows(table, path);
  const fitIdx: number[] = [],
    evalIdx: number[] = [];
  for (let i = 0; i < all.ids.length; i++) {
    const row = split.index.get(all.ids[i]);
    if (row === undefined) fail(`${path}: train id ${all.ids[i]} has no fit/eval role; rerun the ntk stage on the same features`);
    (split.role[row] === 'fit' ? fitIdx : evalIdx).push(i);
  }
  if (fitIdx.length === 0 || evalIdx.length === 0)
    fail(`${path}: needs both 'fit' and 'eval' rows, got ${fitIdx.length} and ${evalIdx.length}`);
  const fi = Int32Array.from(fitIdx),
    ei = Int32Array.from(evalIdx);
  return {
    fit: {
      X: rows(all.X, fi),
      y: Float32Array.from(fi, (i) => all.y[i]),
      fold: Int8Array.from(fi, (i) => split.fold[split.index.get(all.ids[i])!]),
    },
    eval: { X: rows(all.X, ei), y: Float32Array.from(ei, (i) => all.y[i]), ids: Int32Array.from(ei, (i) => all.ids[i]) },
    all,
  };
}

/** The analytical NTK with the network's scaling (two layers, σ_w = 1, no bias), float64. */
async function analyticalKernel(c: MlpShared): Promise<((X: Mat32, Z?: Mat32) => Mat64) | undefined> {
  if (c.model.parameterization !== 'ntk' || c.model.bias) return undefined; // the b = 0 start has no closed-form counterpart here
  const { ntkGram } = await import('@tangent/kernels');
  return (X, Z) => ntkGram(X, Z, { depth: 2, sigmaW: 1, sigmaB: 0 });
}

function historyTable(h: HistoryRow[], dyn: PredictedDynamics | null) {
  const col = (f: (r: HistoryRow) => number | null) => h.map(f);
  const pred = (curve: Float64Array | null | undefined) => h.map((r) => (curve ? curve[r.epoch] : null));
  return buildTable(historySchema, {
    epoch: Int32Array.from(h, (r) => r.epoch),
    train_loss: Float64Array.from(h, (r) => r.trainLoss),
    train_accuracy: Float64Array.from(h, (r) => r.trainAccuracy),
    train_f1: Float64Array.from(h, (r) => r.trainF1),
    eval_loss: col((r) => r.evalLoss),
    eval_accuracy: col((r) => r.evalAccuracy),
    eval_f1: col((r) => r.evalF1),
    delta_theta: col((r) => r.deltaTheta),
    lambda_max: col((r) => r.lambdaMax),
    alignment: col((r) => r.alignment),
    train_loss_pred_analytic: pred(dyn?.analytic?.train),
    eval_loss_pred_analytic: pred(dyn?.analytic?.eval),
    train_loss_pred_empirical: pred(dyn?.empirical?.train),
    eval_loss_pred_empirical: pred(dyn?.empirical?.eval),
  });
}

/** predictions.arrow: the eval rows then the test rows, scored by the one fit-rows-trained network. */
export function predictionsTable(evalIds: Int32Array, evalScores: ArrayLike<number>, testIds: Int32Array, testScores: ArrayLike<number>) {
  const n = evalIds.length + testIds.length;
  const id = new Int32Array(n),
    score = new Float64Array(n);
  id.set(evalIds);
  id.set(testIds, evalIds.length);
  score.set(evalScores);
  score.set(testScores, evalIds.length);
  const split = Array.from({ length: n }, (_, i) => (i < evalIds.length ? 'eval' : 'test'));
  return buildTable(runPredictionsSchema, { id, split, score });
}

const finiteOrNull = (v: number | null | undefined): number | null => (v != null && Number.isFinite(v) ? v : null);

type Settings = { width: number; seed: number; lrScale: number } & ReturnType<typeof trainSettings>;

/**
 * train.validation: the same network trained on the fit rows outside CV fold 0 of the ntk split,
 * scored on fold 0 every epoch (no kernel tracking). The eval split is not touched.
 */
function validate(d: Prepared, s: Settings, mode: 'score' | 'early-stop', label: string): NonNullable<RunMetrics['validation']> {
  const inner: number[] = [],
    held: number[] = [];
  d.fit.fold.forEach((f, i) => (f === 0 ? held : inner).push(i));
  if (!held.length || !inner.length)
    fail(`ntk split: CV fold 0 holds ${held.length} of ${d.fit.fold.length} fit rows; train.validation needs rows on both sides`);
  const part = (idx: number[]) => ({ X: rows(d.fit.X, Int32Array.from(idx)), y: Float32Array.from(idx, (i) => d.fit.y[i]) });
  const a = part(inner),
    b = part(held);
  const v = trainTwoLayer({ X: a.X, y: a.y, Xeval: b.X, yeval: b.y }, { ...s, trackFull: false, tracked: null, label });
  // early stopping: the first epoch ≥ 1 with the best fold-0 F1 (epoch 0 of a centred net predicts 0 everywhere)
  const fromOne = v.history.filter((h) => h.epoch >= 1);
  const best = fromOne.length ? fromOne.reduce((b, h) => (h.evalF1! > b.evalF1! ? h : b)) : v.final; // strict: ties keep the earlier epoch
  const used = mode === 'early-stop' ? best : v.final;
  return { rows: held.length, accuracy: used.evalAccuracy!, f1: used.evalF1!, best_epoch: best.epoch, epochs_used: used.epoch };
}

/** mlp.afterKernel: kernel ridge with Θ̂_0 and Θ̂_T of this run's network, λ by the ntk stage's CV. */
function afterKernels(ctx: StageContext<MlpShared>, d: Prepared, Xtest: Mat32, r: TrainResult, s: Settings) {
  const ntk = ctx.dep('ntk');
  const km = ctx.readJson(ntk, 'metrics.json', krrMetricsSchema);
  const cv = ctx.readArrow(ntk, 'cv.arrow', cvSchema(km.cv.folds)).table;
  const lambdas = Array.from(cv.getChild('lambda')!.toArray() as Float64Array);
  const o = {
    lambdas,
    fold: d.fit.fold,
    selectBy: km.select_by,
    coding: km.label_coding,
    precision: ctx.config.tracking.precision,
    maxBytes: ctx.config.tracking.maxKernelBytes,
  };
  const init = initMlp(twoLayerSpec(d.fit.X.cols, s.width, s), s.seed); // θ₀: the seeded draw is reproducible
  return {
    init: empiricalKernelRidge(init, d.fit, d.eval, Xtest, o),
    final: empiricalKernelRidge(r.network, d.fit, d.eval, Xtest, o),
  };
}

const krrOutcome = (k: EmpiricalKrr) => ({
  lambda: k.lambda,
  cv_accuracy: k.cv.accuracy,
  cv_f1: k.cv.f1,
  eval_accuracy: k.eval!.accuracy,
  eval_f1: k.eval!.f1,
});

/** `w4096-s0-lr1`, or `mup/w4096-s0-lr1` for a regime's run: its instance key after the input. */
const runName = (inst: Instance): string => inst.key.split('/').slice(1).join('/');

/** One (width, seed, lr) run: train, then history.arrow and metrics.json; a divergence is recorded in diverged.json. */
export const mlpStage = defineStage({
  name: 'mlp',
  version: STAGE_VERSION,
  description: 'finite-width two-layer MLPs in NTK parameterisation with empirical-NTK tracking -> data/mlp/<input>/<run>/',
  configSchema: mlpRunConfigSchema,
  inputs: ['pca', 'ntk'],
  outputs: [
    'history.arrow',
    runPredictionsFile('network'),
    runPredictionsFile('after-kernel'),
    runPredictionsFile('init-kernel'),
    'metrics.json',
    'diverged.json',
  ],
  async run(ctx) {
    const c = ctx.config;
    const { width, seed, lr } = c.run;
    const id = runName(ctx.instance);
    const d = prepareData(ctx);
    const test = readFeatures(ctx, 'test');
    const tracked = stratifiedSubset(d.fit.y, Math.min(c.tracking.size, d.fit.X.rows), c.tracking.seed);
    const analytical = await analyticalKernel(c);
    const settings = { width, seed, lrScale: lr, ...trainSettings(c) };
    let r: TrainResult;
    let validation: RunMetrics['validation'] = null;
    try {
      let epochs = c.train.epochs;
      if (c.train.validation !== 'none') {
        validation = validate(d, settings, c.train.validation, `mlp ${c.input} ${id} (validation)`);
        if (c.train.validation === 'early-stop') epochs = validation.epochs_used;
      }
      r = trainTwoLayer(
        { X: d.fit.X, y: d.fit.y, Xeval: d.eval.X, yeval: d.eval.y, Xtest: test.X },
        { ...settings, epochs, tracked, analytical, dynamics: c.tracking.dynamics, label: `mlp ${c.input} ${id}` },
      );
    } catch (e) {
      if (!(e instanceof DivergenceError)) throw e;
      // A diverged run is a finding of the sweep (recorded, skipped by the summaries), not a failure.
      const rec = divergedSchema.parse({ run: id, message: e.message, epoch: e.epoch, lr: e.lr, loss: e.loss });
      return { files: [{ name: 'diverged.json', json: rec, seed }], summary: `warning: ${c.input} ${id}: ${e.message}` };
    }
    const ak = c.afterKernel ? afterKernels(ctx, d, test.X, r, settings) : null;
    let best: HistoryRow | null = null;
    for (const h of r.history) if (h.evalAccuracy !== null && (!best || h.evalAccuracy > best.evalAccuracy!)) best = h;
    const m: RunMetrics = {
      run: id,
      width,
      seed,
      lr_natural: r.lrNatural,
      lr: r.lr,
      lambda_max0: r.lambdaMax0,
      lambda_max_source: r.lambdaMaxSource,
      epochs: r.history[r.history.length - 1].epoch,
      batch_size: c.train.batchSize,
      n_fit: d.fit.X.rows,
      n_eval: d.eval.X.rows,
      d: d.fit.X.cols,
      tracked: r.trackedSize,
      full_kernel: r.fullKernel,
      kernel_init_error: r.kernelInitError,
      delta_theta: r.deltaThetaFinal,
      delta_theta_full: r.deltaThetaFullFinal,
      train_loss: r.final.trainLoss,
      train_accuracy: r.final.trainAccuracy,
      eval_accuracy: r.final.evalAccuracy,
      eval_f1: r.final.evalF1,
      best_eval_accuracy: best?.evalAccuracy ?? null,
      best_eval_epoch: best?.epoch ?? null,
      validation,
      after_kernel: ak && {
        init: krrOutcome(ak.init),
        final: krrOutcome(ak.final),
        seconds: +(ak.init.seconds + ak.final.seconds).toFixed(2),
      },
      seconds: +r.seconds.toFixed(2),
      // above c = 2 the linearised prediction itself blows up and may overflow: no finite deviation then
      dynamics_max_rel_dev_analytic: finiteOrNull(r.dynamics?.maxRelDevAnalytic),
      dynamics_max_rel_dev_empirical: finiteOrNull(r.dynamics?.maxRelDevEmpirical),
    };
    const f = (v: number | null, p = 4) => (v === null ? '-' : v.toPrecision(p));
    return {
      files: [
        {
          name: 'history.arrow',
          schema: historySchema,
          table: historyTable(r.history, r.dynamics),
          dtype: 'float32 (training), float64 (kernels)',
          seed,
          extra: m,
        },
        {
          name: runPredictionsFile('network'),
          schema: runPredictionsSchema,
          table: predictionsTable(d.eval.ids, r.evalPredictions!, test.ids, r.testPredictions!),
          dtype: 'float32 (network output, stored as float64)',
          seed,
        },
        ...(ak
          ? (['init', 'final'] as const).map((k) => ({
              name: runPredictionsFile(k === 'init' ? 'init-kernel' : 'after-kernel'),
              schema: runPredictionsSchema,
              table: predictionsTable(d.eval.ids, ak[k].evalScores!, test.ids, ak[k].testScores!),
              dtype: 'float64 (kernel ridge on the empirical NTK)',
              seed,
            }))
          : []),
        { name: 'metrics.json', json: runMetricsSchema.parse(m), dtype: 'float32 (training), float64 (kernels)', seed },
      ],
      summary: `${c.input} ${id}: eval accuracy ${f(m.eval_accuracy)}, ΔΘ ${f(m.delta_theta, 3)}, init error ${f(m.kernel_init_error, 3)}, η ${f(m.lr)}, ${m.seconds}s${r.dynamics ? `; dynamics: max rel. deviation ${f(m.dynamics_max_rel_dev_analytic, 3)} (Θ), ${f(m.dynamics_max_rel_dev_empirical, 3)} (Θ̂_0), ${r.dynamics.seconds.toFixed(1)}s` : ''}`,
    };
  },
});

/** The learning rate (natural units) with the best mean final eval accuracy over seeds; a diverged run counts as 0. */
export function bestLr(outcomes: Array<{ lr: number; evalAccuracy: number | null }>): number {
  if (!outcomes.length) fail('internal: no runs to choose a learning rate from');
  const byLr = new Map<number, number[]>();
  for (const o of outcomes) byLr.set(o.lr, [...(byLr.get(o.lr) ?? []), o.evalAccuracy ?? 0]);
  return [...byLr.entries()].sort((a, b) => mean(b[1]) - mean(a[1]) || a[0] - b[0])[0][0];
}

/** Per width: train on ALL of train at the best lr and write the Kaggle submission. */
export const mlpSubmitStage = defineStage({
  name: 'mlp-submit',
  version: STAGE_VERSION,
  description: "per width: a network trained on all of train at the width's best learning rate -> data/mlp/<input>/submit-w<width>/",
  configSchema: mlpSubmitConfigSchema,
  inputs: ['pca', 'mlp'],
  outputs: ['submission.csv', 'submit.json'],
  async run(ctx) {
    const c = ctx.config;
    // one learning rate: nothing to choose (the instance then does not wait for the runs)
    const lr =
      c.lrs.length === 1
        ? c.lrs[0]
        : bestLr(ctx.deps('mlp').map((run) => ({ lr: run.point.lr!, evalAccuracy: readRunOutcome(ctx, run)?.eval_accuracy ?? null })));
    const all = readFeatures(ctx, 'train');
    const test = readFeatures(ctx, 'test');
    const r = trainTwoLayer(
      { X: all.X, y: all.y, Xtest: test.X },
      {
        width: c.width,
        seed: c.submission.seed,
        lrScale: lr,
        ...trainSettings(c),
        tracked: null,
        label: `mlp submission ${c.input} w${c.width}`,
      },
    );
    const labels = decideLabels(r.testPredictions!, 'pm1');
    return {
      files: [
        { name: 'submission.csv', text: submissionCsv(test.ids, labels) },
        {
          name: 'submit.json',
          json: { width: c.width, lr_natural: lr, seed: c.submission.seed, rows: test.ids.length },
          seed: c.submission.seed,
        },
      ],
      summary: `${c.input} submit-w${c.width}: ${test.ids.length} rows (lr ${lr}) -> ${ctx.outDir}/submission.csv`,
    };
  },
});
