/**
 * The loss curves a kernel predicts for full-batch gradient descent on L = 1/(2n) Σ (f − y)².
 * The network linearised around θ₀, f_lin(x; θ) = f(x; θ₀) + ∇θf(x; θ₀)·(θ − θ₀), trained by
 * θ ← θ − η∇L has, on the training rows, exactly
 *
 *   f_{t+1} = f_t − (η/n) Θ (f_t − y),           f_eval,{t+1} = f_eval,t − (η/n) Θ(X_eval, X) (f_t − y)
 *
 * (Lee et al. 2019, "Wide neural networks of any depth evolve as linear models under gradient
 * descent", eq. 8–9 in discrete time), i.e. f_t − y = (I − ηΘ/n)^t (f₀ − y). The centred network
 * starts at f₀ = 0 on every row. With Θ = Θ̂₀ this is the linearised network itself; with the
 * analytical Θ it is the infinite-width limit. Iterating costs one symmetric and one rectangular
 * matrix–vector product per epoch, cheaper than an eigendecomposition for the epochs we train.
 *
 * K outputs (K > 2 classes, n × K targets Y): under the infinite-width kernel Θ ⊗ I_K the outputs
 * decouple, F_t − Y = (I − ηΘ/n)^t (F₀ − Y) column by column, and the loss
 * 1/(2n) Σ_i ‖f_t(x_i) − y_i‖² is the sum of the K one-output curves: one n × n by n × K product per
 * epoch. The Θ̂₀ prediction of a K-output network runs the same with Θ̂_tr,0 ⊗ I_K (the trace kernel,
 * output-trace.ts): the exact linearised K-output network would need the nK × nK kernel; the two
 * differ by the O(m^−½) off-diagonal blocks and the diagonal blocks' spread around their mean.
 */
import { fail } from '@tangent/base';
import { gemm, mirrorLower, symvLower, type Mat32, type Mat64 } from '@tangent/linalg';

export interface LossCurves {
  /** Predicted 1/(2n) ‖f_t − y‖² for t = 0..epochs. */
  train: Float64Array;
  /** Predicted 1/(2n_e) ‖f_eval,t − y_eval‖², or null without eval rows. */
  eval: Float64Array | null;
}

/**
 * Predicted train/eval MSE over `epochs` steps of full-batch GD with step η, from f₀ = 0.
 * `K` is the n×n train kernel (only its lower triangle is read; with several outputs it is
 * mirrored into its upper triangle first, in place), `Kx` the n_e×n eval–train kernel, y (and the
 * eval y) n × `outputs` row-major targets.
 */
export function linearisedLossCurves(
  K: Mat64,
  y: ArrayLike<number>,
  eta: number,
  epochs: number,
  evalRows?: { Kx: Mat64; y: ArrayLike<number> },
  outputs = 1,
): LossCurves {
  const n = K.rows;
  if (K.cols !== n || y.length !== n * outputs)
    fail(`linearised dynamics: kernel is ${K.rows}×${K.cols} for ${y.length} targets of ${outputs} output(s)`);
  if (evalRows && (evalRows.Kx.cols !== n || evalRows.Kx.rows * outputs !== evalRows.y.length))
    fail(
      `linearised dynamics: eval kernel is ${evalRows.Kx.rows}×${evalRows.Kx.cols} for ${evalRows.y.length} eval targets of ${outputs} output(s) and ${n} train rows`,
    );
  if (outputs > 1) return outputCurves(K, y, eta, epochs, evalRows, outputs);
  const r = Float64Array.from(y, (v) => -v); // f₀ − y with f₀ = 0
  const g = new Float64Array(n);
  const ne = evalRows?.y.length ?? 0;
  const fe = new Float64Array(ne);
  const train = new Float64Array(epochs + 1);
  const ev = evalRows ? new Float64Array(epochs + 1) : null;
  const rMat: Mat64 = { rows: n, cols: 1, data: r };
  const step = eta / n;
  for (let t = 0; ; t++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += r[i] * r[i];
    train[t] = s / (2 * n);
    if (evalRows) {
      let se = 0;
      for (let i = 0; i < ne; i++) se += (fe[i] - evalRows.y[i]) ** 2;
      ev![t] = se / (2 * ne);
    }
    if (t === epochs) break;
    if (evalRows) {
      // f_eval ← f_eval − (η/n) Θ(X_eval, X) r, using r before this step's update
      gemm(evalRows.Kx, rMat, { alpha: -step, beta: 1, out: { rows: ne, cols: 1, data: fe } });
    }
    symvLower(K, r, { y: g });
    for (let i = 0; i < n; i++) r[i] -= step * g[i];
  }
  return { train, eval: ev };
}

/** The K-output curves: R ← R − (η/n) Θ R on the n × K residuals (Θ ⊗ I_K), one GEMM per epoch. */
function outputCurves(
  K: Mat64,
  y: ArrayLike<number>,
  eta: number,
  epochs: number,
  evalRows: { Kx: Mat64; y: ArrayLike<number> } | undefined,
  outputs: number,
): LossCurves {
  const n = K.rows,
    ne = evalRows ? evalRows.Kx.rows : 0;
  mirrorLower(n, K.data);
  const R: Mat64 = { rows: n, cols: outputs, data: Float64Array.from(y, (v) => -v) }; // F₀ − Y with F₀ = 0
  const Fe: Mat64 = { rows: ne, cols: outputs, data: new Float64Array(ne * outputs) };
  const train = new Float64Array(epochs + 1);
  const ev = evalRows ? new Float64Array(epochs + 1) : null;
  const step = eta / n;
  for (let t = 0; ; t++) {
    let s = 0;
    for (const r of R.data) s += r * r;
    train[t] = s / (2 * n);
    if (evalRows) {
      let se = 0;
      for (let i = 0; i < Fe.data.length; i++) se += (Fe.data[i] - evalRows.y[i]) ** 2;
      ev![t] = se / (2 * ne);
    }
    if (t === epochs) break;
    if (evalRows) gemm(evalRows.Kx, R, { alpha: -step, beta: 1, out: Fe }); // F_eval ← F_eval − (η/n) Θ(X_eval, X) R, R before this step
    const G = gemm(K, R);
    for (let i = 0; i < R.data.length; i++) R.data[i] -= step * G.data[i];
  }
  return { train, eval: ev };
}

/**
 * max_t |pred_t − actual_t| / actual_t over both curves (eval where both exist): how far the
 * network's losses stray from the kernel's prediction over training. Epochs with a zero actual
 * loss are skipped.
 */
export function maxRelativeDeviation(
  pred: LossCurves,
  actual: Array<{ epoch: number; trainLoss: number; evalLoss: number | null }>,
): number {
  let worst = 0;
  const rel = (p: number, a: number) => (a > 0 ? Math.abs(p - a) / a : 0);
  for (const h of actual) {
    if (h.epoch >= pred.train.length) continue;
    worst = Math.max(worst, rel(pred.train[h.epoch], h.trainLoss));
    if (pred.eval && h.evalLoss !== null) worst = Math.max(worst, rel(pred.eval[h.epoch], h.evalLoss));
  }
  return worst;
}

/** A kernel function over network inputs (rows as fed to the network), Z defaulting to X. */
export type KernelFn = (X: Mat32, Z?: Mat32) => Mat64;

/**
 * The BASELINE of the deviation: the same prediction — same η, same epochs, f₀ = 0, the same
 * max-relative-deviation against the same actual losses — from a kernel that is known to be the
 * wrong one for this training. A deviation is only small relative to what a wrong kernel scores.
 * The mlp stage uses the NNGP Σ(x, z) = E[f(x) f(z)] of the same network (relu: nngpRelu2; any
 * φ: analytical-kernel.ts): the infinite-width kernel of training the readout W2 alone, i.e. the
 * NTK without the first layer's contribution, so its curves are what the network would do if W1
 * were frozen.
 */
export function kernelLossDeviation(
  kernel: KernelFn,
  data: { X: Mat32; y: ArrayLike<number>; Xeval?: Mat32; yeval?: ArrayLike<number>; outputs?: number },
  eta: number,
  epochs: number,
  actual: Array<{ epoch: number; trainLoss: number; evalLoss: number | null }>,
): { curves: LossCurves; maxRelDev: number } {
  const evalRows = data.Xeval && data.yeval ? { Kx: kernel(data.Xeval, data.X), y: Float64Array.from(data.yeval) } : undefined;
  const curves = linearisedLossCurves(kernel(data.X), Float64Array.from(data.y), eta, epochs, evalRows, data.outputs);
  return { curves, maxRelDev: maxRelativeDeviation(curves, actual) };
}
