/**
 * Phase 1 of one seed: SGD for the whole budget with a record after every epoch (the signals of
 * the switch heuristics, heuristics.ts, and the train/test metric), and the network at the epoch
 * where the first heuristic fires: the switch point θ0 that phase 2 starts from. Training goes on
 * past the switch to the end of the budget: the 'sgd' baseline.
 */
import { progress } from '@tangent/base';
import { gatherRows, type Mat32, type Mat64, type Rng } from '@tangent/linalg';
import { cloneMlp, empiricalNtkMlp, type Mlp } from '@tangent/nn';
import type { ExperimentConfig } from './config.ts';
import { switchAt, type EpochRecord, type SwitchDecision, type SwitchRules } from './heuristics.ts';
import type { Score } from './linearised-phase.ts';
import { l2norm, predictBlocked, sgdEpoch, type TrainLoss, type TrainSet } from './sgd.ts';

export interface HistoryRow extends EpochRecord {
  seed: number;
  trainLoss: number;
  trainMetric: number;
  testMetric: number;
  /** Cumulative pure SGD seconds (no monitoring) after this epoch. */
  sgdSeconds: number;
}

/** What phase 1 trains on and how it is scored and switched. */
export interface SgdPhaseInput {
  cfg: ExperimentConfig;
  seed: number;
  /** The network at initialisation; trained in place to the end of the budget. */
  net: Mlp;
  train: TrainSet;
  loss: TrainLoss;
  /** The leading train rows the per-epoch train metric is computed on, and the test rows. */
  XtrainEval: Mat32;
  Xtest: Mat32;
  score: Score;
  rules: SwitchRules;
  /** Per-epoch reshuffles; the pick of the NTK monitor rows. */
  shuffle: Rng;
  pick: Rng;
}

export interface SgdPhase {
  history: HistoryRow[];
  decision: SwitchDecision;
  /** A copy of the network when the switch fired, and the seconds of SGD and monitoring up to then. */
  net0: Mlp;
  phase1Seconds: number;
  /** Pure SGD seconds of the whole budget. */
  sgdSeconds: number;
}

/** ‖a − b‖₂ (‖A − B‖_F of the matrices' data). */
function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
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

/** The NTK-stability monitor: `monitorSize` random training rows and their kernel Θ_0 at initialisation (none when disabled). */
function ntkMonitor(p: SgdPhaseInput): { X: Mat32; theta0: Mat64 | null; norm0: number | null } {
  const N = p.train.X.rows;
  const on = p.cfg.switch.ntkStability;
  const idx = on.enabled ? p.pick.permutation(N).slice(0, Math.min(N, on.monitorSize)).sort() : new Int32Array(0);
  const X = gatherRows(p.train.X, idx);
  const theta0 = on.enabled ? empiricalNtkMlp(p.net, X) : null;
  return { X, theta0, norm0: theta0 ? l2norm(theta0.data) : null };
}

/** The per-epoch record: ‖θ‖ and its change over the last `window` epochs, Θ's drift on the monitor rows, both metrics. */
function epochRecorder(p: SgdPhaseInput) {
  const { net, seed } = p;
  const k = p.cfg.switch.window;
  const monitor = ntkMonitor(p);
  const snapshots: Float32Array[] = []; // ring of the last k+1 θ's
  const history: HistoryRow[] = [];
  const clock = { sgdSeconds: 0, monitorSeconds: 0 };
  const record = (epoch: number, trainLoss: number) => {
    const t0 = performance.now();
    const th = Float32Array.from(net.params);
    snapshots.push(th);
    if (snapshots.length > k + 1) snapshots.shift();
    const paramDelta = epoch >= k ? distance(th, snapshots[0]) : null;
    const ntkDist = monitor.theta0 ? distance(empiricalNtkMlp(net, monitor.X).data, monitor.theta0.data) : null;
    clock.monitorSeconds += (performance.now() - t0) / 1000;
    const trainMetric = p.score(predictBlocked(net, p.XtrainEval), 'train', p.XtrainEval.rows);
    const testMetric = p.score(predictBlocked(net, p.Xtest), 'test');
    const { sgdSeconds } = clock;
    history.push({
      seed,
      epoch,
      trainLoss,
      trainMetric,
      testMetric,
      sgdSeconds,
      paramNorm: l2norm(th),
      paramDelta,
      ntkDist,
      ntkNorm0: monitor.norm0,
    });
  };
  return { history, clock, record };
}

/** SGD over the budget, recorded every epoch; the switch is the first epoch before the last where a heuristic fires. */
export function sgdPhase(p: SgdPhaseInput): SgdPhase {
  const { cfg, net } = p;
  const E = cfg.sgd.epochs;
  const rec = epochRecorder(p);
  rec.record(0, NaN); // epoch 0: the initialisation
  rec.history[0].trainLoss = lossOn(net, p.train, p.loss);
  const grad = new Float32Array(net.params.length);
  let atSwitch: { decision: SwitchDecision; net0: Mlp; phase1Seconds: number } | null = null;
  const bar = progress(`seed ${p.seed} sgd`, E, 'epoch');
  for (let epoch = 1; epoch <= E; epoch++) {
    const t0 = performance.now();
    const l = sgdEpoch(net, p.train, { lr: cfg.sgd.lr, batchSize: cfg.sgd.batchSize, loss: p.loss, epoch }, p.shuffle, grad);
    rec.clock.sgdSeconds += (performance.now() - t0) / 1000;
    rec.record(epoch, l); // monitored every epoch for the analysis; only the time up to the switch counts as phase 1
    bar.tick();
    const decision: SwitchDecision | null = atSwitch || epoch >= E ? null : switchAt(rec.history, epoch, p.rules);
    if (decision) atSwitch = { decision, net0: cloneMlp(net), phase1Seconds: rec.clock.sgdSeconds + rec.clock.monitorSeconds };
  }
  bar.stop();
  if (!atSwitch) throw new Error('unreachable: the max-epoch fallback always fires before the budget ends');
  return { history: rec.history, ...atSwitch, sgdSeconds: rec.clock.sgdSeconds };
}
