/**
 * Phase 1 (and the baseline): mini-batch SGD on the mean loss, θ ← θ − η ∇θ L_B(θ), one seeded
 * reshuffle per epoch, on the nn engine's forward/backward.
 */
import { fail } from '@tangent/base';
import { gatherRows, type Mat32, type Rng } from '@tangent/linalg';
import { backward, forward, gdStep, mse, softmaxCrossEntropy, type Mlp } from '@tangent/nn';

export type TrainLoss = 'mse' | 'cross_entropy';

export interface TrainSet {
  X: Mat32;
  /** n × K targets (standardised values or one-hot rows). */
  y: Float32Array;
  /** Class indices (cross-entropy only). */
  labels: Int32Array;
  K: number;
}

function batchLoss(loss: TrainLoss, out: Mat32, y: Float32Array, labels: Int32Array) {
  return loss === 'mse' ? mse(out, y) : softmaxCrossEntropy(out, labels);
}

/** One epoch of SGD in place; returns the mean mini-batch loss (evaluated before each update). */
export function sgdEpoch(
  net: Mlp,
  data: TrainSet,
  opts: { lr: number; batchSize: number; loss: TrainLoss; epoch: number },
  r: Rng,
  grad: Float32Array,
): number {
  const N = data.X.rows,
    K = data.K,
    bs = Math.min(opts.batchSize, N);
  const order = r.permutation(N);
  let sum = 0,
    steps = 0;
  for (let s = 0; s < N; s += bs) {
    const idx = order.subarray(s, Math.min(N, s + bs));
    const xb = gatherRows(data.X, idx);
    const yb = new Float32Array(idx.length * K);
    const lb = new Int32Array(opts.loss === 'cross_entropy' ? idx.length : 0);
    for (let i = 0; i < idx.length; i++) {
      yb.set(data.y.subarray(idx[i] * K, (idx[i] + 1) * K), i * K);
      if (lb.length) lb[i] = data.labels[idx[i]];
    }
    const { out, cache } = forward(net, xb);
    const { loss, dPred } = batchLoss(opts.loss, out, yb, lb);
    if (!Number.isFinite(loss))
      fail(`sgd: loss became ${loss} at epoch ${opts.epoch}; lower sgd.lr (now ${opts.lr}), e.g. to ${(opts.lr / 4).toPrecision(3)}`);
    backward(net, cache, dPred, grad);
    gdStep(net.params, grad, opts.lr);
    sum += loss;
    steps++;
  }
  return sum / steps;
}

/** Steps per epoch, ceil(N / B): the unit in which the NTK phase's budget is counted. */
export function stepsPerEpoch(N: number, batchSize: number): number {
  return Math.ceil(N / Math.min(batchSize, N));
}

/** Network outputs on X in row blocks (bounded memory), as float32 n × K. */
export function predictBlocked(net: Mlp, X: Mat32, block = 4096): Float32Array {
  const K = net.spec.sizes[net.spec.sizes.length - 1];
  const out = new Float32Array(X.rows * K);
  for (let s = 0; s < X.rows; s += block) {
    const e = Math.min(X.rows, s + block);
    const view: Mat32 = { rows: e - s, cols: X.cols, data: X.data.subarray(s * X.cols, e * X.cols) };
    out.set(forward(net, view).out.data, s * K);
  }
  return out;
}

export function l2norm(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}
