/**
 * One seed of the hybrid experiment: SGD with per-epoch monitoring until a switch heuristic
 * fires, then each configured NTK method from the switch point, and the SGD baseline continued
 * for the same budget. Pure of I/O: returns the history and results; stage.ts writes them.
 */
import { log, progress } from '@tangent/arrow-io';
import { rng, type Mat32, type Mat64 } from '@tangent/linalg';
import { backward, cloneMlp, empiricalNtkMlp, forward, initMlp, type Mlp, type MlpSpec } from '@tangent/nn';
import type { ExperimentConfig } from './config.ts';
import type { Dataset } from './data/dataset.ts';
import { firstFiringEpochs, switchAt, type EpochRecord, type SwitchDecision, type SwitchRules } from './heuristics.ts';
import { spectrum, type LinearisedProblem, type LinearSolution, type Spectrum } from './linearised-model.ts';
import { linearisedDescent } from './linearised-descent.ts';
import { functionalEvolution } from './functional-evolution.ts';
import { integratedFlow } from './integrated-flow.ts';
import { matrixFreePhase } from './matrix-free-phase.ts';
import { accuracy, nrmse, nrmseDenominator } from './metrics.ts';
import { l2norm, predictBlocked, sgdEpoch, stepsPerEpoch, type TrainLoss, type TrainSet } from './sgd.ts';

export type Method = 'sgd' | 'ntk1' | 'ntk2' | 'ntk3';

export interface HistoryRow extends EpochRecord {
  seed: number;
  trainLoss: number;
  trainMetric: number;
  testMetric: number;
  /** Cumulative pure SGD seconds (no monitoring) after this epoch. */
  sgdSeconds: number;
}

export interface MethodResult {
  seed: number;
  method: Method;
  switchEpoch: number;
  heuristic: string;
  trainMetric: number;
  testMetric: number;
  /** SGD + monitoring until the switch (for 'sgd': the whole budget, no monitoring). */
  phase1Seconds: number;
  /** Jacobian-free kernel Θ0 + f0, shared eigendecomposition (NTK 2/3), solve, parameter update. */
  phase2Seconds: number;
  totalSeconds: number;
  kernelSeconds: number;
  eighSeconds: number;
  solveSeconds: number;
  /** η-steps (NTK 1/2) or flow time t (NTK 3) of phase 2; for 'sgd' the SGD steps after the switch. */
  steps: number;
  /** RMS of f(θ) − f_lin(θ) on the NTK training rows / on the test monitor rows (network-output units). */
  linErrTrain: number | null;
  linErrTest: number | null;
  /** linErrTrain / RMS(f_lin(θ) − f0): the error relative to how far the linear model moved. */
  linErrRel: number | null;
  /** Linear-model training loss at the end (on the NTK rows). */
  linearLoss: number | null;
}

export interface SeedRun {
  seed: number;
  history: HistoryRow[];
  results: MethodResult[];
  decision: SwitchDecision;
  wouldFire: Record<string, number | null>;
  ntkTraces: Array<{ seed: number; method: Method; step: number; loss: number }>;
  ntkRows: number;
  params: number;
}

export function mlpSpec(cfg: ExperimentConfig, data: Dataset): MlpSpec {
  const m = cfg.model;
  return {
    sizes: [data.inDim, ...m.hidden, data.outDim],
    activation: m.activation,
    parameterization: m.parameterization,
    bias: m.bias,
    sigmaW: m.sigmaW,
    sigmaB: m.sigmaB,
  };
}

export function switchRules(cfg: ExperimentConfig): SwitchRules {
  const s = cfg.switch;
  return {
    window: s.window,
    minEpoch: s.minEpoch,
    maxEpoch: s.maxEpoch ?? cfg.sgd.epochs - 1,
    paramNorm: s.paramNorm,
    ntkStability: { enabled: s.ntkStability.enabled, delta: s.ntkStability.delta, relative: s.ntkStability.relative },
    fixedEpoch: s.fixedEpoch,
  };
}

/**
 * Seed scheme: every random stream of a run comes from its own generator, seeded by an affine map
 * of the run seed with a distinct prime multiplier (7919, 104729) so that the streams of seeds
 * 0, 1, 2, … never coincide: SGD's per-epoch shuffles, the picks of the NTK-monitor rows and the
 * Θ0 subset, and the batches of matrix-free NTK 1 (linearised SGD).
 */
export const SEED_STREAMS = {
  shuffle: (seed: number) => seed * 7919 + 17,
  pick: (seed: number) => seed * 104729 + 3,
  linearisedShuffle: (seed: number) => seed * 7919 + 29,
} as const;

const mat = (X: Float32Array, rows: number, cols: number): Mat32 => ({ rows, cols, data: X });

function rowsOf(X: Mat32, idx: ArrayLike<number>): Mat32 {
  const out = new Float32Array(idx.length * X.cols);
  for (let i = 0; i < idx.length; i++) out.set(X.data.subarray(idx[i] * X.cols, (idx[i] + 1) * X.cols), i * X.cols);
  return { rows: idx.length, cols: X.cols, data: out };
}

function frobDiff(A: Mat64, B: Mat64): number {
  let s = 0;
  for (let i = 0; i < A.data.length; i++) s += (A.data[i] - B.data[i]) ** 2;
  return Math.sqrt(s);
}

/** Evaluation: NRMSE (original scale) for regression, accuracy for classification. */
export function evaluator(data: Dataset, cfg: ExperimentConfig) {
  const K = data.outDim;
  const denom = data.task === 'regression' ? nrmseDenominator(data.rawTrain, cfg.metrics.nrmse) : 1;
  const score = (out: Float32Array | Float64Array, split: 'train' | 'test', rows?: number): number => {
    if (data.task === 'regression') {
      const y = split === 'train' ? data.rawTrain : data.rawTest;
      const n = rows ?? y.length;
      const pred = Float64Array.from({ length: n }, (_, i) => data.targetMean + data.targetStd * out[i]);
      return nrmse(pred, y.subarray(0, n), denom);
    }
    const labels = split === 'train' ? data.labelsTrain : data.labelsTest;
    return accuracy(out, K, labels.subarray(0, rows ?? labels.length));
  };
  return { score, denom, name: data.task === 'regression' ? `nrmse_${cfg.metrics.nrmse}` : 'accuracy' };
}

const HISTORY_EVAL_ROWS = 10_000;

export function runSeed(cfg: ExperimentConfig, data: Dataset, seed: number): SeedRun {
  const K = data.outDim,
    N = data.nTrain,
    d = data.inDim;
  const loss: TrainLoss = data.task === 'classification' && cfg.sgd.loss === 'cross_entropy' ? 'cross_entropy' : 'mse';
  const train: TrainSet = { X: mat(data.xTrain, N, d), y: data.yTrain, labels: data.labelsTrain, K };
  const Xtest = mat(data.xTest, data.nTest, d);
  const evalRows = Math.min(N, HISTORY_EVAL_ROWS);
  const XtrainEval: Mat32 = { rows: evalRows, cols: d, data: data.xTrain.subarray(0, evalRows * d) };
  const ev = evaluator(data, cfg);
  const rules = switchRules(cfg);
  const E = cfg.sgd.epochs,
    k = cfg.switch.window;

  const net = initMlp(mlpSpec(cfg, data), seed);
  const P = net.params.length;
  const shuffle = rng(SEED_STREAMS.shuffle(seed));
  const grad = new Float32Array(P);
  const pick = rng(SEED_STREAMS.pick(seed));

  // NTK-stability monitor subset and its kernel at initialisation Θ_0.
  const monitorOn = cfg.switch.ntkStability.enabled;
  const monIdx = monitorOn ? pick.permutation(N).slice(0, Math.min(N, cfg.switch.ntkStability.monitorSize)).sort() : new Int32Array(0);
  const Xmon = rowsOf(train.X, monIdx);
  const theta0Mon = monitorOn ? empiricalNtkMlp(net, Xmon) : null;
  const theta0MonNorm = theta0Mon ? l2norm(theta0Mon.data) : null;

  const snapshots: Float32Array[] = []; // ring of the last k+1 θ's
  const history: HistoryRow[] = [];
  let sgdSeconds = 0,
    monitorSeconds = 0;
  const record = (epoch: number, trainLoss: number, monitorNtk: boolean) => {
    const t0 = performance.now();
    const th = Float32Array.from(net.params);
    snapshots.push(th);
    if (snapshots.length > k + 1) snapshots.shift();
    let paramDelta: number | null = null;
    if (epoch >= k) {
      const prev = snapshots[0];
      let s = 0;
      for (let i = 0; i < P; i++) s += (th[i] - prev[i]) ** 2;
      paramDelta = Math.sqrt(s);
    }
    const ntkDist = monitorNtk && theta0Mon ? frobDiff(empiricalNtkMlp(net, Xmon), theta0Mon) : null;
    monitorSeconds += (performance.now() - t0) / 1000;
    const trMetric = ev.score(predictBlocked(net, XtrainEval), 'train', evalRows);
    const teMetric = ev.score(predictBlocked(net, Xtest), 'test');
    history.push({
      seed,
      epoch,
      trainLoss,
      trainMetric: trMetric,
      testMetric: teMetric,
      sgdSeconds,
      paramNorm: l2norm(th),
      paramDelta,
      ntkDist,
      ntkNorm0: theta0MonNorm,
    });
  };
  record(0, NaN, monitorOn); // epoch 0: the initialisation
  history[0].trainLoss = lossOn(net, train, loss);

  let decision: SwitchDecision | null = null;
  let atSwitch: { net: Mlp; phase1Seconds: number } | null = null;
  const bar = progress(`seed ${seed} sgd`, E, 'epoch');
  for (let epoch = 1; epoch <= E; epoch++) {
    const t0 = performance.now();
    const l = sgdEpoch(net, train, { lr: cfg.sgd.lr, batchSize: cfg.sgd.batchSize, loss, epoch }, shuffle, grad);
    sgdSeconds += (performance.now() - t0) / 1000;
    record(epoch, l, monitorOn); // monitored every epoch for the analysis; only the time up to the switch counts as phase 1
    bar.tick();
    if (!decision && epoch < E) {
      decision = switchAt(history, epoch, rules);
      if (decision) atSwitch = { net: cloneMlp(net), phase1Seconds: sgdSeconds + monitorSeconds };
    }
  }
  bar.stop();
  if (!decision || !atSwitch) throw new Error('unreachable: the max-epoch fallback always fires before the budget ends');
  log(`seed ${seed}: switch after epoch ${decision.epoch} by ${decision.heuristic} (fired: ${decision.fired.join(', ')})`);
  const wouldFire = firstFiringEpochs(history, rules);

  const baseTrain = ev.score(predictBlocked(net, train.X), 'train');
  const baseTest = ev.score(predictBlocked(net, Xtest), 'test');
  const remainingSteps = (E - decision.epoch) * stepsPerEpoch(N, cfg.sgd.batchSize);
  const results: MethodResult[] = [
    {
      seed,
      method: 'sgd',
      switchEpoch: decision.epoch,
      heuristic: decision.heuristic,
      trainMetric: baseTrain,
      testMetric: baseTest,
      phase1Seconds: sgdSeconds,
      phase2Seconds: 0,
      totalSeconds: sgdSeconds,
      kernelSeconds: 0,
      eighSeconds: 0,
      solveSeconds: 0,
      steps: remainingSteps,
      linErrTrain: null,
      linErrTest: null,
      linErrRel: null,
      linearLoss: null,
    },
  ];

  // ---- Phase 2: linearised model at θ0 = θ_switch --------------------------------------------
  const net0 = atSwitch.net;
  if (cfg.ntk.matrixFree) {
    const nLin = Math.min(data.nTest, cfg.ntk.linErrTestSize);
    const mfp = matrixFreePhase({
      cfg,
      seed,
      net0,
      train,
      Xtest,
      XlinTest: { rows: nLin, cols: d, data: data.xTest.subarray(0, nLin * d) },
      loss,
      decision,
      phase1Seconds: atSwitch.phase1Seconds,
      remainingSteps,
      pick,
      shuffleSeed: SEED_STREAMS.linearisedShuffle(seed),
      score: ev.score,
    });
    results.push(...mfp.results);
    return { seed, history, results, decision, wouldFire, ntkTraces: mfp.traces, ntkRows: mfp.rows, params: P };
  }
  const nSub = cfg.ntk.subset === null ? N : Math.min(N, cfg.ntk.subset);
  const subIdx = nSub === N ? Int32Array.from({ length: N }, (_, i) => i) : pick.permutation(N).slice(0, nSub).sort();
  const Xsub = rowsOf(train.X, subIdx);
  const tK = performance.now();
  const { out: f0out, cache: cache0 } = forward(net0, Xsub);
  const kernel = empiricalNtkMlp(net0, Xsub); // Θ0 = J0 J0ᵀ, float64, rows i·K + o
  const kernelSeconds = (performance.now() - tK) / 1000;
  const ySub = new Float64Array(nSub * K);
  subIdx.forEach((i, r) => {
    for (let o = 0; o < K; o++) ySub[r * K + o] = train.y[i * K + o];
  });
  const problem: LinearisedProblem = { kernel, f0: Float64Array.from(f0out.data), y: ySub, n: nSub, outDim: K };
  const eta = cfg.ntk.lr ?? cfg.sgd.lr;
  const steps = cfg.ntk.steps ?? remainingSteps;
  const methods = cfg.ntk.methods;
  let sp: Spectrum | null = null;
  if (methods.includes('ntk2') || methods.includes('ntk3')) sp = spectrum(kernel);

  // Test monitor rows for the test-side linearisation error: f_lin(x) = f0(x) − Θ0(x, X_sub) w.
  const nLinTest = Math.min(data.nTest, cfg.ntk.linErrTestSize);
  const XlinTest: Mat32 = { rows: nLinTest, cols: d, data: data.xTest.subarray(0, nLinTest * d) };
  const f0Test = nLinTest ? Float64Array.from(forward(net0, XlinTest).out.data) : new Float64Array(0);
  const crossKernel = nLinTest ? empiricalNtkMlp(net0, XlinTest, Xsub) : null;

  const ntkTraces: SeedRun['ntkTraces'] = [];
  for (const method of methods) {
    const tS = performance.now();
    let sol: LinearSolution;
    if (method === 'ntk1') sol = linearisedDescent(problem, { eta, steps, loss });
    else if (method === 'ntk2') sol = functionalEvolution(problem, sp!, { eta, steps, rcond: cfg.ntk.rcond });
    else sol = integratedFlow(problem, sp!, { eta, t: steps, rcond: cfg.ntk.rcond });
    // θ = θ0 − J0ᵀ w: J0ᵀ w is the backward pass with output gradient w.
    const wOut: Mat32 = { rows: nSub, cols: K, data: Float32Array.from(sol.w) };
    const jtw = backward(net0, cache0, wOut);
    const trained = cloneMlp(net0);
    for (let i = 0; i < P; i++) trained.params[i] -= jtw[i];
    const solveSeconds = (performance.now() - tS) / 1000;
    const eighSeconds = method === 'ntk1' ? 0 : sp!.seconds;
    const phase2Seconds = kernelSeconds + eighSeconds + solveSeconds;

    // Linearisation error: real network vs linear model at the same θ.
    const fSub = forward(trained, Xsub).out.data;
    let e2 = 0,
      m2 = 0;
    for (let i = 0; i < fSub.length; i++) {
      e2 += (fSub[i] - sol.fLin[i]) ** 2;
      m2 += (sol.fLin[i] - problem.f0[i]) ** 2;
    }
    let linErrTest: number | null = null;
    if (crossKernel) {
      const fT = forward(trained, XlinTest).out.data;
      const M = crossKernel.rows,
        C = crossKernel.cols,
        Kd = crossKernel.data;
      let s = 0;
      for (let i = 0; i < M; i++) {
        let acc = 0;
        for (let j = 0; j < C; j++) acc += Kd[i * C + j] * sol.w[j];
        s += (fT[i] - (f0Test[i] - acc)) ** 2;
      }
      linErrTest = Math.sqrt(s / M);
    }
    results.push({
      seed,
      method,
      switchEpoch: decision.epoch,
      heuristic: decision.heuristic,
      trainMetric: ev.score(predictBlocked(trained, train.X), 'train'),
      testMetric: ev.score(predictBlocked(trained, Xtest), 'test'),
      phase1Seconds: atSwitch.phase1Seconds,
      phase2Seconds,
      totalSeconds: atSwitch.phase1Seconds + phase2Seconds,
      kernelSeconds,
      eighSeconds,
      solveSeconds,
      steps,
      linErrTrain: Math.sqrt(e2 / fSub.length),
      linErrTest,
      linErrRel: m2 > 0 ? Math.sqrt(e2 / m2) : null,
      linearLoss: sol.trace.at(-1)!.loss,
    });
    for (const t of sol.trace) ntkTraces.push({ seed, method, step: t.step, loss: t.loss });
  }
  return { seed, history, results, decision, wouldFire, ntkTraces, ntkRows: nSub * K, params: P };
}

/** Mean training loss over the full training set (MSE ½‖·‖² per sample or cross-entropy). */
function lossOn(net: Mlp, train: TrainSet, loss: TrainLoss): number {
  const out = predictBlocked(net, train.X);
  const n = train.X.rows,
    K = train.K;
  let s = 0;
  for (let i = 0; i < n; i++) {
    if (loss === 'mse') for (let o = 0; o < K; o++) s += 0.5 * (out[i * K + o] - train.y[i * K + o]) ** 2;
    else {
      let mx = -Infinity;
      for (let o = 0; o < K; o++) mx = Math.max(mx, out[i * K + o]);
      let z = 0;
      for (let o = 0; o < K; o++) z += Math.exp(out[i * K + o] - mx);
      s += mx + Math.log(z) - out[i * K + train.labels[i]];
    }
  }
  return s / n;
}
