import { fail } from '@tangent/base';
import { NotPositiveDefiniteError, cholesky, choleskySolve, gemm, matVec, type Mat64 } from '@tangent/linalg';
import { targetColumns } from './spectral-ridge.ts';

export interface RidgeFitOptions {
  jitter?: number;
  overwrite?: boolean;
  what?: string;
}

/**
 * Kernel ridge regression, α = (K + λI)⁻¹ y (Schölkopf & Smola 2002, eq. 4.46; the NTK
 * predictor at t → ∞ of gradient flow on ½|f − y|² + ½λ|θ − θ0|² with f0 ≈ 0), by Cholesky.
 * λ = 0 with duplicate inputs makes K singular: that is an error, never NaN; `jitter` adds a
 * documented ε·mean(diag K) to the diagonal instead when the caller wants interpolation anyway.
 * A target matrix Y (n × T: T right-hand sides, e.g. one-hot classes) gives A = (K + λI)⁻¹ Y
 * (n × T) from the same one factorisation.
 */
export function kernelRidgeFit(K: Mat64, y: Float64Array, lambda: number, opts?: RidgeFitOptions): Float64Array;
export function kernelRidgeFit(K: Mat64, y: Mat64, lambda: number, opts?: RidgeFitOptions): Mat64;
export function kernelRidgeFit(K: Mat64, y: Float64Array | Mat64, lambda: number, opts?: RidgeFitOptions): Float64Array | Mat64;
export function kernelRidgeFit(K: Mat64, y: Float64Array | Mat64, lambda: number, opts: RidgeFitOptions = {}): Float64Array | Mat64 {
  const n = K.rows;
  if (K.cols !== n) fail(`kernelRidgeFit: kernel must be square, got ${K.rows}×${K.cols}`);
  const Y = targetColumns(y);
  if (Y.rows !== n) fail(`kernelRidgeFit: ${Y.rows} targets for a ${n}×${n} kernel`);
  if (!(lambda >= 0) || !Number.isFinite(lambda)) fail(`kernelRidgeFit: lambda must be a finite number ≥ 0, got ${lambda}`);
  let shift = lambda;
  if (opts.jitter) {
    let tr = 0;
    for (let i = 0; i < n; i++) tr += K.data[i * n + i];
    shift += (opts.jitter * tr) / Math.max(n, 1);
  }
  const A: Mat64 = opts.overwrite ? K : { rows: n, cols: n, data: K.data.slice() };
  for (let i = 0; i < n; i++) A.data[i * n + i] += shift;
  let L: Mat64;
  try {
    L = cholesky(A, { overwrite: true, what: 'K + λI' });
  } catch (e) {
    if (e instanceof NotPositiveDefiniteError)
      fail(
        `${opts.what ?? 'kernel ridge'}: K + λI is singular at λ = ${lambda} (pivot ${e.pivot} of ${n}; duplicate or collinear inputs?); ` +
          `use λ > 0 or a diagonal jitter (pipeline: ntk.lambdas / ntk.jitter in configs/pipeline.yaml)`,
      );
    throw e;
  }
  const alpha = choleskySolve(L, y);
  const a = ArrayBuffer.isView(alpha) ? alpha : alpha.data;
  for (let i = 0; i < a.length; i++)
    if (!Number.isFinite(a[i])) fail(`${opts.what ?? 'kernel ridge'}: solve produced non-finite weights at λ = ${lambda}; increase λ`);
  return alpha;
}

/** ŷ = K_test α, K_test the (test × train) cross kernel; with weights A (n × T), Ŷ = K_test A (rows × T). */
export function kernelRidgePredict(Ktest: Mat64, alpha: Float64Array): Float64Array;
export function kernelRidgePredict(Ktest: Mat64, alpha: Mat64): Mat64;
export function kernelRidgePredict(Ktest: Mat64, alpha: Float64Array | Mat64): Float64Array | Mat64;
export function kernelRidgePredict(Ktest: Mat64, alpha: Float64Array | Mat64): Float64Array | Mat64 {
  const rows = ArrayBuffer.isView(alpha) ? alpha.length : alpha.rows;
  if (Ktest.cols !== rows) fail(`kernelRidgePredict: cross kernel has ${Ktest.cols} columns but ${rows} weights`);
  return ArrayBuffer.isView(alpha) ? matVec(Ktest, alpha) : gemm(Ktest, alpha);
}
