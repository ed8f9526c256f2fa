import { fail } from '@tangent/base';
import { cholesky, gatherRows as gatherRowsInto, mat64, rng, triangularSolve, type Mat64, type Matrix } from '@tangent/linalg';
import { forEachKernelBlock, type KernelBlockOptions } from './kernel-blocks.ts';
import { ntkGram } from './ntk-gram.ts';
import { reluNetKernel, type ReluNetSpec } from './relu-kernel-recursion.ts';

/**
 * Nyström centres (Williams & Seeger 2001): the M training rows x̃_1..x̃_M whose span carries the
 * estimator f(x) = Σ_j α_j k(x, x̃_j). Uniform sampling is Falkon's default (Rudi et al. 2017,
 * Thm. 3: M ≳ √n log n suffices at the optimal λ); sampling ∝ approximate ridge leverage
 * scores lowers the M needed (Rudi et al. 2018; Alaoui & Mahoney 2015).
 */

/** M distinct row indices drawn uniformly without replacement (a seeded permutation's head), sorted. */
export function uniformCentres(n: number, m: number, seed: number): Int32Array {
  if (!Number.isInteger(m) || m < 1 || m > n) fail(`uniformCentres: need 1 ≤ M ≤ n = ${n}, got M = ${m}`);
  return rng(seed).permutation(n).slice(0, m).sort();
}

/** k(x_i, x_i) for every row (the kernel's diagonal, closed form per row; no Gram). */
export function kernelDiagonal(X: Matrix, spec: ReluNetSpec & { kind?: 'ntk' | 'nngp' }): Float64Array {
  const d = X.cols;
  const out = new Float64Array(X.rows);
  for (let i = 0; i < X.rows; i++) {
    let s = 0;
    for (let k = i * d; k < (i + 1) * d; k++) s += X.data[k] * X.data[k];
    const st = reluNetKernel(s, s, s, d, spec);
    out[i] = (spec.kind ?? 'ntk') === 'ntk' ? st.ntk : st.nngp;
  }
  return out;
}

/**
 * Approximate ridge leverage scores ℓ_i(λ) = (K (K + λI)⁻¹)_ii (λ in this package's K + λI
 * convention, i.e. λ = n·λ_Falkon). Exactly ℓ_i = (K_ii − (K (K + λI)⁻¹ K)_ii)/λ; the inner
 * product is replaced by its Nyström estimate on a uniform subsample J of size s, each point
 * standing for n/s points:  K(K + λI)⁻¹K ≈ K_nJ (K_JJ + (λ s/n) I)⁻¹ K_Jn,  so
 *   ℓ̃_i = (K_ii − k_iJᵀ (K_JJ + λ s/n · I)⁻¹ k_iJ) / λ     (Rudi et al. 2018, eq. 5).
 * With J = all rows this is exact. Cost: one streamed n×s kernel pass and an s×s Cholesky.
 */
export function approximateLeverageScores(
  X: Matrix,
  lambda: number,
  opts: KernelBlockOptions & { sample?: number; seed?: number },
): Float64Array {
  const n = X.rows;
  if (!(lambda > 0)) fail(`approximateLeverageScores: lambda must be > 0, got ${lambda}`);
  const s = Math.min(n, opts.sample ?? Math.min(n, 1000));
  const J = s === n ? Int32Array.from({ length: n }, (_, i) => i) : uniformCentres(n, s, opts.seed ?? 0);
  const XJ = gatherRows(X, J);
  const KJJ = ntkGram(XJ, undefined, opts);
  for (let j = 0; j < s; j++) KJJ.data[j * s + j] += (lambda * s) / n;
  const L = cholesky(KJJ, { overwrite: true, what: 'K_JJ + λs/n I' });
  const diag = kernelDiagonal(X, { depth: opts.depth ?? 2, sigmaW: opts.sigmaW, sigmaB: opts.sigmaB, kind: opts.kind });
  const out = new Float64Array(n);
  forEachKernelBlock(X, XJ, opts, (r0, r1, Kb) => {
    // |L⁻¹ k_iJ|² = k_iJᵀ (K_JJ + λs/n I)⁻¹ k_iJ, for the whole block: solve L Z = K_bᵀ.
    const Zt = triangularSolve(L, transposeOf(Kb));
    const b = r1 - r0;
    const q = new Float64Array(b);
    for (let j = 0; j < s; j++) for (let i = 0; i < b; i++) q[i] += Zt.data[j * b + i] ** 2;
    for (let i = 0; i < b; i++) out[r0 + i] = Math.max(0, diag[r0 + i] - q[i]) / lambda;
  });
  return out;
}

/**
 * M distinct indices drawn without replacement with probability ∝ weights (Efraimidis &
 * Spirakis 2006: keep the M largest u^(1/w)), sorted.
 */
export function weightedCentres(weights: Float64Array, m: number, seed: number): Int32Array {
  const n = weights.length;
  if (!Number.isInteger(m) || m < 1 || m > n) fail(`weightedCentres: need 1 ≤ M ≤ n = ${n}, got M = ${m}`);
  const r = rng(seed);
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const w = weights[i];
    if (!(w >= 0) || !Number.isFinite(w)) fail(`weightedCentres: weight ${i} is ${w}; weights must be finite and ≥ 0`);
    // log key = log(u)/w (−∞ for w = 0: never chosen before positive weights).
    keys[i] = w > 0 ? Math.log(r.uniform() || Number.MIN_VALUE) / w : -Infinity;
  }
  const idx = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[b] - keys[a]);
  return idx.slice(0, m).sort();
}

/** Rows `idx` of X as a new float64 matrix (linalg's gatherRows into a float64 output). */
export function gatherRows(X: Matrix, idx: ArrayLike<number>): Mat64 {
  return gatherRowsInto(X, idx, mat64(idx.length, X.cols));
}

function transposeOf(A: Mat64): Mat64 {
  const T = mat64(A.cols, A.rows);
  for (let i = 0; i < A.rows; i++) for (let j = 0; j < A.cols; j++) T.data[j * A.rows + i] = A.data[i * A.cols + j];
  return T;
}
