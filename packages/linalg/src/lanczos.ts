/**
 * Lanczos on a symmetric operator known only through its product x ↦ A x (Lanczos 1950; Golub &
 * Van Loan, Matrix Computations, 4th ed., §10.1), float64. m steps from q_1 = b/|b| build an
 * orthonormal Q_m and a tridiagonal T_m = Q_mᵀ A Q_m (α on the diagonal, β off it) with
 *   A Q_m = Q_m T_m + β_m q_{m+1} e_mᵀ.                                         (L1)
 * Every new direction is Gram–Schmidt'ed twice against all earlier ones (full reorthogonalisation,
 * "twice is enough": Parlett, The Symmetric Eigenvalue Problem), so Q_m stays orthonormal in
 * finite precision and no spurious copies of converged Ritz values appear. By (L1) a Ritz pair
 * (θ, Q_m s) of T_m has the residual r = ‖A Q_m s − θ Q_m s‖ = β_m |s_m| exactly, and its
 * eigenvalue error is at most r² / gap, the gap from θ to the rest of A's spectrum (Kahan's bound,
 * ibid. ch. 11).
 * Three uses, each one function:
 *   - topEigenpair: the largest eigenpair to a residual tolerance, warm-started from the last
 *     eigenvector (λ_max of a kernel that moves ~1 % per epoch: a handful of products);
 *   - topEigenpairs: the k largest eigenpairs from a fixed number of steps (m ≈ 2k + 20);
 *   - krylovFunction: f(A) b ≈ |b| Q_m f(T_m) e_1 (Saad 1992; Hochbruck & Lubich 1997).
 */
import { fail } from '@tangent/base';
import { mat64 } from './matrix.ts';
import { eigh, type Eigh } from './ops.ts';
import { rng } from './random.ts';
import { dot } from './reduce.ts';

/** y ← A x for a symmetric A of order x.length (y is overwritten, never read). */
export type SymmetricOperator = (x: Float64Array, y: Float64Array) => void;

export interface LanczosBasis {
  /** Orthonormal Lanczos vectors q_1..q_m. */
  Q: Float64Array[];
  /** α_1..α_m, the diagonal of T_m. */
  alpha: Float64Array;
  /** β_1..β_{m−1}, its off-diagonal. */
  beta: Float64Array;
  /** β_m of (L1): the norm of what the last product left outside span(Q_m) (0: the span is invariant). */
  residual: number;
}

export interface LanczosOptions {
  /** Applied in place to every product A q (e.g. P⊥ = I − V Vᵀ: then the run is on P⊥ A P⊥). */
  project?: (v: Float64Array) => void;
  /** Asked after each step with T_j and β_j; true ends the run there (the caller's convergence test). */
  stop?: (alpha: readonly number[], beta: readonly number[], residual: number) => boolean;
}

/** At most `steps` (≤ n) Lanczos steps from `start` (any nonzero vector), ending early at an invariant subspace. */
export function lanczos(apply: SymmetricOperator, start: Float64Array, steps: number, opts: LanczosOptions = {}): LanczosBasis {
  const n = start.length;
  const norm = Math.sqrt(dot(start, start));
  if (!(norm > 0) || !Number.isFinite(norm)) fail(`lanczos: the starting vector has norm ${norm}; give a nonzero finite vector`);
  const Q: Float64Array[] = [start.map((v) => v / norm)];
  const alpha: number[] = [],
    beta: number[] = [];
  const w = new Float64Array(n);
  const m = Math.min(steps, n);
  let residual = 0;
  for (let j = 0; j < m; j++) {
    apply(Q[j], w);
    opts.project?.(w);
    const a = dot(Q[j], w);
    alpha.push(a);
    // w ← (I − Q Qᵀ) w, twice; this also removes α_j q_j and β_{j−1} q_{j−1}
    for (let pass = 0; pass < 2; pass++)
      for (const q of Q) {
        const c = dot(q, w);
        for (let i = 0; i < n; i++) w[i] -= c * q[i];
      }
    residual = Math.sqrt(dot(w, w));
    const invariant = !(residual > 1e-300) || residual <= 1e-9 * Math.max(Math.abs(a), 1e-300); // T_j is then exact
    if (opts.stop?.(alpha, beta, residual) || invariant || j + 1 === m) break;
    beta.push(residual);
    Q.push(w.map((v) => v / residual));
  }
  return { Q, alpha: Float64Array.from(alpha), beta: Float64Array.from(beta), residual };
}

/** Eigendecomposition of the tridiagonal T (values ascending, column j of `vectors` ↔ values[j]). */
export function tridiagonalEigh(alpha: ArrayLike<number>, beta: ArrayLike<number>): Eigh {
  const m = alpha.length;
  const T = mat64(m, m);
  for (let i = 0; i < m; i++) {
    T.data[i * m + i] = alpha[i];
    if (i + 1 < m) T.data[i * m + i + 1] = T.data[(i + 1) * m + i] = beta[i];
  }
  return eigh(T, { overwrite: true });
}

/** The Ritz vector Q s (s: coordinates in the Lanczos basis). */
function ritzVector(Q: Float64Array[], s: (t: number) => number): Float64Array {
  const v = new Float64Array(Q[0].length);
  for (let t = 0; t < Q.length; t++) {
    const st = s(t),
      q = Q[t];
    for (let i = 0; i < v.length; i++) v[i] += st * q[i];
  }
  return v;
}

export interface TopEigenpair {
  value: number;
  /** Unit norm. */
  vector: Float64Array;
  /** Products A x used. */
  iterations: number;
}

/**
 * The largest eigenpair of A (order n): Lanczos from `start` (else the ones vector) until the top
 * Ritz pair's residual β_j |s_j| ≤ tol·θ (default 1e-8: eigenvalue error ≲ 1e-16 θ²/gap) or
 * `maxIter` products (default min(n, 80)). `start`, when of length n, is overwritten with the new
 * eigenvector, so the next call starts from it.
 */
export function topEigenpair(
  n: number,
  apply: SymmetricOperator,
  opts: { tol?: number; maxIter?: number; start?: Float64Array } = {},
): TopEigenpair {
  const tol = opts.tol ?? 1e-8;
  const q = new Float64Array(n);
  const warm = opts.start?.length === n;
  if (warm) q.set(opts.start!);
  const qq = dot(q, q);
  if (!(qq > 0) || !Number.isFinite(qq)) q.fill(1);
  let top: { value: number; s: Float64Array } = { value: 0, s: Float64Array.of(1) };
  const basis = lanczos(apply, q, Math.max(1, Math.min(n, opts.maxIter ?? 80)), {
    stop: (alpha, beta, residual) => {
      top = tridiagonalTop(alpha, beta);
      return residual * Math.abs(top.s[alpha.length - 1]) <= tol * Math.abs(top.value);
    },
  });
  const x = ritzVector(basis.Q, (t) => top.s[t]);
  const nx = Math.sqrt(dot(x, x));
  if (nx > 0) for (let i = 0; i < n; i++) x[i] /= nx;
  if (warm) opts.start!.set(x);
  return { value: top.value, vector: x, iterations: basis.alpha.length };
}

/** The top eigenpair of T (its last column of eigenvectors). */
function tridiagonalTop(alpha: readonly number[], beta: readonly number[]): { value: number; s: Float64Array } {
  const k = alpha.length;
  if (k === 1) return { value: alpha[0], s: Float64Array.of(1) };
  const e = tridiagonalEigh(alpha, beta);
  const s = new Float64Array(k);
  for (let i = 0; i < k; i++) s[i] = e.vectors.data[i * k + (k - 1)];
  return { value: e.values[k - 1], s };
}

export interface Eigenpairs {
  /** Largest first. */
  values: Float64Array;
  /** vectors[j] ↔ values[j], unit norm. */
  vectors: Float64Array[];
  /** ‖A v_j − λ_j v_j‖ = β_m |s_mj| by (L1). */
  residuals: Float64Array;
}

/** The k largest eigenpairs of A (order n) from m Lanczos steps (default 2k + 20) on a seeded Gaussian start. */
export function topEigenpairs(apply: SymmetricOperator, n: number, k: number, opts: { steps?: number; seed?: number } = {}): Eigenpairs {
  const m = Math.min(n, opts.steps ?? 2 * k + 20);
  const basis = lanczos(apply, rng(opts.seed ?? 0).fillNormal(new Float64Array(n)), m);
  const { values, vectors: S } = tridiagonalEigh(basis.alpha, basis.beta);
  const mm = basis.alpha.length;
  const kk = Math.min(k, mm);
  const vals = new Float64Array(kk),
    res = new Float64Array(kk);
  const vectors: Float64Array[] = [];
  for (let r = 0; r < kk; r++) {
    const j = mm - 1 - r;
    vals[r] = values[j];
    vectors.push(ritzVector(basis.Q, (t) => S.data[t * mm + j]));
    res[r] = Math.abs(basis.residual * S.data[(mm - 1) * mm + j]);
  }
  return { values: vals, vectors, residuals: res };
}

/**
 * f(A) b ≈ |b| Q_m f(T_m) e_1 with m Lanczos steps, exact once the Krylov space is invariant (at
 * the latest m = n). A is taken positive semidefinite: Ritz values below 0 (rounding) count as 0.
 */
export function krylovFunction(
  apply: SymmetricOperator,
  b: Float64Array,
  m: number,
  f: (lambda: number) => number,
  opts: Pick<LanczosOptions, 'project'> = {},
): Float64Array {
  const bn = Math.sqrt(dot(b, b));
  if (bn === 0) return new Float64Array(b.length);
  const basis = lanczos(apply, b, m, opts);
  const { values, vectors: S } = tridiagonalEigh(basis.alpha, basis.beta);
  const mm = basis.alpha.length;
  // c = S f(Λ) Sᵀ e_1 · |b|
  const c = new Float64Array(mm);
  for (let j = 0; j < mm; j++) {
    const w = f(Math.max(0, values[j])) * S.data[j] * bn;
    for (let t = 0; t < mm; t++) c[t] += S.data[t * mm + j] * w;
  }
  return ritzVector(basis.Q, (t) => c[t]);
}
