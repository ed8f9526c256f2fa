import { fail, log, progress } from '@tangent/base';
import { NotPositiveDefiniteError, cholesky, gemm, mat64, syrk, triangularSolve, type Mat64, type Matrix } from '@tangent/linalg';
import { conjugateGradientAsync, type CgResult } from './conjugate-gradient.ts';
import {
  kernelTimes,
  storedCrossKernel,
  streamedCrossKernel,
  type CrossKernel,
  type CrossKernelDtype,
  type CrossKernelOptions,
  type KernelBlockOptions,
} from './kernel-blocks.ts';
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
 * Each iteration is one product K_nMᵀ(K_nM Z) — two passes over a stored or streamed K_nM
 * (kernel-blocks.ts), or one M×M GEMM with K_nMᵀK_nM made beforehand in one pass
 * (nystrom-gram.ts) — plus four M×M triangular solves; all K output columns (classes) share it.
 *
 * Reuse. L and G = (1/M) LᵀL depend on the centres alone (centreFactors): every λ and every row
 * subset (the validation fit's n) shares them, and adds only the Cholesky of G + λ_F I.
 *
 * K_MM gets a relative diagonal jitter ε·mean(diag K_MM) before its Cholesky (Falkon does the
 * same): the solved system is then H + λ ε̄ I_M, a negligible extra ridge on α.
 */

/** The λ-independent half of the preconditioner, computed once per centre set and shared by every λ and row subset. */
export interface CentreFactors {
  /** Lower Cholesky factor of K_MM + jitter·I. */
  L: Mat64;
  /** (1/M) Lᵀ L, the matrix whose shift by λ/n is factored for each λ. */
  G: Mat64;
}

export function centreFactors(Kmm: Mat64, jitter = 1e-10): CentreFactors {
  const M = Kmm.rows;
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
  return { L, G: syrk(L, { trans: true, alpha: 1 / M }) };
}

export interface FalkonPreconditioner {
  /** Lower Cholesky factor of K_MM + jitter·I. */
  L: Mat64;
  /** Lower Cholesky factor of (1/M) Lᵀ L + (λ/n) I. */
  LA: Mat64;
  n: number;
  lambda: number;
}

const isFactors = (K: Mat64 | CentreFactors): K is CentreFactors => 'G' in K;

/** The preconditioner for one (λ, n): the Cholesky of G + (λ/n) I, on L and G from centreFactors (computed here from K_MM if not given). */
export function falkonPreconditioner(Kmm: Mat64 | CentreFactors, lambda: number, n: number, jitter = 1e-10): FalkonPreconditioner {
  if (!(lambda > 0)) fail(`falkon: lambda must be > 0, got ${lambda}`);
  const { L, G } = isFactors(Kmm) ? Kmm : centreFactors(Kmm, jitter);
  const M = G.rows;
  const A = mat64(M, M, G.data.slice());
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

/** α ↦ B⁻¹ α = √n L_Aᵀ Lᵀ α: a warm start's coordinates in the preconditioned system. */
function applyBInverse(P: FalkonPreconditioner, alpha: Mat64): Mat64 {
  const out = gemm(P.LA, gemm(P.L, alpha, { transA: true }), { transA: true });
  scaleInPlace(out, Math.sqrt(P.n));
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
  /**
   * Warm start: coefficients α₀ (M × K) of a nearby problem (another λ, or the same λ on a row
   * subset). CG then starts at β₀ = B⁻¹α₀; its stopping rule |r| ≤ tol·|b| is unchanged.
   */
  alpha0?: Mat64;
}

export interface FalkonSolution {
  /** Coefficients α (M × K): f(x) = k(x, C) α. */
  alpha: Mat64;
  cg: CgResult;
}

/**
 * What a Falkon solve needs of the data: the product Z ↦ K_nMᵀ(K_nM Z) and the right-hand side
 * K_nMᵀY, over the n rows of the fit. From a CrossKernel (two passes over K_nM per product) or
 * from a precomputed M×M Gram (nystrom-gram.ts: one M×M product).
 */
export interface FalkonProblem {
  n: number;
  m: number;
  normal(Z: Mat64): Promise<Mat64>;
  /** K_nMᵀ Y (M × k). */
  rhs: Mat64;
}

/** The problem over a K_nM operator (rows outside `rowMask` take no part). */
export async function crossKernelProblem(Knm: CrossKernel, Y: Mat64, rowMask?: Uint8Array): Promise<FalkonProblem> {
  if (Y.rows !== Knm.n) fail(`falkon: ${Y.rows} target rows for a kernel with ${Knm.n} rows`);
  let n = Knm.n;
  let Yfit = Y;
  if (rowMask) {
    n = 0;
    Yfit = mat64(Y.rows, Y.cols, Y.data.slice());
    for (let i = 0; i < Y.rows; i++) {
      if (rowMask[i]) n++;
      else Yfit.data.fill(0, i * Y.cols, (i + 1) * Y.cols);
    }
  }
  return { n, m: Knm.m, normal: (Z) => Knm.normal(Z, rowMask), rhs: await Knm.timesT(Yfit) };
}

/** The problem from K_nMᵀK_nM (M×M) and K_nMᵀY of n rows. */
export function gramProblem(gram: Mat64, rhs: Mat64, n: number): FalkonProblem {
  if (gram.rows !== gram.cols || rhs.rows !== gram.rows)
    fail(`falkon: Gram ${gram.rows}×${gram.cols} with right-hand side ${rhs.rows}×${rhs.cols}`);
  return { n, m: gram.rows, normal: async (Z) => gemm(gram, Z), rhs };
}

/**
 * The preconditioned normal operator W β, with four M×M triangular solves per iteration (the
 * L_A⁻ᵀβ of the data term is reused by the ridge term):
 *     U = L_A⁻ᵀ β,  Z = L⁻ᵀ U,  W β = L_A⁻¹ [ (1/n) L⁻¹ K_nMᵀ K_nM Z + λ_F U ].
 */
function preconditionedOperator(problem: FalkonProblem, P: FalkonPreconditioner) {
  const nFit = problem.n;
  const lambdaF = P.lambda / nFit;
  return async (V: Mat64): Promise<Mat64> => {
    const U = triangularSolve(P.LA, V, { trans: true });
    const Z = triangularSolve(P.L, U, { trans: true });
    const S = triangularSolve(P.L, await problem.normal(Z));
    for (let i = 0; i < S.data.length; i++) S.data[i] = S.data[i] / nFit + lambdaF * U.data[i];
    return triangularSolve(P.LA, S);
  };
}

/** Solve eq. 8 for α given the cross-kernel operator, K_MM (or its centreFactors) and Y (n × K). */
export async function falkonSolve(
  Knm: CrossKernel,
  Kmm: Mat64 | CentreFactors,
  Y: Mat64,
  lambda: number,
  opts: FalkonSolveOptions = {},
): Promise<FalkonSolution> {
  return falkonSolveProblem(await crossKernelProblem(Knm, Y, opts.rowMask), Kmm, lambda, opts);
}

/** Solve eq. 8 for α on a FalkonProblem. */
export async function falkonSolveProblem(
  problem: FalkonProblem,
  Kmm: Mat64 | CentreFactors,
  lambda: number,
  opts: FalkonSolveOptions = {},
): Promise<FalkonSolution> {
  const M = isFactors(Kmm) ? Kmm.L.rows : Kmm.rows;
  if (M !== problem.m || (!isFactors(Kmm) && Kmm.cols !== problem.m))
    fail(`falkon: K_MM is ${M}×${isFactors(Kmm) ? M : Kmm.cols}, expected ${problem.m}×${problem.m}`);
  const k = problem.rhs.cols;
  if (opts.alpha0 && (opts.alpha0.rows !== M || opts.alpha0.cols !== k))
    fail(`falkon: alpha0 is ${opts.alpha0.rows}×${opts.alpha0.cols}, expected ${M}×${k}`);
  const P = falkonPreconditioner(Kmm, lambda, problem.n, opts.jitter);
  const b = applyBtUnscaled(P, problem.rhs);
  scaleInPlace(b, 1 / Math.sqrt(problem.n));
  const maxIter = opts.maxIter ?? 50;
  const bar = progress(opts.label ?? `falkon CG (M=${M}, λ=${lambda.toPrecision(3)})`, maxIter, 'it');
  const cg = await conjugateGradientAsync(preconditionedOperator(problem, P), b, {
    maxIter,
    tol: opts.tol ?? 1e-6,
    x0: opts.alpha0 ? applyBInverse(P, opts.alpha0) : undefined,
    onIter: (it, r) => {
      bar.tick(1);
      if (process.env.TANGENT_CG_LOG) log(`  CG ${it}: relative residual ${r.toExponential(2)}`);
    },
  });
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
  /** 'stored' keeps K_nM (4·n·M bytes as float32); 'streamed' recomputes it per iteration. Default stored. */
  crossKernel?: 'stored' | 'streamed';
  /** Precision of a stored K_nM (default float32; products are summed in float64 either way). */
  dtype?: CrossKernelDtype;
}

/**
 * Centre sets for each M in `ms` (uniform or leverage-score sampling) among the rows `among` of X
 * (default all), as sorted row indices of X. At one seed the sets are nested: uniform sets are
 * heads of one permutation, leverage sets the top keys of one draw over one set of scores, so
 * the largest set's K_nM holds every smaller set's columns.
 */
export function selectCentreSets(X: Matrix, opts: FalkonFitOptions, ms: number[], among?: Int32Array): Int32Array[] {
  const pool = among ?? Int32Array.from({ length: X.rows }, (_, i) => i);
  const n = pool.length;
  const sizes = ms.map((m) => Math.min(m, n));
  let draw: (m: number) => Int32Array;
  if ((opts.sampling ?? 'uniform') === 'uniform') draw = (m) => uniformCentres(n, m, opts.seed ?? 0);
  else {
    const Xp = among ? gatherRows(X, among) : X;
    const sample = Math.min(n, Math.max(Math.max(...sizes), 1000));
    const scores = approximateLeverageScores(Xp, opts.lambda, { ...opts, sample, seed: opts.seed });
    draw = (m) => weightedCentres(scores, m, (opts.seed ?? 0) + 1);
  }
  return sizes.map((m) =>
    draw(m)
      .map((i) => pool[i])
      .sort(),
  );
}

/** One centre set of M = opts.centres (see selectCentreSets). */
export function selectCentres(X: Matrix, opts: FalkonFitOptions, among?: Int32Array): Int32Array {
  return selectCentreSets(X, opts, [opts.centres], among)[0];
}

/** Build the K_nM operator for the chosen mode. */
export async function crossKernelFor(
  X: Matrix,
  C: Mat64,
  opts: CrossKernelOptions & { crossKernel?: 'stored' | 'streamed'; dtype?: CrossKernelDtype },
): Promise<CrossKernel> {
  return (opts.crossKernel ?? 'stored') === 'stored' ? storedCrossKernel(X, C, opts) : streamedCrossKernel(X, C, opts);
}

/** Centres, K_MM, K_nM operator and the solve: the whole Falkon fit on (X, Y). */
export async function falkonFit(X: Matrix, Y: Mat64, opts: FalkonFitOptions): Promise<FalkonModel> {
  const centreIndex = selectCentres(X, opts);
  const C = gatherRows(X, centreIndex);
  const Kmm = ntkGram(C, undefined, opts);
  const Knm = await crossKernelFor(X, C, { ...kernelOnly(opts), crossKernel: opts.crossKernel, dtype: opts.dtype });
  const { alpha, cg } = await falkonSolve(Knm, centreFactors(Kmm, opts.jitter), Y, opts.lambda, opts);
  return { centres: C, centreIndex, alpha, kernel: kernelOnly(opts), lambda: opts.lambda, cg };
}

export function kernelOnly(o: KernelBlockOptions): KernelBlockOptions {
  return { depth: o.depth, sigmaW: o.sigmaW, sigmaB: o.sigmaB, kind: o.kind, blockRows: o.blockRows };
}

/** f(X) = K(X, C) α, the kernel made in threaded row blocks (n × K). */
export function falkonPredict(model: Pick<FalkonModel, 'centres' | 'alpha' | 'kernel'>, X: Matrix): Promise<Mat64> {
  return kernelTimes(X, model.centres, model.alpha, model.kernel);
}
