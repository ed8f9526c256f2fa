import { fail, log } from '@tangent/base';
import { NotPositiveDefiniteError, cholesky, choleskySolve, gemm, mat64, rng, rowsView, type Mat64, type Matrix } from '@tangent/linalg';
import { kernelTimes, type CrossKernelDtype, type KernelBlockOptions } from './kernel-blocks.ts';
import {
  centreFactors,
  crossKernelFor,
  crossKernelProblem,
  falkonPredict,
  falkonSolveProblem,
  gramProblem,
  kernelOnly,
  selectCentreSets,
  type FalkonModel,
  type FalkonProblem,
} from './falkon.ts';
import { planKernelRegression, type CrossKernelMode, type MemoryPlan, type SolverChoice } from './memory-model.ts';
import { nystromGram, sumSegments } from './nystrom-gram.ts';
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
  /** Force the cross-kernel mode instead of the memory model's choice (memory-model.ts's CrossKernelMode). */
  crossKernel?: 'auto' | CrossKernelMode;
  /** Precision of a stored K_nM (default float32: half the memory and half the bytes per CG iteration). */
  dtype?: CrossKernelDtype;
  /** Start each CG at the previous solve's α (the next λ, the refit); default true. */
  warmStart?: boolean;
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
  predict: (X: Matrix) => Promise<Mat64>;
  /** The Falkon model (centres, α), or null for exact. */
  model: FalkonModel | null;
  /** Falkon's wall seconds: K_nM (and K_MM), the validation solves, the refit; null for exact. */
  timings: { crossKernel: number; validation: number; refit: number } | null;
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
    dtype: o.dtype,
    crossKernel: o.crossKernel,
    validationRows: vf > 0 ? Math.round(vf * n) : 0,
    solves: (o.lambdas.length > 1 || centresList.length > 1) && vf > 0 ? o.lambdas.length * centresList.length + 1 : 1,
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
    timings: null,
    predict: (Xt) => kernelTimes(Xt, X, alpha, kernel),
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

/** Seed of the centre draw, apart from the validation split's stream (rng(seed)) so that the two are independent. */
export function centreSeed(seed: number): number {
  return Math.imul(seed + 1, 0x85ebca6b) >>> 0;
}

/**
 * What the search and the refit need of one centre set: the problems on the fit rows and on all
 * rows (falkon.ts's FalkonProblem), and the validation rows' scores K_val α.
 */
interface CentreSetData {
  fit(): Promise<FalkonProblem>;
  all(): Promise<FalkonProblem>;
  validationScores(alpha: Mat64): Promise<Mat64>;
}

/** The largest centre set's data, in the planned mode, and its restriction to nested sets (positions `pos`). */
async function centreData(
  X: Matrix,
  C: Mat64,
  Yo: Mat64,
  nFit: number,
  mode: CrossKernelMode,
  o: LargeScaleKrrOptions,
  order: Int32Array | undefined,
): Promise<(pos: Int32Array | null) => CentreSetData> {
  const n = Yo.rows;
  const kernel = { ...kernelOnly(o), order };
  if (mode === 'gram') {
    const segs = await nystromGram(X, C, Yo, { ...kernel, cuts: nFit < n ? [0, nFit, n] : [0, n], keep: nFit < n ? [1] : [] });
    let total: ReturnType<typeof sumSegments> | null = null;
    return (pos) => ({
      fit: async () => gramProblem(sub(segs[0].gram, pos, pos), sub(segs[0].rhs, pos, null), nFit),
      all: async () => {
        total ??= sumSegments(segs);
        return gramProblem(sub(total.gram, pos, pos), sub(total.rhs, pos, null), n);
      },
      validationScores: async (alpha) => gemm(sub(segs[1].rows!, null, pos), alpha),
    });
  }
  const Knm = await crossKernelFor(X, C, { ...kernel, crossKernel: mode, dtype: o.dtype });
  return (pos) => {
    const K = pos ? Knm.columns(pos) : Knm;
    return {
      fit: () => crossKernelProblem(K.rows(0, nFit), rowsView(Yo, 0, nFit)),
      all: () => crossKernelProblem(K, Yo),
      validationScores: (alpha) => K.rows(nFit, n).times(alpha),
    };
  };
}

/** Rows `rows` and columns `cols` of A (null: all). */
function sub(A: Mat64, rows: Int32Array | null, cols: Int32Array | null): Mat64 {
  if (!rows && !cols) return A;
  const r = rows ?? Int32Array.from({ length: A.rows }, (_, i) => i);
  const c = cols ?? Int32Array.from({ length: A.cols }, (_, j) => j);
  return subMatrix(A, Array.from(r), Array.from(c));
}

/**
 * Falkon with one pass over K_nM for the whole λ (and M) search and the refit. The kernel's rows
 * are the fit rows first, then the validation rows (`order`), so the validation fit is Falkon on
 * the row prefix (the same entries, no mask) and its scores are the suffix's K α. The centres
 * are drawn among the fit rows (as a fit on those rows alone would draw them) and nested across M
 * (the largest set's K_nM holds the others' columns). L and (1/M)LᵀL are shared by every λ; λ
 * goes from the largest down, each solve warm-started at the previous one's α, and the refit at
 * the chosen λ's validation α — CG's stopping rule |r| ≤ tol·|b| is unchanged.
 */
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
  const n = X.rows;
  const mode = plan.crossKernel!;
  const fitRows = mask ? Int32Array.from({ length: n }, (_, i) => i).filter((i) => mask[i]) : null;
  const nFit = fitRows ? fitRows.length : n;
  const order = fitRows ? Int32Array.from([...fitRows, ...valRows]) : undefined;
  const Yo = order ? gatherRows(Y, order) : Y;
  const mMax = centresList.at(-1)!;
  const warm = o.warmStart ?? true;
  const t0 = performance.now();
  const sets = selectCentreSets(
    X,
    { ...kernelOnly(o), sampling: o.sampling, lambda: o.lambdas[0], centres: mMax, seed: centreSeed(o.seed ?? 0) },
    centresList,
    fitRows ?? undefined,
  );
  const idxMax = sets.at(-1)!;
  const KmmMax = ntkGram(gatherRows(X, idxMax), undefined, kernelOnly(o));
  const dataOf = await centreData(X, gatherRows(X, idxMax), Yo, nFit, mode, o, order);
  const t1 = performance.now();
  log(`  K_nM (${n} × ${mMax}, ${mode}${mode === 'stored' ? `, ${o.dtype ?? 'float32'}` : ''}): ${((t1 - t0) / 1000).toFixed(1)} s`);
  /** Centre set of M: its indices, its data and the λ-free factors. */
  const centreSet = (m: number) => {
    const idx = sets[centresList.indexOf(m)];
    const pos = m === mMax ? null : positionsIn(idxMax, idx);
    return { m, idx, data: dataOf(pos), factors: centreFactors(pos ? sub(KmmMax, pos, pos) : KmmMax, o.jitter) };
  };
  const validation: ValidationRow[] = [];
  let best = { m: mMax, lambda: o.lambdas[0], acc: -1, alpha: null as Mat64 | null };
  let chosen: ReturnType<typeof centreSet> | null = null;
  if (mask && (o.lambdas.length > 1 || centresList.length > 1)) {
    const valLabels = valRows.map((i) => labels[i]);
    for (const m of centresList) {
      const set = centreSet(m);
      const fit = await set.data.fit();
      let prev: Mat64 | undefined;
      for (const lambda of [...o.lambdas].sort((a, b) => b - a)) {
        const t = performance.now();
        const sol = await falkonSolveProblem(fit, set.factors, lambda, {
          ...o,
          alpha0: warm ? prev : undefined,
          label: `falkon CG validate M=${m} λ=${lambda.toPrecision(3)}`,
        });
        prev = sol.alpha;
        const acc = scoreAccuracy(await set.data.validationScores(sol.alpha), valLabels);
        validation.push({
          centres: m,
          lambda,
          accuracy: acc,
          iterations: sol.cg.iterations,
          residual: sol.cg.relResidual,
          seconds: (performance.now() - t) / 1000,
        });
        log(
          `  validation M = ${m}, λ = ${lambda.toPrecision(3)}: accuracy ${(100 * acc).toFixed(2)} % (${sol.cg.iterations} CG iterations)`,
        );
        // Ties keep the smaller M (tried first) and, within one M, the λ listed first.
        if (acc > best.acc || (acc === best.acc && m === best.m && o.lambdas.indexOf(lambda) < o.lambdas.indexOf(best.lambda)))
          ((best = { m, lambda, acc, alpha: sol.alpha }), (chosen = set));
      }
    }
  }
  const t2 = performance.now();
  const cur = chosen ?? centreSet(best.m);
  const sol = await falkonSolveProblem(await cur.data.all(), cur.factors, best.lambda, {
    ...o,
    alpha0: warm && best.alpha ? best.alpha : undefined,
    label: `falkon CG M=${best.m} λ=${best.lambda.toPrecision(3)}`,
  });
  const model: FalkonModel = {
    centres: gatherRows(X, cur.idx),
    centreIndex: cur.idx,
    alpha: sol.alpha,
    kernel: kernelOnly(o),
    lambda: best.lambda,
    cg: sol.cg,
  };
  const t3 = performance.now();
  return {
    plan,
    timings: { crossKernel: (t1 - t0) / 1000, validation: (t2 - t1) / 1000, refit: (t3 - t2) / 1000 },
    lambda: best.lambda,
    centres: best.m,
    validation,
    iterations: sol.cg.iterations,
    residual: sol.cg.relResidual,
    model,
    predict: (Xt) => falkonPredict(model, Xt),
  };
}

/** Position of each of `sub`'s indices in `all` (both sorted; sub ⊂ all). */
function positionsIn(all: Int32Array, sub: Int32Array): Int32Array {
  const out = new Int32Array(sub.length);
  for (let a = 0, b = 0; b < sub.length; b++) {
    while (a < all.length && all[a] < sub[b]) a++;
    if (all[a] !== sub[b]) fail(`centres: the M = ${sub.length} set is not nested in the M = ${all.length} set`);
    out[b] = a;
  }
  return out;
}
