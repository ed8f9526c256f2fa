/**
 * Lanczos on a symmetric operator given only as a product v ↦ A v (Lanczos 1950; Golub & Van
 * Loan 2013, Alg. 10.1.1), float64, with full reorthogonalisation (two Gram–Schmidt passes) so the
 * Ritz pairs stay clean in finite precision. m steps from b give A Q_m = Q_m T_m + β_m q_{m+1} e_mᵀ
 * with T_m tridiagonal (α on the diagonal, β off it). Used for
 *   - the top-k eigenpairs of Θ0 (Ritz pairs of T_m, m ≈ 2k + 20), and
 *   - f(A) b ≈ |b| Q_m f(T_m) e_1 (Saad 1992; Hochbruck & Lubich 1997), the flow on the
 *     complement of those eigenvectors.
 * `project` (optional) is applied to every A q: with P⊥ = I − V Vᵀ it runs Lanczos on P⊥ A P⊥.
 */
import { fail } from '@tangent/arrow-io';
import { eigh, mat64, rng } from '@tangent/linalg';

export type Operator = (v: Float64Array) => Float64Array;

export interface LanczosBasis {
  /** Orthonormal Lanczos vectors q_1..q_m. */
  Q: Float64Array[];
  alpha: Float64Array;
  /** β_1..β_{m−1} (off-diagonal of T_m). */
  beta: Float64Array;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function lanczos(apply: Operator, b: Float64Array, m: number, opts: { project?: (v: Float64Array) => void } = {}): LanczosBasis {
  const n = b.length;
  const bn = Math.sqrt(dot(b, b));
  if (!(bn > 0)) fail('lanczos: the starting vector is zero');
  const Q: Float64Array[] = [b.map((v) => v / bn)];
  const alpha: number[] = [],
    beta: number[] = [];
  const steps = Math.min(m, n);
  for (let j = 0; j < steps; j++) {
    const w = apply(Q[j]);
    if (w.length !== n) fail(`lanczos: operator returned ${w.length} values for a vector of ${n}`);
    opts.project?.(w);
    const a = dot(Q[j], w);
    alpha.push(a);
    for (let i = 0; i < n; i++) w[i] -= a * Q[j][i] + (j > 0 ? beta[j - 1] * Q[j - 1][i] : 0);
    for (let pass = 0; pass < 2; pass++)
      for (const q of Q) {
        const c = dot(q, w);
        for (let i = 0; i < n; i++) w[i] -= c * q[i];
      }
    const bj = Math.sqrt(dot(w, w));
    // An invariant subspace (or the whole space) is reached: T_m is exact.
    if (j === steps - 1 || bj <= 1e-12 * Math.max(Math.abs(a), 1e-300) * 1e3) break;
    beta.push(bj);
    Q.push(w.map((v) => v / bj));
  }
  return { Q, alpha: Float64Array.from(alpha), beta: Float64Array.from(beta.slice(0, alpha.length - 1)) };
}

/** Eigendecomposition of the tridiagonal T_m (values ascending, column j of `vectors` ↔ values[j]). */
export function tridiagonalEigh(alpha: Float64Array, beta: Float64Array) {
  const m = alpha.length;
  const T = mat64(m, m);
  for (let i = 0; i < m; i++) {
    T.data[i * m + i] = alpha[i];
    if (i + 1 < m) T.data[i * m + i + 1] = T.data[(i + 1) * m + i] = beta[i];
  }
  return eigh(T);
}

export interface Eigenpairs {
  /** Largest first. */
  values: Float64Array;
  /** vectors[j] ↔ values[j], unit norm. */
  vectors: Float64Array[];
  /** |A v − λ v| per pair (computed as β_m |s_mj|, the Lanczos residual bound). */
  residuals: Float64Array;
}

/** The k largest eigenpairs of A (dimension n) from m Lanczos steps (default 2k + 20) on a seeded random start. */
export function topEigenpairs(apply: Operator, n: number, k: number, opts: { steps?: number; seed?: number } = {}): Eigenpairs {
  const m = Math.min(n, opts.steps ?? 2 * k + 20);
  const b = rng(opts.seed ?? 0).fillNormal(new Float64Array(n));
  let lastBeta = 0;
  const basis = lanczos(apply, b, m, {});
  // β_m for the residual bound: one more product would be needed; use |A q_m − ...| estimate via the last α/β.
  lastBeta = basis.beta.length ? basis.beta[basis.beta.length - 1] : 0;
  const { values, vectors: S } = tridiagonalEigh(basis.alpha, basis.beta);
  const mm = basis.alpha.length;
  const kk = Math.min(k, mm);
  const out: Float64Array[] = [];
  const vals = new Float64Array(kk),
    res = new Float64Array(kk);
  for (let r = 0; r < kk; r++) {
    const j = mm - 1 - r;
    vals[r] = values[j];
    const v = new Float64Array(n);
    for (let t = 0; t < mm; t++) {
      const s = S.data[t * mm + j];
      const q = basis.Q[t];
      for (let i = 0; i < n; i++) v[i] += s * q[i];
    }
    out.push(v);
    res[r] = Math.abs(lastBeta * S.data[(mm - 1) * mm + j]);
  }
  return { values: vals, vectors: out, residuals: res };
}

/** f(A) b ≈ |b| Q_m f(T_m) e_1 with m Lanczos steps (exact when m reaches an invariant subspace). */
export function krylovFunction(
  apply: Operator,
  b: Float64Array,
  m: number,
  f: (lambda: number) => number,
  opts: { project?: (v: Float64Array) => void } = {},
): Float64Array {
  const n = b.length;
  const bn = Math.sqrt(dot(b, b));
  const out = new Float64Array(n);
  if (bn === 0) return out;
  const basis = lanczos(apply, b, m, opts);
  const { values, vectors: S } = tridiagonalEigh(basis.alpha, basis.beta);
  const mm = basis.alpha.length;
  // c = S f(Λ) Sᵀ e_1 · |b|
  const c = new Float64Array(mm);
  for (let j = 0; j < mm; j++) {
    const w = f(Math.max(0, values[j])) * S.data[0 * mm + j] * bn;
    for (let t = 0; t < mm; t++) c[t] += S.data[t * mm + j] * w;
  }
  for (let t = 0; t < mm; t++) {
    const q = basis.Q[t];
    for (let i = 0; i < n; i++) out[i] += c[t] * q[i];
  }
  return out;
}
