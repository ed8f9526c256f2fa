/**
 * The linearised network around the switch point θ0 (Lee et al. 2019, eq. 6):
 *   f_lin(θ) = f0 + J0 (θ − θ0),   Θ0 = J0 J0ᵀ  (float64),
 * trained on L = 1/(2n) Σ_i ‖f_i − y_i‖² (or mean softmax cross-entropy), so that gradient descent
 * with step η reads θ_{k+1} = θ_k − (η/n) J0ᵀ g(f_lin(θ_k)), g = f − y for MSE.
 *
 * Layout for multi-output heads (K outputs): one row of J0 per (sample i, output o) pair, at
 * index i·K + o, so Θ0 is (n·K) × (n·K) and couples outputs (no shared-kernel approximation).
 *
 * Every solver works in function space on Θ0 and returns the coefficient vector w with
 *   θ − θ0 = −J0ᵀ w,   f_lin(θ) on the training rows = f0 − Θ0 w,
 * so J0 itself is never needed: J0ᵀ w is one backward pass with output gradient w.
 */
import { fail } from '@tangent/base';
import { eigh, matVec, type Mat64 } from '@tangent/linalg';

export type LinearLoss = 'mse' | 'cross_entropy';

export interface LinearisedProblem {
  /** Θ0 = J0 J0ᵀ, M × M with M = n·K, rows ordered i·K + o. */
  kernel: Mat64;
  /** Network outputs at θ0 on the training rows (length M). */
  f0: Float64Array;
  /** Targets (length M): standardised values or one-hot rows. */
  y: Float64Array;
  /** Samples n (the 1/n of the mean loss). */
  n: number;
  /** Outputs per sample K. */
  outDim: number;
}

export interface LinearSolution {
  /** θ − θ0 = −J0ᵀ w. */
  w: Float64Array;
  /** f_lin(θ) on the training rows = f0 − Θ0 w. */
  fLin: Float64Array;
  /** Linear-model training loss at the requested checkpoints (step k or time t). */
  trace: Array<{ step: number; loss: number }>;
}

export interface Spectrum {
  /** Eigenvalues of Θ0, ascending, clamped at 0 (Θ0 is positive semi-definite). */
  values: Float64Array;
  /** Column j is the eigenvector of values[j]. */
  vectors: Mat64;
  seconds: number;
}

export function checkProblem(p: LinearisedProblem): number {
  const M = p.kernel.rows;
  if (p.kernel.cols !== M) fail(`linearised model: Θ0 must be square, got ${p.kernel.rows}×${p.kernel.cols}`);
  if (p.f0.length !== M || p.y.length !== M)
    fail(`linearised model: Θ0 is ${M}×${M} but f0 has ${p.f0.length} and y ${p.y.length} entries`);
  if (p.n * p.outDim !== M) fail(`linearised model: n·K = ${p.n}·${p.outDim} does not match Θ0's size ${M}`);
  return M;
}

/** ONE eigendecomposition Θ0 = V Λ Vᵀ shared by functional evolution and integrated flow. */
export function spectrum(kernel: Mat64): Spectrum {
  const t0 = performance.now();
  const { values, vectors } = eigh(kernel);
  for (let j = 0; j < values.length; j++) if (values[j] < 0) values[j] = 0;
  return { values, vectors, seconds: (performance.now() - t0) / 1000 };
}

/** c = Vᵀ x. */
export const toEigenbasis = (sp: Spectrum, x: Float64Array): Float64Array => matVec(sp.vectors, x, true);

/** x = V c. */
export const fromEigenbasis = (sp: Spectrum, c: Float64Array): Float64Array => matVec(sp.vectors, c);

/**
 * A closed form of the MSE flow in Θ0's eigenbasis (functional evolution, integrated flow): with
 * h = η/n, r0 = f0 − y and c = Vᵀ r0, the coefficients w = V (φ(h, λ) ⊙ c) and the linear model's
 * outputs and loss at step or time k from its residual V (ρ(h, λ, k) ⊙ c). Eigenvalues at or
 * below rcond·λ_max are Θ0's null space (J0ᵀ v = 0): φ drops them rather than amplifying rounding,
 * and the residual keeps them unchanged. `method` names the solver in its input errors.
 */
export function spectralFlow(
  method: string,
  p: LinearisedProblem,
  sp: Spectrum,
  o: {
    eta: number;
    rcond?: number;
    phi: (h: number, lambda: number) => number;
    rho: (h: number, lambda: number, k: number) => number;
  },
): { w: Float64Array; fAt: (k: number) => Float64Array; lossAt: (k: number) => number } {
  const M = checkProblem(p);
  if (sp.values.length !== M) fail(`${method}: spectrum has ${sp.values.length} eigenvalues, Θ0 is ${M}×${M}`);
  if (!(o.eta > 0)) fail(`${method}: learning rate must be positive, got ${o.eta}`);
  const h = o.eta / p.n;
  const cut = (o.rcond ?? 1e-10) * sp.values[M - 1];
  const r0 = new Float64Array(M);
  for (let i = 0; i < M; i++) r0[i] = p.f0[i] - p.y[i];
  const c = toEigenbasis(sp, r0);
  const live = (j: number) => sp.values[j] > cut;
  const coef = new Float64Array(M);
  for (let j = 0; j < M; j++) coef[j] = live(j) ? o.phi(h, sp.values[j]) * c[j] : 0;
  const fAt = (k: number) => {
    const e = new Float64Array(M);
    for (let j = 0; j < M; j++) e[j] = live(j) ? o.rho(h, sp.values[j], k) * c[j] : c[j];
    return fromEigenbasis(sp, e).map((v, i) => v + p.y[i]); // f = y + r
  };
  return { w: fromEigenbasis(sp, coef), fAt, lossAt: (k) => linearLoss('mse', fAt(k), p.y, p.outDim) };
}

/** Gradient of the loss w.r.t. the outputs, times n: MSE g = f − y; cross-entropy g_i = softmax(f_i) − y_i. */
export function outputResidual<T extends Float64Array>(loss: LinearLoss, f: Float64Array, y: Float64Array, K: number, out: T): T {
  if (loss === 'mse') {
    for (let i = 0; i < f.length; i++) out[i] = f[i] - y[i];
    return out;
  }
  for (let s = 0; s < f.length; s += K) {
    let mx = -Infinity;
    for (let o = 0; o < K; o++) mx = Math.max(mx, f[s + o]);
    let z = 0;
    for (let o = 0; o < K; o++) z += Math.exp(f[s + o] - mx);
    for (let o = 0; o < K; o++) out[s + o] = Math.exp(f[s + o] - mx) / z - y[s + o];
  }
  return out;
}

/** Mean loss over n samples: MSE 1/(2n) Σ (f − y)²; cross-entropy −1/n Σ_i Σ_o y_io log softmax(f_i)_o. */
export function linearLoss(loss: LinearLoss, f: Float64Array, y: Float64Array, K: number): number {
  const n = f.length / K;
  let s = 0;
  if (loss === 'mse') {
    for (let i = 0; i < f.length; i++) s += (f[i] - y[i]) ** 2;
    return s / (2 * n);
  }
  for (let b = 0; b < f.length; b += K) {
    let mx = -Infinity;
    for (let o = 0; o < K; o++) mx = Math.max(mx, f[b + o]);
    let z = 0;
    for (let o = 0; o < K; o++) z += Math.exp(f[b + o] - mx);
    const logZ = mx + Math.log(z);
    for (let o = 0; o < K; o++) s += y[b + o] * (logZ - f[b + o]);
  }
  return s / n;
}

/** Checkpoints 0, every, 2·every, ..., last (always included). */
export function checkpoints(last: number, count: number): number[] {
  if (last <= 0) return [0];
  const every = Math.max(1, Math.ceil(last / Math.max(1, count)));
  const out: number[] = [];
  for (let k = 0; k < last; k += every) out.push(k);
  out.push(last);
  return out;
}
