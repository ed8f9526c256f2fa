/**
 * Scalar summaries of a kernel matrix used to track the empirical NTK during training.
 */
import { fail } from '@tangent/base';
import { gemm, type Mat64 } from '@tangent/linalg';

/** ‖A − B‖_F / ‖B‖_F (relative Frobenius distance; ΔΘ(t) with A = Θ̂_t, B = Θ̂_0). */
export function relativeFrobeniusDistance(A: Mat64, B: Mat64): number {
  if (A.rows !== B.rows || A.cols !== B.cols) fail(`relativeFrobeniusDistance: shapes ${A.rows}×${A.cols} and ${B.rows}×${B.cols} differ`);
  let num = 0,
    den = 0;
  const a = A.data,
    b = B.data;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    num += d * d;
    den += b[i] * b[i];
  }
  return Math.sqrt(num / den);
}

/**
 * Largest eigenvalue of a symmetric PSD matrix by power iteration (Rayleigh quotient; each step
 * one BLAS matrix–vector product). `start` warm-starts from a previous eigenvector and is
 * overwritten with the new one. Converges when the quotient changes by < tol relatively.
 */
export function topEigenvalue(
  K: Mat64,
  opts: { tol?: number; maxIter?: number; start?: Float64Array } = {},
): { value: number; vector: Float64Array; iterations: number } {
  const n = K.rows;
  if (K.cols !== n) fail(`topEigenvalue: matrix must be square, got ${K.rows}×${K.cols}`);
  const tol = opts.tol ?? 1e-9,
    maxIter = opts.maxIter ?? 1000;
  const v = new Float64Array(n);
  if (opts.start && opts.start.length === n) v.set(opts.start);
  let norm = 0;
  for (let i = 0; i < n; i++) norm += v[i] * v[i];
  if (!(norm > 0)) (v.fill(1), (norm = n));
  norm = Math.sqrt(norm);
  for (let i = 0; i < n; i++) v[i] /= norm;
  let lambda = 0;
  let it = 0;
  const w = { rows: n, cols: 1, data: new Float64Array(n) };
  for (; it < maxIter; it++) {
    gemm(K, { rows: n, cols: 1, data: v }, { out: w }); // w = K v
    let rq = 0,
      nn = 0;
    for (let i = 0; i < n; i++) {
      rq += v[i] * w.data[i];
      nn += w.data[i] * w.data[i];
    }
    const wn = Math.sqrt(nn);
    if (!(wn > 0)) return { value: 0, vector: v, iterations: it + 1 };
    for (let i = 0; i < n; i++) v[i] = w.data[i] / wn;
    const done = Math.abs(rq - lambda) <= tol * Math.abs(rq);
    lambda = rq;
    if (done) break;
  }
  if (opts.start && opts.start.length === n) opts.start.set(v);
  return { value: lambda, vector: v, iterations: it + 1 };
}

/** Kernel–target alignment A(K, y) = yᵀ K y / (‖K‖_F ‖y‖²) (Cristianini et al. 2002), in [−1, 1]. */
export function kernelTargetAlignment(K: Mat64, y: ArrayLike<number>): number {
  const n = K.rows;
  if (y.length !== n) fail(`kernelTargetAlignment: ${y.length} targets for a ${n}×${n} kernel`);
  let yKy = 0,
    fro = 0,
    yy = 0;
  for (let i = 0; i < n; i++) {
    yy += y[i] * y[i];
    let row = 0;
    for (let j = 0; j < n; j++) {
      const k = K.data[i * n + j];
      row += k * y[j];
      fro += k * k;
    }
    yKy += y[i] * row;
  }
  return yKy / (Math.sqrt(fro) * yy);
}
