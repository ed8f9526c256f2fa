import { fail, log, progress } from '@tangent/base';
import { NotPositiveDefiniteError, cholesky, gemm, mat64, triangularSolve, type Mat64, type Matrix } from '@tangent/linalg';
import { conjugateGradient, type CgResult } from './conjugate-gradient.ts';
import { forEachKernelBlock, storedCrossKernel, streamedCrossKernel, type CrossKernel, type KernelBlockOptions } from './kernel-blocks.ts';
import { ntkGram } from './ntk-gram.ts';
import { approximateLeverageScores, gatherRows, uniformCentres, weightedCentres } from './nystrom.ts';

/**
 * Falkon (Rudi, Carratino & Rosasco 2017, Alg. 1; Meanti et al. 2020): Nyström kernel ridge
 * regression solved by preconditioned conjugate gradients.
 *
 * Estimator. With centres C (M rows) and λ in this package's `K + λI` convention (the exact
 * solver's α = (K + λI)⁻¹y; Falkon's λ_F = λ/n), the Nyström KRR coefficients solve
 *     H α = K_nMᵀ Y,   H = K_nMᵀ K_nM + λ K_MM                                   (eq. 8)
 * and f(x) = k(x, C) α. With C = all training rows, α = (K + λI)⁻¹ Y: the exact solution.
 *
 * Preconditioner (Alg. 1; the paper's T = chol(K_MM) upper is Lᵀ here). With the lower Cholesky
 * factor L (K_MM = L Lᵀ) and the lower factor L_A of  A := (1/M) Lᵀ L + λ_F I  (= L_A L_Aᵀ),
 *     B = (1/√n) L⁻ᵀ L_A⁻ᵀ,   so that  B Bᵀ = ((n/M) K_MM² + λ K_MM)⁻¹ ≈ H⁻¹
 * (uniform centres: K_nMᵀ K_nM ≈ (n/M) K_MM²). CG runs on  Bᵀ H B β = Bᵀ K_nMᵀ Y:
 *     W β = (1/n) L_A⁻¹ L⁻¹ K_nMᵀ K_nM L⁻ᵀ L_A⁻ᵀ β + λ_F L_A⁻¹ L_A⁻ᵀ β,
 *     b   = (1/√n) L_A⁻¹ L⁻¹ K_nMᵀ Y,     α = (1/√n) L⁻ᵀ L_A⁻ᵀ β.
 * Each iteration is one K_nMᵀ(K_nM V) pass (stored or streamed, see kernel-blocks.ts) plus four
 * M×M triangular solves; all K output columns (classes) share that pass.
 *
 * K_MM gets a relative diagonal jitter ε·mean(diag K_MM) before its Cholesky (Falkon does the
 * same): the solved system is then H + λ ε̄ I_M, a negligible extra ridge on α.
 */
export interface FalkonPreconditioner {
  /** Lower Cholesky factor of K_MM + jitter·I. */
  L: Mat64;
  /** Lower Cholesky factor of (1/M) Lᵀ L + (λ/n) I. */
  LA: Mat64;
  n: number;
  lambda: number;
}

export function falkonPreconditioner(Kmm: Mat64, lambda: number, n: number, jitter = 1e-10): FalkonPreconditioner {
  const M = Kmm.rows;
  if (!(lambda > 0)) fail(`falkon: lambda must be > 0, got ${lambda}`);
  let tr = 0;
  for (let i = 0; i < M; i++) tr += Kmm.data[i * M + i];
  const K = mat64(M, M, Kmm.data.slice());
  for (let i = 0; i < M; i++) K.data[i * M + i] += (jitter * tr) / M;
  let L: Mat64;
  try {
    L = cholesky(K, { overwrite: true, what: 'K_MM' });
  } catch (e) {
    if (e instanceof NotPositiveDefiniteError)
      fail(
        `falkon: K_MM (${M} centres) is not positive definite at jitter ${jitter} (duplicate centres?); raise jitter or use fewer centres`,
      );
    throw e;
  }
  const A = gemm(L, L, { transA: true, alpha: 1 / M });
  for (let i = 0; i < M; i++) A.data[i * M + i] += lambda / n;
  const LA = cholesky(A, { overwrite: true, what: '(1/M) LᵀL + λ/n I' });
  return { L, LA, n, lambda };
}

/** v ↦ B v = (1/√n) L⁻ᵀ L_A⁻ᵀ v. */
function applyB(P: FalkonPreconditioner, V: Mat64): Mat64 {
  const out = triangularSolve(P.L, triangularSolve(P.LA, V, { trans: true }), { trans: true });
  scaleInPlace(out, 1 / Math.sqrt(P.n));
  return out;
}

/** v ↦ √n Bᵀ v = L_A⁻¹ L⁻¹ v (the 1/√n is applied by the caller). */
function applyBtUnscaled(P: FalkonPreconditioner, V: Mat64): Mat64 {
  return triangularSolve(P.LA, triangularSolve(P.L, V));
}

function scaleInPlace(A: Mat64, s: number): void {
  for (let i = 0; i < A.data.length; i++) A.data[i] *= s;
}

export interface FalkonSolveOptions {
  maxIter?: number;
  /** CG relative residual tolerance (default 1e-6). */
  tol?: number;
  /** Rows taking part in the fit (1) — others are ignored (validation rows); default all. */
  rowMask?: Uint8Array;
  jitter?: number;
  /** Progress bar label (a bar on a TTY with the CG residual; silent in CI). */
  label?: string;
}

export interface FalkonSolution {
  /** Coefficients α (M × K): f(x) = k(x, C) α. */
  alpha: Mat64;
  cg: CgResult;
}

/** Solve eq. 8 for α given the cross-kernel operator, K_MM and Y (n × K). */
export function falkonSolve(Knm: CrossKernel, Kmm: Mat64, Y: Mat64, lambda: number, opts: FalkonSolveOptions = {}): FalkonSolution {
  if (Y.rows !== Knm.n) fail(`falkon: ${Y.rows} target rows for a kernel with ${Knm.n} rows`);
  if (Kmm.rows !== Knm.m || Kmm.cols !== Knm.m) fail(`falkon: K_MM is ${Kmm.rows}×${Kmm.cols}, expected ${Knm.m}×${Knm.m}`);
  const mask = opts.rowMask;
  let nFit = Knm.n;
  let Yfit = Y;
  if (mask) {
    nFit = 0;
    Yfit = mat64(Y.rows, Y.cols, Y.data.slice());
    for (let i = 0; i < Y.rows; i++) {
      if (mask[i]) nFit++;
      else Yfit.data.fill(0, i * Y.cols, (i + 1) * Y.cols);
    }
  }
  const P = falkonPreconditioner(Kmm, lambda, nFit, opts.jitter);
  const b = applyBtUnscaled(P, Knm.timesT(Yfit));
  scaleInPlace(b, 1 / Math.sqrt(nFit));
  const maxIter = opts.maxIter ?? 50;
  const bar = progress(opts.label ?? `falkon CG (M=${Knm.m}, λ=${lambda.toPrecision(3)})`, maxIter, 'it');
  const cg = conjugateGradient(
    (V) => {
      const Z = triangularSolve(P.L, triangularSolve(P.LA, V, { trans: true }), { trans: true });
      const W = applyBtUnscaled(P, Knm.normal(Z, mask));
      scaleInPlace(W, 1 / nFit);
      const R = triangularSolve(P.LA, triangularSolve(P.LA, V, { trans: true }));
      for (let i = 0; i < W.data.length; i++) W.data[i] += (lambda / nFit) * R.data[i];
      return W;
    },
    b,
    {
      maxIter,
      tol: opts.tol ?? 1e-6,
      onIter: (it, r) => {
        bar.tick(1);
        if (process.env.TANGENT_CG_LOG) log(`  CG ${it}: relative residual ${r.toExponential(2)}`);
      },
    },
  );
  bar.stop();
  if (!cg.converged)
    log(
      `  falkon: CG stopped at ${cg.iterations} iterations with relative residual ${cg.relResidual.toExponential(2)} (tol ${opts.tol ?? 1e-6})`,
    );
  return { alpha: applyB(P, cg.X), cg };
}

export interface FalkonModel {
  centres: Mat64;
  /** Indices of the centres in the training rows. */
  centreIndex: Int32Array;
  alpha: Mat64;
  kernel: KernelBlockOptions;
  lambda: number;
  cg: CgResult;
}

export interface FalkonFitOptions extends KernelBlockOptions, FalkonSolveOptions {
  /** λ in the K + λI convention. */
  lambda: number;
  /** Number of Nyström centres M. */
  centres: number;
  /** 'uniform' (default) or 'leverage' (∝ approximate ridge leverage scores). */
  sampling?: 'uniform' | 'leverage';
  seed?: number;
  /** 'stored' keeps K_nM (8·n·M bytes); 'streamed' recomputes it per iteration. Default stored. */
  crossKernel?: 'stored' | 'streamed';
}

/** Pick the centres (uniform or leverage-score sampling). */
export function selectCentres(X: Matrix, opts: FalkonFitOptions): Int32Array {
  const n = X.rows;
  const m = Math.min(opts.centres, n);
  if ((opts.sampling ?? 'uniform') === 'uniform') return uniformCentres(n, m, opts.seed ?? 0);
  const scores = approximateLeverageScores(X, opts.lambda, { ...opts, sample: Math.min(n, Math.max(m, 1000)), seed: opts.seed });
  return weightedCentres(scores, m, (opts.seed ?? 0) + 1);
}

/** Build the K_nM operator for the chosen mode. */
export async function crossKernelFor(
  X: Matrix,
  C: Mat64,
  opts: KernelBlockOptions & { crossKernel?: 'stored' | 'streamed' },
): Promise<CrossKernel> {
  return (opts.crossKernel ?? 'stored') === 'stored' ? storedCrossKernel(X, C, opts) : streamedCrossKernel(X, C, opts);
}

/** Centres, K_MM, K_nM operator and the solve: the whole Falkon fit on (X, Y). */
export async function falkonFit(X: Matrix, Y: Mat64, opts: FalkonFitOptions): Promise<FalkonModel> {
  const centreIndex = selectCentres(X, opts);
  const C = gatherRows(X, centreIndex);
  const Kmm = ntkGram(C, undefined, opts);
  const Knm = await crossKernelFor(X, C, opts);
  const { alpha, cg } = falkonSolve(Knm, Kmm, Y, opts.lambda, opts);
  return { centres: C, centreIndex, alpha, kernel: kernelOnly(opts), lambda: opts.lambda, cg };
}

function kernelOnly(o: KernelBlockOptions): KernelBlockOptions {
  return { depth: o.depth, sigmaW: o.sigmaW, sigmaB: o.sigmaB, kind: o.kind, blockRows: o.blockRows };
}

/** f(X) = K(X, C) α, the kernel streamed in row blocks (n × K). */
export function falkonPredict(model: Pick<FalkonModel, 'centres' | 'alpha' | 'kernel'>, X: Matrix): Mat64 {
  const out = mat64(X.rows, model.alpha.cols);
  forEachKernelBlock(X, model.centres, model.kernel, (r0, r1, Kb) => {
    gemm(Kb, model.alpha, { out: { rows: r1 - r0, cols: out.cols, data: out.data.subarray(r0 * out.cols, r1 * out.cols) } });
  });
  return out;
}
