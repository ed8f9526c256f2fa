/**
 * Evaluation metrics.
 *   NRMSE = RMSE / D with RMSE = √(1/n Σ (ŷ − y)²) on the original target scale and D the
 *   range max(y) − min(y) of the TRAINING targets (default; the convention whose magnitudes match
 *   the thesis' 12–14 % on Wine Quality) or their standard deviation (`metrics.nrmse: std`).
 *   Accuracy = fraction of argmax_o f_o(x_i) = c_i.
 */
export function rmse(pred: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (pred[i] - y[i]) ** 2;
  return Math.sqrt(s / y.length);
}

/** D of the NRMSE from the training targets. */
export function nrmseDenominator(yTrain: ArrayLike<number>, kind: 'range' | 'std'): number {
  let lo = Infinity,
    hi = -Infinity,
    m = 0;
  for (let i = 0; i < yTrain.length; i++) {
    lo = Math.min(lo, yTrain[i]);
    hi = Math.max(hi, yTrain[i]);
    m += yTrain[i];
  }
  if (kind === 'range') return hi - lo || 1;
  m /= yTrain.length;
  let v = 0;
  for (let i = 0; i < yTrain.length; i++) v += (yTrain[i] - m) ** 2;
  return Math.sqrt(v / yTrain.length) || 1;
}

/** RMSE / D (a fraction; ×100 for percent). */
export function nrmse(pred: ArrayLike<number>, y: ArrayLike<number>, denominator: number): number {
  return rmse(pred, y) / denominator;
}

/** Fraction of rows of the (n × K) logits whose argmax equals the label. */
export function accuracy(logits: ArrayLike<number>, K: number, labels: ArrayLike<number>): number {
  let hit = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let o = 1; o < K; o++) if (logits[i * K + o] > logits[i * K + best]) best = o;
    if (best === labels[i]) hit++;
  }
  return hit / labels.length;
}

/** Mean and sample standard deviation (0 for a single value). */
export function meanSd(xs: number[]): { mean: number; sd: number; n: number } {
  const n = xs.length;
  const mean = xs.reduce((s, v) => s + v, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, n };
}
