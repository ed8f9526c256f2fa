/**
 * What the two paths of phase 2 share (dense-phase.ts with Θ0 in memory, matrix-free-phase.ts
 * without): the switch point they start from, the rows they fit, the network moved to
 * θ = θ0 + δθ, its linearisation error f(θ) − f_lin(θ) with f_lin(θ) = f0 + J0 δθ (Lee et al.
 * 2019, eq. 6), and the result row of one method.
 */
import { gatherRows, type Mat32, type Rng } from '@tangent/linalg';
import { cloneMlp, type Mlp } from '@tangent/nn';
import type { ExperimentConfig } from './config.ts';
import type { SwitchDecision } from './heuristics.ts';
import type { Method, MethodResult, NtkMethod } from './methods.ts';
import { predictBlocked, type TrainLoss, type TrainSet } from './sgd.ts';

/** A metric of network outputs on the train or test split (NRMSE or accuracy; experiment.ts `evaluator`). */
export type Score = (out: Float32Array | Float64Array, split: 'train' | 'test', rows?: number) => number;

/** Where phase 2 starts: the network at the switch, the data, the budget left, the random streams it draws from. */
export interface SwitchPoint {
  cfg: ExperimentConfig;
  seed: number;
  net0: Mlp;
  train: TrainSet;
  Xtest: Mat32;
  /** Test rows for the test-side linearisation error. */
  XlinTest: Mat32;
  loss: TrainLoss;
  decision: SwitchDecision;
  phase1Seconds: number;
  remainingSteps: number;
  /** Picks the `ntk.subset` rows when set. */
  pick: Rng;
  /** Seed of matrix-free linearised descent's batch shuffles. */
  shuffleSeed: number;
  score: Score;
}

/** One point of a method's linear-model loss curve. */
export interface NtkTrace {
  seed: number;
  method: Method;
  step: number;
  loss: number;
}

/** What a phase-2 path returns: a result row and a loss curve per method, and the rows of Θ0 (n·K). */
export interface PhaseOutput {
  results: MethodResult[];
  traces: NtkTrace[];
  rows: number;
}

/** The phase's learning rate, step budget (η-steps, or flow time for integrated flow) and the n rows it fits: all, or `ntk.subset` (sorted) drawn from `pick`. */
export function phaseRows(sw: SwitchPoint): { eta: number; steps: number; X: Mat32; y: Float32Array } {
  const { cfg, train } = sw;
  const N = train.X.rows,
    K = train.K;
  const n = cfg.ntk.subset === null ? N : Math.min(N, cfg.ntk.subset);
  const idx = n === N ? null : sw.pick.permutation(N).slice(0, n).sort();
  return {
    eta: cfg.ntk.lr ?? cfg.sgd.lr,
    steps: cfg.ntk.steps ?? sw.remainingSteps,
    X: idx ? gatherRows(train.X, idx) : train.X,
    y: idx ? gatherRows({ rows: N, cols: K, data: train.y }, idx).data : train.y.slice(0, N * K),
  };
}

/** θ = θ0 + δθ as a network (θ0 is left as it was). */
export function moved(net0: Mlp, delta: ArrayLike<number>): Mlp {
  const net = cloneMlp(net0);
  for (let i = 0; i < delta.length; i++) net.params[i] += delta[i];
  return net;
}

/** RMS of a − b over the entries of a. */
function rmsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s / a.length);
}

/** RMS of f(θ) − f_lin(θ), and that relative to RMS(f_lin(θ) − f0): how far the network left the linear model it moved. */
function linearisationError(fNet: ArrayLike<number>, fLin: ArrayLike<number>, f0: ArrayLike<number>): { rms: number; rel: number | null } {
  let e2 = 0,
    m2 = 0;
  for (let i = 0; i < fLin.length; i++) {
    e2 += (fNet[i] - fLin[i]) ** 2;
    m2 += (fLin[i] - f0[i]) ** 2;
  }
  return { rms: Math.sqrt(e2 / fLin.length), rel: m2 > 0 ? Math.sqrt(e2 / m2) : null };
}

/** What one method of phase 2 measured besides the trained network's metrics. */
export interface MethodMeasures {
  kernelSeconds: number;
  eighSeconds: number;
  solveSeconds: number;
  steps: number;
  linearLoss: number;
  /** The trained network's outputs f(θ), the linear model's f_lin(θ) and f0 on the NTK rows, and f, f_lin on the test monitor rows (null: none). */
  fit: { net: ArrayLike<number>; lin: ArrayLike<number>; f0: ArrayLike<number> };
  test: { net: ArrayLike<number>; lin: ArrayLike<number> } | null;
}

/** The result row of one method: the trained network's train and test metric, the seconds of both phases, the linearisation. */
export function ntkResult(sw: SwitchPoint, method: NtkMethod, trained: Mlp, m: MethodMeasures): MethodResult {
  const phase2Seconds = m.kernelSeconds + m.eighSeconds + m.solveSeconds;
  const linErr = linearisationError(m.fit.net, m.fit.lin, m.fit.f0);
  return {
    seed: sw.seed,
    method,
    switchEpoch: sw.decision.epoch,
    heuristic: sw.decision.heuristic,
    trainMetric: sw.score(predictBlocked(trained, sw.train.X), 'train'),
    testMetric: sw.score(predictBlocked(trained, sw.Xtest), 'test'),
    phase1Seconds: sw.phase1Seconds,
    phase2Seconds,
    totalSeconds: sw.phase1Seconds + phase2Seconds,
    kernelSeconds: m.kernelSeconds,
    eighSeconds: m.eighSeconds,
    solveSeconds: m.solveSeconds,
    steps: m.steps,
    linErrTrain: linErr.rms,
    linErrTest: m.test && rmsDiff(m.test.net, m.test.lin),
    linErrRel: linErr.rel,
    linearLoss: m.linearLoss,
  };
}

/** The phase's output from each method's result row and loss curve, in the configured order. */
export function phaseOutput(
  sw: SwitchPoint,
  done: Array<{ result: MethodResult; trace: Array<{ step: number; loss: number }> }>,
  rows: number,
): PhaseOutput {
  const traces = done.flatMap(({ result, trace }) =>
    trace.map((t) => ({ seed: sw.seed, method: result.method, step: t.step, loss: t.loss })),
  );
  return { results: done.map((d) => d.result), traces, rows };
}
