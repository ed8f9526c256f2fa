/**
 * Losses as the MEAN over the N samples of a batch, each returning the loss (float64 sum) and
 * its gradient w.r.t. the predictions (same shape as pred, float32):
 *   mse                 L = 1/(2N) Σ_i ‖f_i − y_i‖²               ∂L/∂f_i = (f_i − y_i)/N
 *   binaryCrossEntropy  L = 1/N Σ_i softplus(f_i) − t_i f_i       ∂L/∂f_i = (σ(f_i) − t_i)/N   (f = logit, t ∈ {0,1})
 *   softmaxCrossEntropy L = 1/N Σ_i −log softmax(f_i)[c_i]        ∂L/∂f_i = (softmax(f_i) − e_{c_i})/N
 * The 1/2 in mse makes gradient flow read ḟ = −η Θ (f − y)/N, the convention of the NTK papers.
 */
import { fail } from '@tangent/base';
import { mat32, type Mat32 } from '@tangent/linalg';

export interface LossResult {
  loss: number;
  dPred: Mat32;
}

export type LossName = 'mse' | 'bce' | 'softmax';

/** Mean squared error with the 1/2 convention; y has pred's shape (a flat array of N·k values). */
export function mse(pred: Mat32, y: ArrayLike<number>): LossResult {
  const n = pred.rows,
    f = pred.data;
  if (y.length !== f.length) fail(`mse: ${y.length} targets for ${pred.rows}×${pred.cols} predictions`);
  const d = mat32(pred.rows, pred.cols);
  let s = 0;
  for (let i = 0; i < f.length; i++) {
    const r = f[i] - y[i];
    s += r * r;
    d.data[i] = r / n;
  }
  return { loss: s / (2 * n), dPred: d };
}

/** softplus(x) = log(1 + eˣ), computed without overflow. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** Logistic loss on logits (N × 1); targets t ∈ {0, 1}. */
export function binaryCrossEntropy(logits: Mat32, targets: ArrayLike<number>): LossResult {
  if (logits.cols !== 1) fail(`binaryCrossEntropy: expects one logit per sample, got ${logits.cols} columns`);
  const n = logits.rows,
    f = logits.data;
  if (targets.length !== n) fail(`binaryCrossEntropy: ${targets.length} targets for ${n} samples`);
  const d = mat32(n, 1);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const t = targets[i];
    if (t !== 0 && t !== 1) fail(`binaryCrossEntropy: target ${i} is ${t}; targets must be 0 or 1 (map ±1 labels with t = (y + 1) / 2)`);
    s += softplus(f[i]) - t * f[i];
    d.data[i] = (1 / (1 + Math.exp(-f[i])) - t) / n;
  }
  return { loss: s / n, dPred: d };
}

/** Multiclass cross-entropy on logits (N × C); labels are class indices 0..C−1. */
export function softmaxCrossEntropy(logits: Mat32, labels: ArrayLike<number>): LossResult {
  const n = logits.rows,
    C = logits.cols,
    f = logits.data;
  if (labels.length !== n) fail(`softmaxCrossEntropy: ${labels.length} labels for ${n} samples`);
  const d = mat32(n, C);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    if (!Number.isInteger(c) || c < 0 || c >= C) fail(`softmaxCrossEntropy: label ${i} is ${c}; labels must be integers in [0, ${C})`);
    let mx = -Infinity;
    for (let j = 0; j < C; j++) mx = Math.max(mx, f[i * C + j]);
    let z = 0;
    for (let j = 0; j < C; j++) z += Math.exp(f[i * C + j] - mx);
    const logZ = mx + Math.log(z);
    s += logZ - f[i * C + c];
    for (let j = 0; j < C; j++) d.data[i * C + j] = (Math.exp(f[i * C + j] - logZ) - (j === c ? 1 : 0)) / n;
  }
  return { loss: s / n, dPred: d };
}

export function lossByName(name: LossName, pred: Mat32, y: ArrayLike<number>): LossResult {
  switch (name) {
    case 'mse':
      return mse(pred, y);
    case 'bce':
      return binaryCrossEntropy(pred, y);
    case 'softmax':
      return softmaxCrossEntropy(pred, y);
    default:
      return fail(`loss '${name as string}' unknown; use mse, bce or softmax`);
  }
}
