/**
 * One seed of the hybrid experiment, in its phases: SGD with per-epoch monitoring until a switch
 * heuristic fires and on to the end of the budget (sgd-phase.ts; the 'sgd' baseline), then from
 * the switch point each configured method on the linearised model, with Θ0 (dense-phase.ts) or
 * without (matrix-free-phase.ts), each evaluated on the train and test rows. Pure of I/O:
 * returns the history and results; stage.ts writes them.
 */
import { log } from '@tangent/base';
import { rng, type Mat32 } from '@tangent/linalg';
import { initMlp, type Mlp, type MlpSpec } from '@tangent/nn';
import type { ExperimentConfig } from './config.ts';
import type { Dataset } from './data/dataset.ts';
import { densePhase } from './dense-phase.ts';
import { firstFiringEpochs, type SwitchDecision, type SwitchRules } from './heuristics.ts';
import type { NtkTrace, Score, SwitchPoint } from './linearised-phase.ts';
import { matrixFreePhase } from './matrix-free-phase.ts';
import type { MethodResult } from './methods.ts';
import { accuracy, nrmse, nrmseDenominator } from './metrics.ts';
import { predictBlocked, stepsPerEpoch, type TrainLoss, type TrainSet } from './sgd.ts';
import { sgdPhase, type HistoryRow, type SgdPhase } from './sgd-phase.ts';

export interface SeedRun {
  seed: number;
  history: HistoryRow[];
  results: MethodResult[];
  decision: SwitchDecision;
  wouldFire: Record<string, number | null>;
  ntkTraces: NtkTrace[];
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
 * Θ0 subset, and the batches of matrix-free linearised descent (linearised SGD).
 */
export const SEED_STREAMS = {
  shuffle: (seed: number) => seed * 7919 + 17,
  pick: (seed: number) => seed * 104729 + 3,
  linearisedShuffle: (seed: number) => seed * 7919 + 29,
} as const;

/** Evaluation: NRMSE (original scale) for regression, accuracy for classification. */
export function evaluator(data: Dataset, cfg: ExperimentConfig) {
  const K = data.outDim;
  const denom = data.task === 'regression' ? nrmseDenominator(data.rawTrain, cfg.metrics.nrmse) : 1;
  const score: Score = (out, split, rows) => {
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

/** The dataset as the phases read it: the training set, the test rows, and the rows the per-epoch metrics and the test-side linearisation error use. */
function seedData(cfg: ExperimentConfig, data: Dataset) {
  const N = data.nTrain,
    d = data.inDim,
    K = data.outDim;
  const rows = (X: Float32Array, n: number): Mat32 => ({ rows: n, cols: d, data: X.subarray(0, n * d) });
  const loss: TrainLoss = data.task === 'classification' && cfg.sgd.loss === 'cross_entropy' ? 'cross_entropy' : 'mse';
  const train: TrainSet = { X: { rows: N, cols: d, data: data.xTrain }, y: data.yTrain, labels: data.labelsTrain, K };
  return {
    loss,
    train,
    Xtest: { rows: data.nTest, cols: d, data: data.xTest },
    XtrainEval: rows(data.xTrain, Math.min(N, HISTORY_EVAL_ROWS)),
    XlinTest: rows(data.xTest, Math.min(data.nTest, cfg.ntk.linErrTestSize)),
  };
}

/** The 'sgd' baseline: SGD continued for the whole budget, scored at its end. */
function baselineResult(sw: SwitchPoint, sgd: SgdPhase, net: Mlp): MethodResult {
  return {
    seed: sw.seed,
    method: 'sgd',
    switchEpoch: sw.decision.epoch,
    heuristic: sw.decision.heuristic,
    trainMetric: sw.score(predictBlocked(net, sw.train.X), 'train'),
    testMetric: sw.score(predictBlocked(net, sw.Xtest), 'test'),
    phase1Seconds: sgd.sgdSeconds,
    phase2Seconds: 0,
    totalSeconds: sgd.sgdSeconds,
    kernelSeconds: 0,
    eighSeconds: 0,
    solveSeconds: 0,
    steps: sw.remainingSteps,
    linErrTrain: null,
    linErrTest: null,
    linErrRel: null,
    linearLoss: null,
  };
}

/** One seed: phase 1 (SGD, the switch), the baseline at the end of the budget, phase 2 from the switch point. */
export function runSeed(cfg: ExperimentConfig, data: Dataset, seed: number): SeedRun {
  const io = seedData(cfg, data);
  const net = initMlp(mlpSpec(cfg, data), seed);
  const pick = rng(SEED_STREAMS.pick(seed));
  const score = evaluator(data, cfg).score;
  const rules = switchRules(cfg);
  const sgd = sgdPhase({ cfg, seed, net, ...io, score, rules, shuffle: rng(SEED_STREAMS.shuffle(seed)), pick });
  const { decision } = sgd;
  log(`seed ${seed}: switch after epoch ${decision.epoch} by ${decision.heuristic} (fired: ${decision.fired.join(', ')})`);
  const wouldFire = firstFiringEpochs(sgd.history, rules);
  const remainingSteps = (cfg.sgd.epochs - decision.epoch) * stepsPerEpoch(data.nTrain, cfg.sgd.batchSize);
  const shuffleSeed = SEED_STREAMS.linearisedShuffle(seed);
  const sw: SwitchPoint = {
    ...io,
    cfg,
    seed,
    net0: sgd.net0,
    decision,
    phase1Seconds: sgd.phase1Seconds,
    remainingSteps,
    pick,
    shuffleSeed,
    score,
  };
  const baseline = baselineResult(sw, sgd, net);
  const phase2 = (cfg.ntk.matrixFree ? matrixFreePhase : densePhase)(sw);
  const { traces: ntkTraces, rows: ntkRows } = phase2;
  return {
    seed,
    history: sgd.history,
    results: [baseline, ...phase2.results],
    decision,
    wouldFire,
    ntkTraces,
    ntkRows,
    params: net.params.length,
  };
}
