/**
 * Largest eigenpair of a symmetric matrix given only as a product x ↦ A x, by the Lanczos
 * process with full reorthogonalisation (Golub & Van Loan, Matrix Computations, §10.1): after k
 * steps the Ritz pair (θ, V s) of the tridiagonal T_k = Vᵀ A V approximates the top eigenpair with
 * residual ‖A V s − θ V s‖ = β_k |s_k|, and the eigenvalue error is below β_k² s_k² / gap.
 * Warm-started from the previous eigenvector (a kernel that moves by ~1 % per epoch), it stops
 * after a handful of products where power iteration needs dozens.
 */
import { eigh, mat64 } from '@tangent/linalg';

export interface TopEigen {
  value: number;
  vector: Float64Array;
  /** Matrix–vector products used. */
  iterations: number;
}

export interface LanczosOptions {
  /** Stop when the Ritz residual β_k |s_k| ≤ tol · θ (default 1e-8: eigenvalue error ≲ 1e-16 θ²/gap). */
  tol?: number;
  /** Most products (default min(n, 80)). */
  maxIter?: number;
  /** Start vector (e.g. the previous eigenvector); overwritten with the new one when its length is n. */
  start?: Float64Array;
}

/** Top eigenpair of the k×k symmetric tridiagonal matrix (alpha on the diagonal, beta off it). */
function tridiagonalTop(alpha: number[], beta: number[]): { value: number; s: Float64Array } {
  const k = alpha.length;
  if (k === 1) return { value: alpha[0], s: Float64Array.of(1) };
  const T = mat64(k, k);
  for (let i = 0; i < k; i++) {
    T.data[i * k + i] = alpha[i];
    if (i > 0) T.data[i * k + i - 1] = T.data[(i - 1) * k + i] = beta[i - 1];
  }
  const e = eigh(T, { overwrite: true });
  const s = new Float64Array(k);
  for (let i = 0; i < k; i++) s[i] = e.vectors.data[i * k + (k - 1)];
  return { value: e.values[k - 1], s };
}

export function lanczosTop(n: number, matvec: (x: Float64Array, y: Float64Array) => void, opts: LanczosOptions = {}): TopEigen {
  const tol = opts.tol ?? 1e-8;
  const maxIter = Math.max(1, Math.min(n, opts.maxIter ?? 80));
  const q = new Float64Array(n);
  if (opts.start && opts.start.length === n) q.set(opts.start);
  let nq = 0;
  for (let i = 0; i < n; i++) nq += q[i] * q[i];
  if (!(nq > 0) || !Number.isFinite(nq)) (q.fill(1), (nq = n));
  nq = Math.sqrt(nq);
  for (let i = 0; i < n; i++) q[i] /= nq;
  const V: Float64Array[] = [q];
  const alpha: number[] = [],
    beta: number[] = [];
  const w = new Float64Array(n);
  let top: { value: number; s: Float64Array } = { value: 0, s: Float64Array.of(1) };
  let it = 0;
  for (; it < maxIter; it++) {
    const v = V[it];
    matvec(v, w);
    let a = 0;
    for (let i = 0; i < n; i++) a += v[i] * w[i];
    alpha.push(a);
    // w ← (I − V Vᵀ) w, twice ("twice is enough", Parlett), which also removes α v and β v_prev
    for (let pass = 0; pass < 2; pass++)
      for (const u of V) {
        let c = 0;
        for (let i = 0; i < n; i++) c += u[i] * w[i];
        for (let i = 0; i < n; i++) w[i] -= c * u[i];
      }
    let b = 0;
    for (let i = 0; i < n; i++) b += w[i] * w[i];
    b = Math.sqrt(b);
    top = tridiagonalTop(alpha, beta);
    const residual = b * Math.abs(top.s[it]);
    if (residual <= tol * Math.abs(top.value) || it + 1 >= maxIter || it + 1 >= n || !(b > 1e-300)) {
      it++;
      break;
    }
    beta.push(b);
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) next[i] = w[i] / b;
    V.push(next);
  }
  const x = new Float64Array(n);
  for (let j = 0; j < top.s.length; j++) {
    const sj = top.s[j],
      u = V[j];
    for (let i = 0; i < n; i++) x[i] += sj * u[i];
  }
  let nx = 0;
  for (let i = 0; i < n; i++) nx += x[i] * x[i];
  nx = Math.sqrt(nx);
  if (nx > 0) for (let i = 0; i < n; i++) x[i] /= nx;
  if (opts.start && opts.start.length === n) opts.start.set(x);
  return { value: top.value, vector: x, iterations: it };
}
