/**
 * Gradient descent on the flat parameter vector: θ ← θ − η ∇θ L (full batch = discretised
 * gradient flow; mini-batch = SGD over a seeded reshuffle of the samples every epoch).
 */
import { TangentError, fail } from '@tangent/base';
import { gatherRows, rng, type Mat32 } from '@tangent/linalg';
import { backward, forward } from './backprop.ts';
import { lossByName, type LossName } from './losses.ts';
import type { Mlp } from './mlp.ts';

/** θ ← θ − η g (in place). */
export function gdStep(params: Float32Array, grad: Float32Array, lr: number): void {
  for (let i = 0; i < params.length; i++) params[i] -= lr * grad[i];
}

function gatherTargets(y: ArrayLike<number>, k: number, idx: ArrayLike<number>): Float32Array {
  const out = new Float32Array(idx.length * k);
  for (let i = 0; i < idx.length; i++) for (let j = 0; j < k; j++) out[i * k + j] = y[idx[i] * k + j];
  return out;
}

/** Thrown when the loss becomes NaN/Inf or explodes; carries what a caller needs to advise. */
export class DivergenceError extends TangentError {
  constructor(
    message: string,
    readonly epoch: number,
    readonly lr: number,
    readonly loss: number,
  ) {
    super(message);
    this.name = 'DivergenceError';
  }
}

export interface EpochInfo {
  /** 1-based epoch just finished (0 = before training, only reported when `reportInitial`). */
  epoch: number;
  /** Mean training loss over the epoch's steps, evaluated before each step's update. */
  loss: number;
}

export interface FitOptions {
  loss: LossName;
  lr: number;
  epochs: number;
  /** 0 or undefined: full batch (one step per epoch). */
  batchSize?: number;
  /** Seed of the mini-batch shuffles. */
  seed?: number;
  /** Stop with a DivergenceError when the loss exceeds this multiple of the first loss (default 1e4). */
  divergenceFactor?: number;
  /** Called after every epoch; returning false stops training early. */
  onEpoch?: (info: EpochInfo) => boolean | void;
}

/**
 * Train `mlp` in place on (X, y). y holds N·k targets for mse (k = output width) or N labels for
 * bce (0/1) and softmax (class indices). Returns the per-epoch loss history.
 */
export function fit(mlp: Mlp, X: Mat32, y: ArrayLike<number>, opts: FitOptions): EpochInfo[] {
  const N = X.rows;
  if (N === 0) fail('fit: no training samples');
  if (!(opts.lr > 0) || !Number.isFinite(opts.lr)) fail(`fit: learning rate must be a positive number, got ${opts.lr}`);
  if (!Number.isInteger(opts.epochs) || opts.epochs < 0) fail(`fit: epochs must be a non-negative integer, got ${opts.epochs}`);
  if (y.length % N !== 0) fail(`fit: ${y.length} targets do not split over ${N} samples`);
  const k = y.length / N;
  const bs = opts.batchSize && opts.batchSize < N ? opts.batchSize : N;
  const r = rng(opts.seed ?? 0);
  const grad = new Float32Array(mlp.params.length);
  const factor = opts.divergenceFactor ?? 1e4;
  const history: EpochInfo[] = [];
  let first = NaN;
  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    const order = bs === N ? null : r.permutation(N);
    let sum = 0,
      steps = 0;
    for (let s = 0; s < N; s += bs) {
      let xb = X,
        yb: ArrayLike<number> = y;
      if (order) {
        const idx = order.subarray(s, Math.min(N, s + bs));
        xb = gatherRows(X, idx);
        yb = gatherTargets(y, k, idx);
      }
      const { out, cache } = forward(mlp, xb);
      const { loss, dPred } = lossByName(opts.loss, out, yb);
      if (Number.isNaN(first)) first = loss;
      if (!Number.isFinite(loss) || loss > factor * Math.max(first, 1e-12)) {
        throw new DivergenceError(
          `training diverged at epoch ${epoch} (loss ${loss} vs ${first.toPrecision(4)} at the start) with learning rate ${opts.lr}; try ${(opts.lr / 4).toPrecision(3)} or lower`,
          epoch,
          opts.lr,
          loss,
        );
      }
      backward(mlp, cache, dPred, grad);
      gdStep(mlp.params, grad, opts.lr);
      sum += loss;
      steps++;
    }
    const info = { epoch, loss: sum / steps };
    history.push(info);
    if (opts.onEpoch?.(info) === false) break;
  }
  return history;
}
