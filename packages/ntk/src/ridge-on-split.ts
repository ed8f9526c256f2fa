import { fail, log } from '@tangent/base';
import {
  argmaxLabels,
  assertFitsInMemory,
  autoSolver,
  classificationScores,
  crossValidateRidge,
  decideLabels,
  encodeLabels,
  encodeOneHot,
  foldSummary,
  kernelRidgeFit,
  kernelRidgePredict,
  logGrid,
  looResiduals,
  ntkGramAsync,
  ntkNngpGramAsync,
  ridgeSpectrum,
  selectLambda,
  spectralRidgeAlphas,
  subKernel,
  type CvResult,
  type GramOptions,
  type RidgeSpectrum,
} from '@tangent/kernels';
import { TS_EIGH_MAX_N, hasEigh, mat64, gatherRows, type Mat64 } from '@tangent/linalg';
import type { NtkConfig } from './config.ts';

/**
 * Kernel ridge on the ntk stage's split, one kernel at a time, with no I/O: the λ by k-fold CV
 * on the fit rows (+ exact LOO), the eval model at that λ, the refit on all of train and its
 * test scores. What every kernel of a run shares (the split's index lists, the coded targets,
 * the λ grid) is built once (ridgeSplit), and the kernels come from one Gram pass for train and
 * one for test (gramPass: Θ and Σ together). Each kernel still needs its own factorisations (Θ and
 * Σ are different matrices); within a kernel, ONE eigendecomposition of the fit kernel serves
 * LOO, every CV fold and λ ('shared-eigh': a Cholesky per fold and λ of a |fold|² block, no
 * refactorisation) and the eval model; the refit on all of train is one Cholesky.
 *
 * K > 2 classes: K one-vs-rest targets (encodeOneHot), solved as K right-hand sides of the SAME
 * factorisations (the eigendecomposition, each fold's G_FF Cholesky, the refit's Cholesky), and a
 * row's class is the argmax of its K scores. Two classes keep the one ±1 (or 0/1) target vector
 * and its threshold, exactly as before classes existed.
 */

/** Coded targets: one vector (two classes) or n × K one-vs-rest columns (K > 2 classes). */
export type Targets = Float64Array | Mat64;

/** The split's rows and targets, shared by every kernel of a run. */
export interface RidgeSplit {
  lambdas: number[];
  /** K, the number of classes (2: one target vector; > 2: K target columns). */
  classes: number;
  fitIdx: number[];
  evalIdx: number[];
  /** Coded targets of all train rows (labelCoding). */
  y: Targets;
  yFit: Targets;
  tFit: Int8Array;
  foldFit: Int8Array;
  evalTruth: Int8Array;
}

/** The coded targets of class indices `truth`: encodeLabels for two classes, encodeOneHot for more. */
export function codeTargets(truth: ArrayLike<number>, classes: number, coding: NtkConfig['labelCoding']): Targets {
  return classes === 2 ? encodeLabels(truth, coding) : encodeOneHot(truth, classes, coding);
}

/** Rows `idx` of the targets. */
const targetRows = (y: Targets, idx: number[]): Targets =>
  ArrayBuffer.isView(y) ? Float64Array.from(idx, (i) => y[i]) : gatherRows(y, idx);

/** Class decisions from scores: the coding's threshold for one target vector, the argmax of K columns. */
export const decideClasses = (scores: Targets, coding: NtkConfig['labelCoding']): Int8Array =>
  ArrayBuffer.isView(scores) ? decideLabels(scores, coding) : argmaxLabels(scores);

export function ridgeSplit(
  cfg: NtkConfig,
  target: ArrayLike<number>,
  split: { isEval: Uint8Array; fold: Int8Array },
  classes = 2,
): RidgeSplit {
  const fitIdx: number[] = [],
    evalIdx: number[] = [];
  for (let i = 0; i < target.length; i++) (split.isEval[i] ? evalIdx : fitIdx).push(i);
  const truth = Int8Array.from(target);
  const y = codeTargets(truth, classes, cfg.labelCoding);
  return {
    lambdas: cfg.lambdas ?? logGrid(cfg.lambdaGrid.min, cfg.lambdaGrid.max, cfg.lambdaGrid.count),
    classes,
    fitIdx,
    evalIdx,
    y,
    yFit: targetRows(y, fitIdx),
    tFit: Int8Array.from(fitIdx, (i) => truth[i]),
    foldFit: Int8Array.from(fitIdx, (i) => split.fold[i]),
    evalTruth: Int8Array.from(evalIdx, (i) => truth[i]),
  };
}

/** Per-λ LOO metrics (null where LOO was not computed); f1 as CvResult's (macro-F1 for K > 2). */
export interface LooTable {
  accuracy: Array<number | null>;
  f1: Array<number | null>;
  macroF1: Array<number | null>;
  mse: Array<number | null>;
}

type Summary = { mean: Float64Array; sd: Float64Array };

/** The λ choice: CV per fold and λ, its summaries, the chosen index, and LOO over the grid. */
export interface RidgeSelection {
  cv: CvResult;
  acc: Summary;
  f1: Summary;
  macroF1: Summary;
  mse: Summary;
  best: number;
  lambda: number;
  loo: LooTable;
}

export interface KernelRidgeOutcome {
  kernel: NtkConfig['kernel'];
  selection: RidgeSelection;
  /** The fit-part model on the eval rows: scores (a vector, or rows × K), decided classes and their scores. */
  eval: { scores: Targets; labels: Int8Array; accuracy: number; f1: number; macroF1: number; perClassRecall: number[] };
  /** The refit on all of train on the test rows. */
  test: { scores: Targets; labels: Int8Array };
  /** Seconds of the Gram passes that made this kernel (shared passes: the same in each kernel) and of its own steps; total: its own steps. */
  timings: Record<string, number>;
}

/** `lap(name, f)` runs f and records its seconds (to the millisecond) under `name`. */
type Lap = <T>(name: string, f: () => T) => T;

function stopwatch(): { timings: Record<string, number>; lap: Lap } {
  const timings: Record<string, number> = {};
  const lap: Lap = (name, f) => {
    const t0 = performance.now();
    const out = f();
    timings[name] = +((performance.now() - t0) / 1000).toFixed(3);
    return out;
  };
  return { timings, lap };
}

/**
 * Bytes of float64 kernel memory at the stage's peak with `kernels` kernels: every kernel's train
 * Gram (one pass makes them all), plus the larger of one kernel's fit work (the fit kernel, i.e.
 * its eigenvectors, with a per-fold training kernel and validation block) and every kernel's test
 * Gram (one pass too, made after the first kernel's fits).
 */
export function ridgePeakBytes(n: number, nTest: number, nFit: number, folds: number, kernels: number): number {
  const nFoldTrain = Math.ceil((nFit * (folds - 1)) / folds);
  const fitWork = nFit * nFit + nFoldTrain * nFoldTrain + (nFit - nFoldTrain) * nFoldTrain;
  return 8 * (kernels * n * n + Math.max(fitWork, kernels * nTest * n));
}

type Kernel = NtkConfig['kernel'];
type Grams = Partial<Record<Kernel, Mat64>>;

/**
 * Every kernel's ridge on the split, yielded one kernel at a time: the train Grams of all kernels
 * from one pass, each kernel's fits, and the test Grams of all kernels from one pass when the
 * first kernel needs its own; a kernel's Grams are dropped once its outcome is yielded.
 * `X`: train rows, `Z`: test rows.
 */
export async function* kernelRidgeOutcomes(
  cfg: NtkConfig,
  kernels: Kernel[],
  X: Mat64,
  Z: Mat64,
  s: RidgeSplit,
): AsyncGenerator<KernelRidgeOutcome> {
  const peak = ridgePeakBytes(X.rows, Z.rows, s.fitIdx.length, cfg.folds, kernels.length);
  assertFitsInMemory(peak, `ntk stage (${kernels.join(', ')}) on ${X.rows} train + ${Z.rows} test rows`, cfg.maxMemoryGb);
  const gram = gramPass(cfg, kernels);
  const train = await gram.run(X, undefined, 'train');
  let test: Grams | null = null;
  for (const kernel of kernels) {
    const Ktrain = train[kernel]!;
    delete train[kernel];
    const fitted = fitKernelRidge(cfg, kernel, Ktrain, s);
    test ??= await gram.run(Z, X, 'test');
    const Ktest = test[kernel]!;
    delete test[kernel];
    // A shared pass's seconds appear in every kernel it made.
    yield predictTest(cfg, fitted, Ktest, { gramTrain: gram.seconds.train, gramTest: gram.seconds.test });
  }
}

/**
 * The Gram pass of a run: Θ and Σ from ONE pass when both kernels are wanted (the NTK recursion
 * computes Σ on the way: ntkNngpGramAsync), else the one kernel; with each pass's seconds.
 */
function gramPass(cfg: NtkConfig, kernels: Kernel[]) {
  const spec: GramOptions = {
    activation: cfg.activation,
    depth: cfg.depth,
    sigmaW: cfg.sigmaW,
    sigmaB: cfg.sigmaB,
    maxMemoryGb: cfg.maxMemoryGb,
  };
  const both = kernels.includes('ntk') && kernels.includes('nngp');
  const seconds = { train: 0, test: 0 };
  const run = async (A: Mat64, B: Mat64 | undefined, what: 'train' | 'test'): Promise<Grams> => {
    const t0 = performance.now();
    const label = `${kernels.join('+')} ${what} ${A.rows}×${(B ?? A).rows}`;
    const out: Grams = both
      ? { ...(await ntkNngpGramAsync(A, B, { ...spec, label })) }
      : { [kernels[0]]: await ntkGramAsync(A, B, { ...spec, kind: kernels[0], label }) };
    seconds[what] = +((performance.now() - t0) / 1000).toFixed(3);
    return out;
  };
  return { run, seconds };
}

/** A kernel fitted on the split: λ, the eval model's scores and the refit's weights on all of train. */
interface FittedRidge {
  kernel: Kernel;
  selection: RidgeSelection;
  eval: KernelRidgeOutcome['eval'];
  alpha: Targets;
  timings: Record<string, number>;
  lap: Lap;
}

/**
 * λ by CV, the eval model and the refit on all of train (`Ktrain`, factored in place). The fit
 * kernel's factorisation lives only inside selectAndEval: it is freed before the refit's.
 */
export function fitKernelRidge(cfg: NtkConfig, kernel: Kernel, Ktrain: Mat64, s: RidgeSplit): FittedRidge {
  const { timings, lap } = stopwatch();
  const { selection, ev } = selectAndEval(cfg, kernel, Ktrain, s, lap);
  const alpha = lap('refit', () =>
    kernelRidgeFit(Ktrain, s.y, selection.lambda, { jitter: cfg.jitter, overwrite: true, what: 'refit on all of train' }),
  );
  return { kernel, selection, eval: ev, alpha, timings, lap };
}

/** The refit's test scores from the test × train kernel, and the outcome with all timings. */
function predictTest(cfg: NtkConfig, f: FittedRidge, Ktest: Mat64, gramSeconds: Record<string, number>): KernelRidgeOutcome {
  const test = f.lap('test', () => {
    const scores = kernelRidgePredict(Ktest, f.alpha);
    return { scores, labels: decideClasses(scores, cfg.labelCoding) };
  });
  for (const v of [f.eval.scores, test.scores])
    if (!(ArrayBuffer.isView(v) ? v : v.data).every(Number.isFinite)) fail('ntk: non-finite scores; increase λ or set jitter');
  const own = Object.values(f.timings).reduce((a, b) => a + b, 0);
  const timings = { ...gramSeconds, ...f.timings, total: +own.toFixed(3) };
  return { kernel: f.kernel, selection: f.selection, eval: f.eval, test, timings };
}

/** λ by CV on the fit rows (+ LOO), then the fit-part model at that λ on the eval rows. */
function selectAndEval(cfg: NtkConfig, kernel: string, Ktrain: Mat64, s: RidgeSplit, lap: Lap) {
  const fit = lap('eigh', () => factorFitKernel(cfg, Ktrain, s));
  const cv = lap('cv', () => crossValidate(cfg, fit, s));
  const choice = chooseLambda(cfg, kernel, cv, s.lambdas);
  const loo = lap('loo', () => looTable(cfg, kernel, fit.spectrum, s));
  const ev = lap('eval', () => evalModel(cfg, Ktrain, fit, s, choice.lambda));
  return { selection: { ...choice, cv, loo }, ev };
}

/** The fit kernel, the CV solver, and its eigendecomposition where LOO or the shared solver needs one. */
interface FitKernel {
  K: Mat64;
  solver: 'shared-eigh' | 'eigh' | 'cholesky';
  spectrum: RidgeSpectrum | null;
}

function factorFitKernel(cfg: NtkConfig, Ktrain: Mat64, s: RidgeSplit): FitKernel {
  const K = subKernel(Ktrain, s.fitIdx, s.fitIdx);
  const canEigh = hasEigh() || s.fitIdx.length <= TS_EIGH_MAX_N;
  const solver = cfg.solver === 'auto' ? autoSolver(s.lambdas.length, cfg.jitter, cfg.folds, cfg.loo && canEigh) : cfg.solver;
  // K's storage becomes V where nothing reads K afterwards: the shared solver needs only the spectrum.
  const spectrum =
    canEigh && (cfg.loo || solver === 'shared-eigh') ? ridgeSpectrum(K, s.yFit, { overwrite: solver === 'shared-eigh' }) : null;
  return { K, solver, spectrum };
}

function crossValidate(cfg: NtkConfig, fit: FitKernel, s: RidgeSplit): CvResult {
  const cv = crossValidateRidge(fit.K, s.yFit, s.tFit, s.foldFit, {
    lambdas: s.lambdas,
    solver: fit.solver,
    coding: cfg.labelCoding,
    jitter: cfg.jitter,
    spectrum: fit.spectrum ?? undefined,
  });
  if (cv.solver === 'cholesky') log(`ntk: CV solved by one Cholesky per fold and λ (${cv.folds}×${s.lambdas.length})`);
  return cv;
}

/**
 * Fold means and SDs, and the λ with the best mean of `selectBy` (ties to the larger λ): 'f1' is
 * CvResult's f1 (the positive class's for two classes, macro-F1 for K > 2), 'macro-f1' macro-F1.
 */
function chooseLambda(cfg: NtkConfig, kernel: string, cv: CvResult, lambdas: number[]) {
  const acc = foldSummary(cv.accuracy),
    f1 = foldSummary(cv.f1),
    macroF1 = foldSummary(cv.macroF1),
    mse = foldSummary(cv.mse);
  const by = { f1, 'macro-f1': macroF1, accuracy: acc }[cfg.selectBy];
  const best = selectLambda(lambdas, by.mean);
  const lambda = lambdas[best];
  log(
    `ntk (${kernel}): CV (${cv.solver}) picked λ = ${lambda.toPrecision(4)}: ${cfg.selectBy} ${by.mean[best].toFixed(4)} ± ${by.sd[best].toFixed(4)}`,
  );
  // an optimum at the grid's edge may lie beyond it: say so (the choice stands, on the grid as given)
  const lo = Math.min(...lambdas),
    hi = Math.max(...lambdas);
  if (lambdas.length > 2 && (lambda === lo || lambda === hi))
    log(
      `ntk (${kernel}): warning: λ = ${lambda.toPrecision(4)} is the grid's ${lambda === lo ? 'smallest' : 'largest'} value; the best λ may lie beyond ntk.lambdaGrid: extend it`,
    );
  return { acc, f1, macroF1, mse, best, lambda };
}

/** Exact LOO on the whole fit part over the grid, from the one eigendecomposition (looResiduals). */
function looTable(cfg: NtkConfig, kernel: string, spectrum: RidgeSpectrum | null, s: RidgeSplit): LooTable {
  const m = s.lambdas.length;
  const none = () => new Array<number | null>(m).fill(null);
  const loo: LooTable = { accuracy: none(), f1: none(), macroF1: none(), mse: none() };
  if (!cfg.loo) return loo;
  if (!spectrum) {
    log(
      `ntk (${kernel}): no native eigensolver for the ${s.fitIdx.length}×${s.fitIdx.length} fit kernel: exact LOO skipped (it needs one eigendecomposition)`,
    );
    return loo;
  }
  // R: n × (|λ|·T), column c·T + t; the LOO prediction is y − r.
  const R = looResiduals(spectrum, s.lambdas);
  const T = spectrum.targets;
  const y = ArrayBuffer.isView(s.yFit) ? s.yFit : s.yFit.data;
  const n = s.tFit.length;
  // one target vector and n × T columns share the row-major layout
  const predData = new Float64Array(n * T);
  const pred: Targets = T === 1 ? predData : mat64(n, T, predData);
  for (let c = 0; c < m; c++) {
    let se = 0;
    for (let i = 0; i < n; i++)
      for (let t = 0; t < T; t++) {
        const r = R.data[(i * m + c) * T + t];
        predData[i * T + t] = y[i * T + t] - r;
        se += r ** 2;
      }
    const met = classificationScores(decideClasses(pred, cfg.labelCoding), s.tFit, s.classes);
    loo.accuracy[c] = met.accuracy;
    loo.f1[c] = met.f1;
    loo.macroF1[c] = met.macroF1;
    loo.mse[c] = se / (n * T);
  }
  return loo;
}

/** The fit-part model at the chosen λ scored on the eval rows (from the spectrum when there is one). */
function evalModel(cfg: NtkConfig, Ktrain: Mat64, fit: FitKernel, s: RidgeSplit, lambda: number) {
  const alpha: Targets = fit.spectrum
    ? spectralAlpha(fit.spectrum, lambda)
    : kernelRidgeFit(fit.K, s.yFit, lambda, { jitter: cfg.jitter, overwrite: true, what: 'eval fit' });
  const scores = kernelRidgePredict(subKernel(Ktrain, s.evalIdx, s.fitIdx), alpha);
  const labels = decideClasses(scores, cfg.labelCoding);
  return { scores, labels, ...classificationScores(labels, s.evalTruth, s.classes) };
}

/** The weights at one λ from the spectrum: a vector for one target, n × T for T targets. */
function spectralAlpha(spectrum: RidgeSpectrum, lambda: number): Targets {
  const A = spectralRidgeAlphas(spectrum, [lambda], 'eval fit');
  return spectrum.targets === 1 ? A.data : A;
}
