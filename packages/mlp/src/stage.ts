/**
 * Stage 5 "mlp": one finite-width two-layer network (φ: model.activation) per (embedder, d, width, seed, lr) instance,
 * trained on the ntk split's fit rows and scored on its eval rows with the empirical NTK tracked
 * → data/mlp/<input>/<run>/{history.arrow, metrics.json} (or diverged.json); then, per width,
 * "mlp-submit": a network trained on all of train at the width's best learning rate →
 * data/mlp/<input>/submit-w<width>/{submission.csv, submit.json}.
 *
 * K > 2 classes (the pca artifacts' provenance names them): networks with K outputs on one-vs-rest
 * ±1 targets, the ntk stage's coding (train-two-layer.ts, output-trace.ts); metrics.json adds the
 * classes, macro-F1 and per-class recall (runMetricsSchema's class fields; eval_f1 and the history's f1
 * columns are macro-F1, as the ntk stage's f1 for K > 2) and predictions.arrow the K scores
 * (classRunPredictionsSchema). A binary task keeps its one ±1 output and every file as it was.
 */
import { buildTable, fixedSizeListVector } from '@tangent/arrow-io';
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
  mlpNode,
  mlpSubmitNode,
  classRunPredictionsSchema,
} from '@tangent/contracts';
import {
  EPOCH_FOLD,
  SELECTION_FOLD,
  SELECTION_RULE,
  chooseBest,
  configurationScore,
  decideLabels,
  earlyStoppingEpoch,
  foldSplit,
  ntkRelu2InitErrorConstant,
  type KernelKind,
  type MulticlassMetrics,
  type NestedRidgeChoice,
} from '@tangent/kernels';
import { gatherRows, type Mat32, type Mat64 } from '@tangent/linalg';
import { DivergenceError, initMlp, type Mlp } from '@tangent/nn';
import { empiricalKernelRidge, type EmpiricalKrr } from './after-kernel.ts';
import { twoLayerAnalyticalKernel } from './analytical-kernel.ts';
import { mlpRunConfigSchema, mlpSubmitConfigSchema, trainSettings, type MlpShared } from './config.ts';
import { kernelLossDeviation } from './linearised-dynamics.ts';
import { argmaxRows, gatherTargetRows, oneVsRestTargets } from './multiclass.ts';
import { stratifiedSubset } from './tracked-subset.ts';
import { trainTwoLayer, twoLayerSpec, type HistoryRow, type PredictedDynamics, type TrainResult } from './train-two-layer.ts';

export const STAGE_VERSION = '4';

interface Features {
  ids: Int32Array;
  X: Mat32;
  /** Targets, rows × outputs: binary, the ±1 labels; K > 2 classes, one-vs-rest ±1 rows (zeros where the target is null). */
  y: Float32Array;
  /** The network's outputs: 1 for two classes, K for K > 2. */
  outputs: number;
  /** The class names, index = class (['0', '1'] for the tweets). */
  classes: string[];
  /** The class index of each row (−1 where the target is null). */
  label: Int8Array;
}

/** The most classes the Int8 label columns hold. */
const MAX_CLASSES = 127;

/** A pca artifact as network inputs: rows scaled per `model.inputScale`, targets as ±1 (K > 2 classes: one-vs-rest ±1 rows). */
function readFeatures(ctx: StageContext<MlpShared>, split: 'train' | 'test'): Features {
  const pca = ctx.dep('pca');
  const { table, path, meta } = ctx.readArrow(pca, `${split}.arrow`, embeddingColumns);
  const e = readEmbeddings(table, path, split, meta);
  const K = e.classes.length;
  if (K > MAX_CLASSES) fail(`${path}: ${K} classes; the networks' label columns hold at most ${MAX_CLASSES}`);
  const X: Mat32 = { rows: e.rows, cols: e.dim, data: e.values };
  const y =
    K === 2
      ? Float32Array.from(e.target, (t) => (t === null ? 0 : t > 0 ? 1 : -1)) // ±1 coding, as in kernel regression
      : oneVsRestTargets(e.target, K); // the ntk stage's one-vs-rest ±1 coding
  if (ctx.config.model.inputScale === 'sqrt_d') {
    const s = Math.sqrt(X.cols);
    for (let i = 0; i < X.data.length; i++) X.data[i] *= s;
  }
  const label = Int8Array.from(e.target, (t) => t ?? -1);
  return { ids: e.ids, X, y, outputs: K === 2 ? 1 : K, classes: e.classes, label };
}

export interface Prepared {
  /** `fold`: the ntk split's CV fold (0..k−1) of each fit row; `label` its class index. */
  fit: { X: Mat32; y: Float32Array; fold: Int8Array; label: Int8Array };
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
      X: gatherRows(all.X, fi),
      y: gatherTargetRows(all.y, all.outputs, fi),
      fold: Int8Array.from(fi, (i) => split.fold[split.index.get(all.ids[i])!]),
      label: Int8Array.from(fi, (i) => all.label[i]),
    },
    eval: { X: gatherRows(all.X, ei), y: gatherTargetRows(all.y, all.outputs, ei), ids: Int32Array.from(ei, (i) => all.ids[i]) },
    all,
  };
}

/**
 * The analytical NTK (or NNGP: the dynamics' baseline kernel) of the run's φ with the network's
 * scaling (two layers, σ_w = 1, no bias), float64 (analytical-kernel.ts).
 */
function analyticalKernel(c: MlpShared, kind: KernelKind = 'ntk'): ((X: Mat32, Z?: Mat32) => Mat64) | undefined {
  if (c.model.parameterization !== 'ntk' || c.model.bias) return undefined; // the b = 0 start has no closed-form counterpart here
  return twoLayerAnalyticalKernel(c.model.activation, kind);
}

/**
 * C of E[m·err²] = C² for Θ̂₀'s error on the tracked rows (@tangent/kernels ntk-relu2-variance.ts;
 * with K outputs, of the trace over them): closed-form for the relu network only. For another φ, Var τ needs E[φ(u)²φ(v)²] and
 * E[φ(u)φ'(u)φ(v)φ'(v)], which for erf have no closed form (a 2-d quadrature per pair, ~10⁶ pairs
 * on the default subset), so it is null there rather than a number for another network.
 */
function initErrorConstant(c: MlpShared, trackedRows: Mat32, outputs: number): number | null {
  return c.model.activation === 'relu' ? ntkRelu2InitErrorConstant(trackedRows, outputs).constant : null;
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

/** The rows of predictions.arrow: the eval ids ('eval') then the test ids ('test'). */
function predictionRows(evalIds: Int32Array, testIds: Int32Array): { id: Int32Array; split: string[] } {
  const n = evalIds.length + testIds.length;
  const id = new Int32Array(n);
  id.set(evalIds);
  id.set(testIds, evalIds.length);
  return { id, split: Array.from({ length: n }, (_, i) => (i < evalIds.length ? 'eval' : 'test')) };
}

/** predictions.arrow: the eval rows then the test rows, scored by the one fit-rows-trained network. */
export function predictionsTable(evalIds: Int32Array, evalScores: ArrayLike<number>, testIds: Int32Array, testScores: ArrayLike<number>) {
  const score = new Float64Array(evalIds.length + testIds.length);
  score.set(evalScores);
  score.set(testScores, evalIds.length);
  return buildTable(runPredictionsSchema, { ...predictionRows(evalIds, testIds), score });
}

/** The K-class predictions.arrow (classRunPredictionsSchema): eval rows then test rows, n × K scores each. */
export function classPredictionsTable(
  evalIds: Int32Array,
  evalScores: Float32Array,
  testIds: Int32Array,
  testScores: Float32Array,
  K: number,
) {
  const n = evalIds.length + testIds.length;
  const scores = new Float64Array(n * K);
  scores.set(evalScores);
  scores.set(testScores, evalScores.length);
  const label = argmaxRows(scores, K);
  return buildTable(classRunPredictionsSchema(K), {
    ...predictionRows(evalIds, testIds),
    score: Float64Array.from(label, (c, i) => scores[i * K + c]),
    label,
    scores: fixedSizeListVector(scores, K),
  });
}

const recalls = (v: number[]) => v.map((r) => (Number.isFinite(r) ? r : null)); // NaN: a class without rows

/** The K-class fields of metrics.json from the final network's scores. */
function classFields(classes: string[], c: { train: MulticlassMetrics; eval: MulticlassMetrics | null }) {
  return {
    classes,
    train_macro_f1: c.train.macroF1,
    train_per_class_recall: recalls(c.train.perClassRecall),
    eval_macro_f1: c.eval?.macroF1 ?? null,
    eval_per_class_recall: c.eval ? recalls(c.eval.perClassRecall) : null,
  };
}

const finiteOrNull = (v: number | null | undefined): number | null => (v != null && Number.isFinite(v) ? v : null);

type Settings = { width: number; seed: number; lrScale: number } & ReturnType<typeof trainSettings>;

/** Fit rows `idx` as a training or held-out set. */
function fitPart(data: Prepared, idx: number[]): { X: Mat32; y: Float32Array } {
  return { X: gatherRows(data.fit.X, idx), y: gatherTargetRows(data.fit.y, data.all.outputs, idx) };
}

/** The same network trained on the fit rows outside CV fold `heldOut`, scored on that fold every epoch (no kernel tracking). */
function trainHeldOut(data: Prepared, s: Settings, heldOut: number, epochs: number, label: string): TrainResult {
  const { held, rest } = foldSplit(data.fit.fold, heldOut);
  const a = fitPart(data, rest),
    b = fitPart(data, held);
  return trainTwoLayer(
    { X: a.X, y: a.y, Xeval: b.X, yeval: b.y, outputs: data.all.outputs },
    { ...s, epochs, trackFull: false, tracked: null, label },
  );
}

type Validation = NonNullable<RunMetrics['validation']>;

/**
 * train.validation, a network's score under the selection protocol (@tangent/kernels
 * selection-protocol.ts): the same network fitted on the fit rows outside CV fold 0 and scored
 * on fold 0. Under 'early-stop' its epoch count is chosen first, on fold 1 by a network fitted on
 * the other folds, so fold 0 scores a choice it did not make. The eval split is not touched.
 * Returns the fold-0 network too (the after kernel's Θ̂_T for selection comes from it).
 */
function validate(data: Prepared, s: Settings, mode: 'score' | 'early-stop', label: string): { metrics: Validation; network: Mlp } {
  let epochs = s.epochs;
  if (mode === 'early-stop') {
    const inner = trainHeldOut(data, s, EPOCH_FOLD, s.epochs, `${label}, epochs on fold ${EPOCH_FOLD}`);
    epochs = earlyStoppingEpoch(inner.history.map((h) => ({ epoch: h.epoch, f1: h.evalF1! })));
  }
  const v = trainHeldOut(data, s, SELECTION_FOLD, epochs, label);
  const metrics: Validation = {
    rows: v.evalPredictions!.length / v.outputs,
    accuracy: v.final.evalAccuracy!,
    f1: v.final.evalF1!,
    best_epoch: epochs,
    epochs_used: epochs,
    epoch_fold: mode === 'early-stop' ? EPOCH_FOLD : null,
  };
  return { metrics, network: v.network };
}

/**
 * mlp.afterKernel: kernel ridge with Θ̂_0 and Θ̂_T of this run's network, λ by the ntk stage's CV,
 * for the eval and test rows; and each one's selection score on fold 0 (nested λ), Θ̂_T there
 * taken from the fold-0 validation network, which never saw fold 0's labels.
 */
function afterKernels(ctx: StageContext<MlpShared>, data: Prepared, Xtest: Mat32, r: TrainResult, s: Settings, heldOutNet: Mlp) {
  const ntk = ctx.dep('ntk');
  const km = ctx.readJson(ntk, 'metrics.json', krrMetricsSchema);
  const cv = ctx.readArrow(ntk, 'cv.arrow', cvSchema(km.cv.folds)).table;
  const lambdas = Array.from(cv.getChild('lambda')!.toArray() as Float64Array);
  const o = {
    lambdas,
    fold: data.fit.fold,
    selectBy: km.select_by,
    coding: km.label_coding,
    precision: ctx.config.tracking.precision,
    maxBytes: ctx.config.tracking.maxKernelBytes,
  };
  const init = initMlp(twoLayerSpec(data.fit.X.cols, s.width, s), s.seed); // θ₀: the seeded draw is reproducible
  const i0 = empiricalKernelRidge(init, data.fit, data.eval, Xtest, o);
  const fT = empiricalKernelRidge(r.network, data.fit, data.eval, Xtest, o);
  const heldOut = empiricalKernelRidge(heldOutNet, data.fit, null, null, o);
  return {
    init: { ...i0, selection: i0.nested },
    final: { ...fT, selection: heldOut.nested },
    seconds: i0.seconds + fT.seconds + heldOut.seconds,
  };
}

const krrOutcome = (k: EmpiricalKrr & { selection: NestedRidgeChoice }) => ({
  lambda: k.lambda,
  cv_accuracy: k.cv.accuracy,
  cv_f1: k.cv.f1,
  eval_accuracy: k.eval!.accuracy,
  eval_f1: k.eval!.f1,
  selection: { lambda: k.selection.lambda, accuracy: k.selection.accuracy, f1: k.selection.f1 },
});

/** `w4096-s0-lr1`, or `mup/w4096-s0-lr1` for a regime's run: its instance key after the input. */
const runName = (inst: Instance): string => inst.key.split('/').slice(1).join('/');

/** One (width, seed, lr) run: train, then history.arrow and metrics.json; a divergence is recorded in diverged.json. */
export const mlpStage = defineStage(mlpNode, {
  version: STAGE_VERSION,
  configSchema: mlpRunConfigSchema,
  async run(ctx) {
    const c = ctx.config;
    const { width, seed, lr } = c.run;
    const id = runName(ctx.instance);
    const data = prepareData(ctx);
    const K = data.all.outputs;
    if (K > 1 && c.afterKernel)
      fail(
        `${ctx.path(ctx.dep('pca'), 'train.arrow')}: ${K} classes; mlp.afterKernel (kernel ridge with the run's Θ̂_0 and Θ̂_T) is binary so far: set mlp.afterKernel: false in this dataset's profile`,
      );
    const test = readFeatures(ctx, 'test');
    // stratified by class: the ±1 labels (binary, as always), the class indices for K > 2
    const tracked = stratifiedSubset(K === 1 ? data.fit.y : data.fit.label, Math.min(c.tracking.size, data.fit.X.rows), c.tracking.seed);
    const analytical = analyticalKernel(c);
    const settings = { width, seed, lrScale: lr, ...trainSettings(c) };
    let r: TrainResult;
    let held: ReturnType<typeof validate> | null = null;
    // the after kernel's selection score needs the fold-0 network, so it trains one without train.validation too
    const mode = c.train.validation !== 'none' ? c.train.validation : c.afterKernel ? 'score' : null;
    try {
      if (mode) held = validate(data, settings, mode, `mlp ${c.input} ${id} (validation)`);
      const epochs = held ? held.metrics.epochs_used : c.train.epochs;
      r = trainTwoLayer(
        { X: data.fit.X, y: data.fit.y, Xeval: data.eval.X, yeval: data.eval.y, Xtest: test.X, outputs: K },
        { ...settings, epochs, tracked, analytical, dynamics: c.tracking.dynamics, label: `mlp ${c.input} ${id}` },
      );
    } catch (e) {
      if (!(e instanceof DivergenceError)) throw e;
      // A diverged run is a finding of the sweep (recorded, skipped by the summaries), not a failure.
      const rec = divergedSchema.parse({ run: id, message: e.message, epoch: e.epoch, lr: e.lr, loss: e.loss });
      return { files: [{ name: 'diverged.json', json: rec, seed }], summary: `warning: ${c.input} ${id}: ${e.message}` };
    }
    const validation = held?.metrics ?? null;
    const ak = c.afterKernel ? afterKernels(ctx, data, test.X, r, settings, held!.network) : null;
    // the predicted dynamics' baseline: the same prediction from the NNGP, a kernel known to be wrong here
    const nngp = r.dynamics ? analyticalKernel(c, 'nngp') : undefined;
    const fitEval = { X: data.fit.X, y: data.fit.y, Xeval: data.eval.X, yeval: data.eval.y, outputs: K };
    const nngpDev = nngp ? kernelLossDeviation(nngp, fitEval, r.lr, r.history[r.history.length - 1].epoch, r.history).maxRelDev : null;
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
      n_fit: data.fit.X.rows,
      n_eval: data.eval.X.rows,
      d: data.fit.X.cols,
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
      dynamics_max_rel_dev_nngp: finiteOrNull(nngpDev),
      // the binary network's constant: Θ̂_tr of K outputs fluctuates less (output-trace.ts)
      kernel_init_error_sqrt_m_predicted: analytical ? initErrorConstant(c, gatherRows(data.fit.X, tracked), K) : null,
    };
    const metrics = r.classes ? runMetricsSchema.parse({ ...m, ...classFields(data.all.classes, r.classes) }) : runMetricsSchema.parse(m);
    const f = (v: number | null, p = 4) => (v === null ? '-' : v.toPrecision(p));
    return {
      files: [
        {
          name: 'history.arrow',
          schema: historySchema,
          table: historyTable(r.history, r.dynamics),
          dtype: 'float32 (training), float64 (kernels)',
          seed,
          extra: K === 1 ? m : metrics,
        },
        K === 1
          ? {
              name: runPredictionsFile('network'),
              schema: runPredictionsSchema,
              table: predictionsTable(data.eval.ids, r.evalPredictions!, test.ids, r.testPredictions!),
              dtype: 'float32 (network output, stored as float64)',
              seed,
            }
          : {
              name: runPredictionsFile('network'),
              schema: classRunPredictionsSchema(K),
              table: classPredictionsTable(data.eval.ids, r.evalPredictions!, test.ids, r.testPredictions!, K),
              dtype: 'float32 (network outputs, stored as float64)',
              seed,
              extra: { classes: data.all.classes },
            },
        ...(ak
          ? (['init', 'final'] as const).map((k) => ({
              name: runPredictionsFile(k === 'init' ? 'init-kernel' : 'after-kernel'),
              schema: runPredictionsSchema,
              table: predictionsTable(data.eval.ids, ak[k].evalScores!, test.ids, ak[k].testScores!),
              dtype: 'float64 (kernel ridge on the empirical NTK)',
              seed,
            }))
          : []),
        { name: 'metrics.json', json: metrics, dtype: 'float32 (training), float64 (kernels)', seed },
      ],
      summary: `${c.input} ${id}: eval accuracy ${f(m.eval_accuracy)}, ΔΘ ${f(m.delta_theta, 3)}, init error ${f(m.kernel_init_error, 3)}, η ${f(m.lr)}, ${m.seconds}s${r.dynamics ? `; dynamics: max rel. deviation ${f(m.dynamics_max_rel_dev_analytic, 3)} (Θ), ${f(m.dynamics_max_rel_dev_empirical, 3)} (Θ̂_0), ${f(m.dynamics_max_rel_dev_nngp, 3)} (NNGP baseline), ${r.dynamics.seconds.toFixed(1)}s` : ''}`,
    };
  },
});

/**
 * mlp-submit's learning rate under the selection protocol (@tangent/kernels selection-protocol.ts):
 * the rate whose runs have the best mean fold-0 F1 over seeds (metrics.validation; a diverged run,
 * `selectionF1: null`, scores DIVERGED_F1), ties to the smaller rate. Never the eval split.
 */
export function bestLr(outcomes: Array<{ lr: number; selectionF1: number | null }>): {
  lr: number;
  scores: Array<{ lr: number; score: number }>;
} {
  if (!outcomes.length) fail('internal: no runs to choose a learning rate from');
  const lrs = [...new Set(outcomes.map((o) => o.lr))].sort((a, b) => a - b);
  const scores = lrs.map((lr) => ({ lr, score: configurationScore(outcomes.filter((o) => o.lr === lr).map((o) => o.selectionF1)) }));
  return { lr: chooseBest(scores, (x) => x.score).best.lr, scores };
}

/** A run's selection F1 (null: it diverged); a finished run without one is an error naming the fix. */
function selectionF1(ctx: StageContext<MlpShared>, run: Instance): number | null {
  const m = readRunOutcome(ctx, run);
  if (m === null) return null;
  if (!m.validation)
    fail(
      `${ctx.path(run, 'metrics.json')}: no fit-rows score (metrics.validation) to choose this width's learning rate; rerun it: npx tangent mlp --key ${run.key}`,
    );
  return m.validation.f1;
}

/** Per width: train on ALL of train at the best lr and write the Kaggle submission. */
export const mlpSubmitStage = defineStage(mlpSubmitNode, {
  version: STAGE_VERSION,
  configSchema: mlpSubmitConfigSchema,
  async run(ctx) {
    const c = ctx.config;
    const all = readFeatures(ctx, 'train');
    if (all.outputs > 1)
      fail(
        `${ctx.path(ctx.dep('pca'), 'train.arrow')}: ${all.classes.length} classes; a Kaggle submission is binary (the tweets), so mlp-submit makes none for a K-class dataset: set mlp.submission.enabled: false in its profile`,
      );
    // one learning rate: nothing to choose (the instance then does not wait for the runs)
    const choice =
      c.lrs.length === 1 ? null : bestLr(ctx.deps('mlp').map((run) => ({ lr: run.point.lr!, selectionF1: selectionF1(ctx, run) })));
    const lr = choice?.lr ?? c.lrs[0];
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
          json: {
            width: c.width,
            lr_natural: lr,
            seed: c.submission.seed,
            rows: test.ids.length,
            selection: choice && {
              rule: SELECTION_RULE,
              rows: 'fit',
              fold: SELECTION_FOLD,
              configs_tried: choice.scores.length,
              scores: choice.scores,
            },
          },
          seed: c.submission.seed,
        },
      ],
      summary: `${c.input} submit-w${c.width}: ${test.ids.length} rows (lr ${lr}) -> ${ctx.outDir}/submission.csv`,
    };
  },
});
