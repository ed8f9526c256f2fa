import { fail, log } from '@tangent/base';
import { NotPositiveDefiniteError, cholesky, choleskySolve, gemm, mat64, rng, type Mat64, type Matrix } from '@tangent/linalg';
import { forEachKernelBlock, type CrossKernel, type KernelBlockOptions } from './kernel-blocks.ts';
import { crossKernelFor, falkonPredict, falkonSolve, selectCentres, type FalkonModel } from './falkon.ts';
import { planKernelRegression, type MemoryPlan, type SolverChoice } from './memory-model.ts';
import { ntkGram, ntkGramAsync } from './ntk-gram.ts';
import { gatherRows } from './nystrom.ts';

/**
 * Multi-output kernel ridge regression for N from a few thousand to 10⁵: the memory model
 * (memory-model.ts) picks the exact solver (α = (K + λI)⁻¹ Y by Cholesky, the oracle) or Falkon
 * (falkon.ts), and λ — and M for Falkon — are chosen on a seeded validation split of the
 * training rows by accuracy (argmax over the K outputs; sign for K = 1), then refitted on all
 * rows. λ is in the K + λI convention for both solvers, so their figures compare directly.
 */
export interface LargeScaleKrrOptions extends KernelBlockOptions {
  solver?: SolverChoice;
  /** Candidate λ (K + λI convention). */
  lambdas: number[];
  /** Candidate numbers of Nyström centres M (Falkon only). */
  centres: number[];
  sampling?: 'uniform' | 'leverage';
  /** Share of training rows held out to choose λ and M (0: no validation, needs one λ and one M). */
  validationFraction?: number;
  seed?: number;
  maxIter?: number;
  tol?: number;
  jitter?: number;
  maxMemoryGb?: number | null;
  /** Force the cross-kernel mode instead of the memory model's choice. */
  crossKernel?: 'auto' | 'stored' | 'streamed';
}

export interface ValidationRow {
  centres: number | null;
  lambda: number;
  accuracy: number;
  iterations: number;
  residual: number;
  seconds: number;
}

export interface LargeScaleKrrResult {
  plan: MemoryPlan;
  lambda: number;
  centres: number | null;
  validation: ValidationRow[];
  /** CG iterations and residual of the final fit (Falkon), null for exact. */
  iterations: number | null;
  residual: number | null;
  /** Predictions (rows × K) for new inputs. */
  predict: (X: Matrix) => Mat64;
  /** The Falkon model (centres, α), or null for exact. */
  model: FalkonModel | null;
}

/** Accuracy of scores (n × K) against integer labels: argmax, or sign > 0 ↔ label 1 when K = 1. */
export function scoreAccuracy(F: Mat64, labels: ArrayLike<number>, rows?: ArrayLike<number>): number {
  const idx = rows ?? Array.from({ length: F.rows }, (_, i) => i);
  let ok = 0;
  for (let r = 0; r < idx.length; r++) {
    const i = idx[r];
    let pred: number;
    if (F.cols === 1) pred = F.data[i] > 0 ? 1 : 0;
    else {
      pred = 0;
      for (let c = 1; c < F.cols; c++) if (F.data[i * F.cols + c] > F.data[i * F.cols + pred]) pred = c;
    }
    if (pred === labels[i]) ok++;
  }
  return idx.length ? ok / idx.length : NaN;
}

/**
 * The fewest validation rows a choice among several λ (or M) is made on: fewer, and the accuracy
 * that decides moves in steps of more than 10 %, so the choice is noise.
 */
export const MIN_VALIDATION_ROWS = 10;

/** Seeded validation mask: 1 = fit row, 0 = validation row. */
export function validationMask(n: number, fraction: number, seed: number): Uint8Array {
  const mask = new Uint8Array(n).fill(1);
  const nVal = Math.round(fraction * n);
  const perm = rng(seed).permutation(n);
  for (let i = 0; i < nVal; i++) mask[perm[i]] = 0;
  return mask;
}

export async function fitLargeScaleKrr(
  X: Matrix,
  Y: Mat64,
  labels: ArrayLike<number>,
  o: LargeScaleKrrOptions,
): Promise<LargeScaleKrrResult> {
  const n = X.rows;
  if (Y.rows !== n) fail(`kernel regression: ${Y.rows} target rows for ${n} inputs`);
  if (!o.lambdas.length) fail('lambdas: give at least one λ');
  const vf = o.validationFraction ?? 0.1;
  const centresList = [...new Set(o.centres.map((m) => Math.min(m, n)))].sort((a, b) => a - b);
  if (!centresList.length) fail('centres: give at least one M');
  if (o.centres.some((m) => m > n)) log(`kernel regression: centres above the ${n} training rows are capped at M = N`);
  const plan = planKernelRegression({
    n,
    d: X.cols,
    k: Y.cols,
    m: centresList.at(-1)!,
    blockRows: o.blockRows,
    solver: o.solver,
    maxMemoryGb: o.maxMemoryGb,
  });
  log(`kernel regression: ${plan.reason}`);
  const mask = vf > 0 ? validationMask(n, vf, o.seed ?? 0) : null;
  const valRows = mask ? Array.from({ length: n }, (_, i) => i).filter((i) => !mask[i]) : [];
  const needSelect = o.lambdas.length > 1 || (plan.solver === 'falkon' && centresList.length > 1);
  if (needSelect && valRows.length < MIN_VALIDATION_ROWS)
    fail(
      `validationFraction: ${vf} of ${n} training rows leaves ${valRows.length} validation rows to choose λ${plan.solver === 'falkon' && centresList.length > 1 ? ' and M' : ''} on; at least ${MIN_VALIDATION_ROWS} are needed: raise validationFraction or the training rows (data.trainSubset), or give one λ${plan.solver === 'falkon' ? ' and one M' : ''}`,
    );
  return plan.solver === 'exact'
    ? exactPath(X, Y, labels, o, plan, mask, valRows)
    : falkonPath(X, Y, labels, o, plan, mask, valRows, centresList);
}

async function exactPath(
  X: Matrix,
  Y: Mat64,
  labels: ArrayLike<number>,
  o: LargeScaleKrrOptions,
  plan: MemoryPlan,
  mask: Uint8Array | null,
  valRows: number[],
): Promise<LargeScaleKrrResult> {
  const n = X.rows;
  const K = await ntkGramAsync(X, undefined, { ...o, maxMemoryGb: o.maxMemoryGb ?? null });
  const validation: ValidationRow[] = [];
  let best = o.lambdas[0];
  if (o.lambdas.length > 1 && mask) {
    const fit = Array.from({ length: n }, (_, i) => i).filter((i) => mask[i]);
    let bestAcc = -1;
    for (const lambda of o.lambdas) {
      const t0 = performance.now();
      const Kff = subMatrix(K, fit, fit);
      const alpha = choleskyRidge(Kff, gatherRows(Y, fit), lambda, o.jitter ?? 0);
      const F = gemm(subMatrix(K, valRows, fit), alpha);
      const acc = scoreAccuracy(
        F,
        valRows.map((i) => labels[i]),
      );
      validation.push({ centres: null, lambda, accuracy: acc, iterations: 0, residual: 0, seconds: (performance.now() - t0) / 1000 });
      if (acc > bestAcc) ((bestAcc = acc), (best = lambda));
    }
  }
  const alpha = choleskyRidge(K, Y, best, o.jitter ?? 0, true);
  const kernel = kernelOnly(o);
  return {
    plan,
    lambda: best,
    centres: null,
    validation,
    iterations: null,
    residual: null,
    model: null,
    predict: (Xt) => {
      const out = mat64(Xt.rows, alpha.cols);
      forEachKernelBlock(Xt, X, kernel, (r0, r1, Kb) =>
        gemm(Kb, alpha, { out: { rows: r1 - r0, cols: out.cols, data: out.data.subarray(r0 * out.cols, r1 * out.cols) } }),
      );
      return out;
    },
  };
}

/** α = (K + λI)⁻¹ Y (multi-output), the exact oracle. */
export function choleskyRidge(K: Mat64, Y: Mat64, lambda: number, jitter = 0, overwrite = false): Mat64 {
  const n = K.rows;
  const A = overwrite ? K : mat64(n, n, K.data.slice());
  let tr = 0;
  for (let i = 0; i < n; i++) tr += A.data[i * n + i];
  for (let i = 0; i < n; i++) A.data[i * n + i] += lambda + (jitter * tr) / n;
  try {
    return choleskySolve(cholesky(A, { overwrite: true, what: 'K + λI' }), Y);
  } catch (e) {
    if (e instanceof NotPositiveDefiniteError) fail(`exact kernel ridge: K + λI is singular at λ = ${lambda}; use a larger λ or jitter`);
    throw e;
  }
}

function subMatrix(K: Mat64, rows: number[], cols: number[]): Mat64 {
  const out = mat64(rows.length, cols.length);
  for (let a = 0; a < rows.length; a++) {
    const base = rows[a] * K.cols;
    for (let b = 0; b < cols.length; b++) out.data[a * cols.length + b] = K.data[base + cols[b]];
  }
  return out;
}

function kernelOnly(o: KernelBlockOptions): KernelBlockOptions {
  return { depth: o.depth, sigmaW: o.sigmaW, sigmaB: o.sigmaB, kind: o.kind, blockRows: o.blockRows };
}

async function falkonPath(
  X: Matrix,
  Y: Mat64,
  labels: ArrayLike<number>,
  o: LargeScaleKrrOptions,
  plan: MemoryPlan,
  mask: Uint8Array | null,
  valRows: number[],
  centresList: number[],
): Promise<LargeScaleKrrResult> {
  const crossKernel = o.crossKernel && o.crossKernel !== 'auto' ? o.crossKernel : plan.crossKernel!;
  const validation: ValidationRow[] = [];
  const valLabels = valRows.map((i) => labels[i]);
  let best = { m: centresList.at(-1)!, lambda: o.lambdas[0], acc: -1 };
  let current: { m: number; idx: Int32Array; C: Mat64; Kmm: Mat64; Knm: CrossKernel } | null = null;
  const build = async (m: number) => {
    const idx = selectCentres(X, { ...o, crossKernel, lambda: best.lambda, centres: m });
    const C = gatherRows(X, idx);
    const Kmm = ntkGram(C, undefined, kernelOnly(o));
    current = null; // drop the previous K_nM before allocating the next
    const Knm = await crossKernelFor(X, C, { ...kernelOnly(o), crossKernel });
    return { m, idx, C, Kmm, Knm };
  };
  if (mask && (o.lambdas.length > 1 || centresList.length > 1)) {
    for (const m of centresList) {
      current = await build(m);
      for (const lambda of o.lambdas) {
        const t0 = performance.now();
        const sol = falkonSolve(current.Knm, current.Kmm, Y, lambda, {
          ...o,
          rowMask: mask,
          label: `falkon CG validate M=${m} λ=${lambda.toPrecision(3)}`,
        });
        const F = current.Knm.times(sol.alpha);
        const acc = scoreAccuracy(F, labels, valRows);
        validation.push({
          centres: m,
          lambda,
          accuracy: acc,
          iterations: sol.cg.iterations,
          residual: sol.cg.relResidual,
          seconds: (performance.now() - t0) / 1000,
        });
        log(
          `  validation M = ${m}, λ = ${lambda.toPrecision(3)}: accuracy ${(100 * acc).toFixed(2)} % (${sol.cg.iterations} CG iterations)`,
        );
        if (acc > best.acc) best = { m, lambda, acc };
      }
    }
    void valLabels;
  }
  const cur: { m: number; idx: Int32Array; C: Mat64; Kmm: Mat64; Knm: CrossKernel } =
    current && (current as { m: number }).m === best.m ? current : await build(best.m);
  const sol = falkonSolve(cur.Knm, cur.Kmm, Y, best.lambda, { ...o, label: `falkon CG M=${best.m} λ=${best.lambda.toPrecision(3)}` });
  const model: FalkonModel = {
    centres: cur.C,
    centreIndex: cur.idx,
    alpha: sol.alpha,
    kernel: kernelOnly(o),
    lambda: best.lambda,
    cg: sol.cg,
  };
  return {
    plan: { ...plan, crossKernel },
    lambda: best.lambda,
    centres: best.m,
    validation,
    iterations: sol.cg.iterations,
    residual: sol.cg.relResidual,
    model,
    predict: (Xt) => falkonPredict(model, Xt),
  };
}
