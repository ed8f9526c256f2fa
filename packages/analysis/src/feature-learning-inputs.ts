/**
 * What the feature-learning table reads of one input (an ntk instance and the mlp runs on its
 * split), as candidates of the selection protocol (@tangent/kernels selection-protocol.ts): per
 * configuration and seed, the decision scores on the eval and test rows and, read apart from
 * them, the fit-rows selection score (CV fold 0). Nothing derived from the eval rows' labels is
 * read into a candidate's selection: the eval truth sits in the row frame, for the final
 * comparison only.
 */
import { fail } from '@tangent/base';
import {
  cvSchema,
  historySchema,
  krrFile,
  krrMetricsSchema,
  predictionsSchema,
  readRunOutcome,
  runPredictionsFile,
  runPredictionsSchema,
  type Instance,
  type KrrKernel,
  type RunMetrics,
  type RunModel,
  type StageContext,
} from '@tangent/contracts';
import { readFixedSizeList } from '@tangent/arrow-io';
import { EPOCH_FOLD, SELECTION_FOLD, decisionThreshold, nestedLambda } from '@tangent/kernels';
import type { Table } from 'apache-arrow';
import type { AnalysisConfig } from './config.ts';

/** The regime name of the grid's own runs (NTK parameterisation, full-batch GD: the lazy side). */
export const LAZY = 'lazy';

/** The ntk split's eval rows (with their truth) and test rows, in the order every model is aligned to. */
export interface RowFrame {
  evalIds: number[];
  testIds: number[];
  /** 0/1 truth of the eval rows: the final comparison's, never a selection's. */
  truth: Int8Array;
}

/** Decision scores (> 0 ⇔ positive) of one fitted model on the frame's eval and test rows. */
export interface SeedScores {
  ev: Float64Array;
  te: Float64Array;
}

/** Something a candidate chose itself on held-out fit rows (never fold 0): kernel ridge's λ or an epoch count. */
export interface InnerChoice {
  parameter: 'lambda' | 'epoch';
  /** The grid's size (λ); null where it is not recorded (epochs). */
  candidates: number | null;
  folds: number[];
}

/** One configuration of one regime, as the selection protocol sees it. */
export interface Candidate {
  regime: string;
  config: string;
  /** Per seed, in seed order; a diverged seed scores 0 on every row, which `rightOn` reads as negative: no positive predicted. */
  scores: SeedScores[];
  diverged: number;
  /** Per seed, the fit-rows selection F1 (null: that seed diverged); null when the configuration recorded none. */
  selection: Array<number | null> | null;
  inner: InnerChoice | null;
  deltaTheta: number[];
  alignment: number[];
  lambdaMaxRatio: number[];
}

export interface FeatureLearningData {
  input: string;
  frame: RowFrame;
  /** NTK kernel ridge's eval scores: the reference of every paired difference. */
  reference: Float64Array;
  /** k, the ntk split's CV folds (fold 0 scores; the others make inner choices). */
  folds: number;
  candidates: Candidate[];
}

type Columns = Pick<Table, 'numRows' | 'getChild'>;

/** The frame from the primary kernel's predictions.arrow (eval rows with targets, then test rows). */
export function readFrame(t: Columns, path: string): RowFrame {
  const evalIds: number[] = [],
    truth: number[] = [],
    testIds: number[] = [];
  for (let i = 0; i < t.numRows; i++) {
    const id = t.getChild('id')!.get(i) as number;
    if (t.getChild('split')!.get(i) !== 'eval') testIds.push(id);
    else {
      const y = t.getChild('target')!.get(i) as number | null;
      if (y !== 0 && y !== 1)
        fail(
          y !== null && Number.isInteger(y) && y > 1
            ? `${path}: eval row ${id} has class ${y}; the feature-learning comparison scores one output per row, so it runs on two-class datasets only (set analysis.featureLearning.enabled: false for this profile)`
            : `${path}: eval row ${id} has target ${y}, expected 0 or 1; rerun the ntk stage`,
        );
      (evalIds.push(id), truth.push(y));
    }
  }
  if (!evalIds.length) fail(`${path}: no eval rows; rerun the ntk stage`);
  return { evalIds, testIds, truth: Int8Array.from(truth) };
}

/** A predictions table (id, split, score) as eval and test score arrays in the frame's order, shifted by `shift`. */
export function alignScores(frame: RowFrame, t: Columns, path: string, shift = 0): SeedScores {
  const evalPos = new Map(frame.evalIds.map((id, i) => [id, i])),
    testPos = new Map(frame.testIds.map((id, i) => [id, i]));
  const ev = new Float64Array(frame.evalIds.length).fill(NaN),
    te = new Float64Array(frame.testIds.length).fill(NaN);
  for (let i = 0; i < t.numRows; i++) {
    const id = t.getChild('id')!.get(i) as number,
      s = t.getChild('score')!.get(i) as number;
    const [arr, pos] = t.getChild('split')!.get(i) === 'eval' ? [ev, evalPos] : [te, testPos];
    const p = pos.get(id);
    if (p === undefined) fail(`${path}: id ${id} is not among the ntk stage's rows; rerun it on the same split`);
    arr[p] = s - shift;
  }
  if (ev.some(Number.isNaN) || te.some(Number.isNaN)) fail(`${path}: does not cover every eval and test row of the ntk split; rerun it`);
  return { ev, te };
}

/** [fold][λ] from a cv.arrow FixedSizeList column (row c holds the k fold values of λ_c). */
function perFold(t: Table, column: string, path: string): Float64Array[] {
  const { values, dim, rows } = readFixedSizeList(t, column, { finite: true, file: path });
  return Array.from({ length: dim }, (_, f) => Float64Array.from({ length: rows }, (_, c) => values[c * dim + f]));
}

const innerFolds = (k: number) => Array.from({ length: k }, (_, f) => f).filter((f) => f !== SELECTION_FOLD);

/** Kernel ridge with one kernel of the ntk stage: λ chosen on folds 1..k−1 of its cv.arrow, fold 0 scored (nestedLambda). */
function krrCandidate(ctx: StageContext<AnalysisConfig>, ntk: Instance, frame: RowFrame, kernel: KrrKernel, primary: KrrKernel): Candidate {
  const metrics = ctx.readJson(ntk, krrFile('metrics', kernel, primary), krrMetricsSchema);
  const { table: cv, path: cvPath } = ctx.readArrow(ntk, krrFile('cv', kernel, primary), cvSchema(metrics.cv.folds));
  const lambdas = Array.from(cv.getChild('lambda')!.toArray() as Float64Array);
  const f1 = perFold(cv, 'fold_f1', cvPath),
    accuracy = perFold(cv, 'fold_accuracy', cvPath);
  const nested = nestedLambda(lambdas, metrics.select_by === 'f1' ? f1 : accuracy, { f1, accuracy });
  const { table, path } = ctx.readArrow(ntk, krrFile('predictions', kernel, primary), predictionsSchema);
  return {
    regime: `${kernel}-krr`,
    config: `λ=${metrics.chosen_lambda.toPrecision(3)}`,
    // ±1 coding decides at 0, 0/1 coding at 0.5: shifted to a common decision at 0
    scores: [alignScores(frame, table, path, decisionThreshold(metrics.label_coding))],
    diverged: 0,
    selection: [nested.f1],
    inner: { parameter: 'lambda', candidates: lambdas.length, folds: innerFolds(metrics.cv.folds) },
    deltaTheta: [],
    alignment: [],
    lambdaMaxRatio: [],
  };
}

/** One (regime, width, lr) of the mlp runs, its seeds in seed order (metrics null: diverged). */
interface RunGroup {
  regime: string;
  width: number;
  lr: number;
  runs: Array<{ run: Instance; metrics: RunMetrics | null }>;
}

/** The configurations of one input by regime (in the order the manifest lists them, as the runs arrive), width and lr. */
type RunGroups = Map<string, Map<number, Map<number, RunGroup>>>;

function groupOf(groups: RunGroups, regime: string, width: number, lr: number): RunGroup {
  const byWidth = groups.get(regime) ?? groups.set(regime, new Map()).get(regime)!;
  const byLr = byWidth.get(width) ?? byWidth.set(width, new Map()).get(width)!;
  return byLr.get(lr) ?? byLr.set(lr, { regime, width, lr, runs: [] }).get(lr)!;
}

/** The mlp runs of one input, grouped by configuration (width, lr ascending within a regime), seeds ascending. */
function groupRuns(ctx: StageContext<AnalysisConfig>, input: string): RunGroup[] {
  const groups: RunGroups = new Map();
  for (const run of ctx.deps('mlp').filter((i) => i.key.startsWith(`${input}/`))) {
    const { width, lr, regime = LAZY } = run.point as { width: number; lr: number; regime?: string };
    groupOf(groups, regime, width, lr).runs.push({ run, metrics: readRunOutcome(ctx, run) });
  }
  const byConfig = (a: RunGroup, b: RunGroup) => a.width - b.width || a.lr - b.lr;
  const out = [...groups.values()].flatMap((byWidth) => [...byWidth.values()].flatMap((byLr) => [...byLr.values()]).sort(byConfig));
  for (const g of out) g.runs.sort((a, b) => a.run.point.seed! - b.run.point.seed!);
  return out;
}

/** Per-seed tracked quantities of the finished runs: ΔΘ, final kernel alignment, λ_max(Θ̂_T)/λ_max(Θ̂_0). */
function trackedStats(ctx: StageContext<AnalysisConfig>, g: RunGroup) {
  const done = g.runs.filter((r) => r.metrics !== null);
  const hist = done.map((r) => ctx.readArrow(r.run, 'history.arrow', historySchema).table);
  const tracked = (t: Table, col: string) => {
    const v = t.getChild(col)!;
    const xs: number[] = [];
    for (let i = 0; i < t.numRows; i++) if (v.get(i) !== null) xs.push(v.get(i) as number);
    return xs;
  };
  return {
    deltaTheta: done.map((r) => r.metrics!.delta_theta).filter((v): v is number => v !== null),
    alignment: hist.map((t) => tracked(t, 'alignment').at(-1)).filter((v): v is number => v !== undefined),
    lambdaMaxRatio: hist
      .map((t) => tracked(t, 'lambda_max'))
      .filter((xs) => xs.length > 1)
      .map((xs) => xs[xs.length - 1] / xs[0]),
  };
}

/** Per seed, a model's stored scores, or zeros (no positive predicted: the selection protocol's failure) where the seed diverged. */
function seedScores(ctx: StageContext<AnalysisConfig>, frame: RowFrame, g: RunGroup, model: RunModel): SeedScores[] {
  return g.runs.map(({ run, metrics }) => {
    if (metrics === null) return { ev: new Float64Array(frame.evalIds.length), te: new Float64Array(frame.testIds.length) };
    const file = runPredictionsFile(model);
    const { table, path } = ctx.readArrow(run, file, runPredictionsSchema);
    return alignScores(frame, table, path);
  });
}

/** Per seed, a fit-rows score picked from the run's metrics (null: diverged); null when a finished run lacks it. */
function seedSelection(g: RunGroup, pick: (m: RunMetrics) => number | null | undefined): Array<number | null> | null {
  const s = g.runs.map(({ metrics }) => (metrics === null ? null : (pick(metrics) ?? undefined)));
  return s.includes(undefined) ? null : (s as Array<number | null>);
}

/** The network of one configuration and, with mlp.afterKernel, kernel ridge with its Θ̂_T and Θ̂_0. */
function runCandidates(ctx: StageContext<AnalysisConfig>, frame: RowFrame, g: RunGroup, cv: { k: number; lambdas: number }): Candidate[] {
  const config = `w${g.width}-lr${g.lr}`;
  const diverged = g.runs.filter((r) => r.metrics === null).length;
  const done = g.runs.filter((r) => r.metrics !== null).map((r) => r.metrics!);
  const stats = trackedStats(ctx, g);
  const early = done.length > 0 && done.every((m) => m.validation?.epoch_fold != null);
  const network: Candidate = {
    regime: g.regime,
    config,
    scores: seedScores(ctx, frame, g, 'network'),
    diverged,
    selection: seedSelection(g, (m) => m.validation?.f1),
    inner: early ? { parameter: 'epoch', candidates: null, folds: [EPOCH_FOLD] } : null,
    ...stats,
  };
  if (!done.length || !done.every((m) => m.after_kernel !== null)) return [network];
  const kernel = (regime: string, model: RunModel, pick: 'init' | 'final'): Candidate => ({
    ...network,
    regime,
    config: `${g.regime}/${config}`,
    scores: seedScores(ctx, frame, g, model),
    selection: seedSelection(g, (m) => m.after_kernel![pick].selection?.f1),
    inner: { parameter: 'lambda', candidates: cv.lambdas, folds: innerFolds(cv.k) },
  });
  return [network, kernel('after-kernel', 'after-kernel', 'final'), kernel('init-kernel', 'init-kernel', 'init')];
}

/** Every candidate of one input: each configuration of every regime, then kernel ridge per kernel of the ntk stage. */
export function collectFeatureLearning(ctx: StageContext<AnalysisConfig>, ntk: Instance): FeatureLearningData {
  const cfg = ntk.config as { kernel?: KrrKernel; compare?: KrrKernel[] };
  const primary = cfg.kernel ?? 'ntk';
  const kernels = [primary, ...(cfg.compare ?? []).filter((k) => k !== primary)];
  const { table, path } = ctx.readArrow(ntk, krrFile('predictions', primary, primary), predictionsSchema);
  const frame = readFrame(table, path);
  const krr = kernels.map((k) => krrCandidate(ctx, ntk, frame, k, primary));
  const folds = ctx.readJson(ntk, krrFile('metrics', primary, primary), krrMetricsSchema).cv.folds;
  const cv = { k: folds, lambdas: krr[0].inner!.candidates! }; // the after kernel uses the primary kernel's λ grid and folds
  const runs = groupRuns(ctx, ntk.key).flatMap((g) => runCandidates(ctx, frame, g, cv));
  const reference = krr[kernels.indexOf('ntk')] ?? krr[0];
  return { input: ntk.key, frame, reference: reference.scores[0].ev, folds, candidates: [...runs, ...krr] };
}
