import { fail, progress } from '@tangent/base';
import { cholesky, choleskySolve, gatherRows, gemm, hasEigh, mat64, syrk, type Mat64 } from '@tangent/linalg';
import { argmaxLabels, classificationScores, decideLabels, type LabelCoding } from './classification-metrics.ts';
import { kernelRidgeFit, kernelRidgePredict } from './kernel-ridge-fit.ts';
import { ridgeSpectrum, shiftedInverse, spectralRidgeAlphas, targetColumns, type RidgeSpectrum } from './spectral-ridge.ts';

/** K[rows, cols] as a new dense matrix. */
export function subKernel(K: Mat64, rows: ArrayLike<number>, cols: ArrayLike<number>): Mat64 {
  const out = mat64(rows.length, cols.length);
  const m = cols.length,
    n = K.cols;
  for (let a = 0; a < rows.length; a++) {
    const src = rows[a] * n,
      dst = a * m;
    for (let b = 0; b < m; b++) out.data[dst + b] = K.data[src + cols[b]];
  }
  return out;
}

export type RidgeSolver = 'auto' | 'shared-eigh' | 'eigh' | 'cholesky';

/**
 * Measured (2 cores, OpenBLAS 0.3.21, n = 6090): dsyevd ≈ 24 s — its tridiagonal reduction is
 * memory-bound BLAS2 — against ≈ 1 s for dpotrf + solves at BLAS3 speed. So one
 * eigendecomposition per fold pays off only beyond about this many λ per fold.
 */
export const EIGH_BREAK_EVEN_LAMBDAS = 24;

/**
 * 'auto' (with native LAPACK): one eigendecomposition of the whole kernel shared by every fold
 * (groupHoldoutScores) when it is computed anyway (exact LOO needs it) or when it costs less than
 * the folds × λ Choleskys (one ≈ 24 s at n = 6090 against ≈ 0.5 s per fold-sized Cholesky:
 * beyond 2·EIGH_BREAK_EVEN_LAMBDAS solves); else per-λ Cholesky for short grids and one
 * eigendecomposition per fold for long ones. A jitter keeps the per-fold paths. Measured on the
 * tweets (n = 6091, 5 folds × 20 λ, LOO on, 2 cores): the ntk stage 101 s with 100 Choleskys,
 * 46 s with the shared eigendecomposition.
 */
export function autoSolver(lambdaCount: number, jitter = 0, folds = 5, eighAnyway = false): 'shared-eigh' | 'eigh' | 'cholesky' {
  if (!hasEigh()) return 'cholesky';
  if (!jitter && (eighAnyway || folds * lambdaCount > 2 * EIGH_BREAK_EVEN_LAMBDAS)) return 'shared-eigh';
  return lambdaCount > EIGH_BREAK_EVEN_LAMBDAS ? 'eigh' : 'cholesky';
}

/**
 * Predictions at the held-out rows F of kernel ridge fitted on all the other rows, for every λ,
 * from ONE eigendecomposition K = V diag(s) Vᵀ of the whole kernel (the leave-group-out form of
 * Allen's PRESS identity; An, Liu & Venkatesh 2007, Pattern Recognition 40, eq. 10): with
 * G = (K + λI)⁻¹ and α = G y,
 *     y_F − ŷ_{−F}(X_F) = (G_FF)⁻¹ α_F,    G_FF = V_F diag(1/(s + λ)) V_Fᵀ,
 * exact (no refit): each λ costs one |F|²·n product and one |F|³/3 Cholesky. G_FF is formed as
 * W Wᵀ with W = V_F diag((s + λ)^−½), so it is positive definite by construction.
 * Returns |F| × |λ| (column c ↔ lambdas[c]). With T targets (Y n × T, `spec` of Y) G_FF does not
 * depend on them: one Cholesky per λ solves all T, and the result is |F| × (|λ|·T), column c·T + t.
 */
export function groupHoldoutScores(
  spec: RidgeSpectrum,
  y: Float64Array | Mat64,
  rows: ArrayLike<number>,
  lambdas: ArrayLike<number>,
  alphas = spectralRidgeAlphas(spec, lambdas, 'cross-validation'),
): Mat64 {
  const n = spec.values.length,
    m = lambdas.length,
    f = rows.length,
    T = spec.targets;
  const Y = targetColumns(y);
  if (Y.targets !== T || Y.rows !== n)
    fail(`groupHoldoutScores: ${Y.rows}×${Y.targets} targets for a spectrum of ${n} rows and ${T} targets`);
  const inv = shiftedInverse(spec.values, lambdas, 'cross-validation');
  const V = spec.vectors.data;
  const W = mat64(f, n),
    G = mat64(f, f),
    out = mat64(f, m * T);
  const aF = new Float64Array(f * T),
    root = new Float64Array(n);
  for (let c = 0; c < m; c++) {
    for (let j = 0; j < n; j++) root[j] = Math.sqrt(inv.data[j * m + c]);
    for (let a = 0; a < f; a++) {
      const src = rows[a] * n,
        dst = a * n;
      for (let j = 0; j < n; j++) W.data[dst + j] = V[src + j] * root[j];
      for (let t = 0; t < T; t++) aF[a * T + t] = alphas.data[(rows[a] * m + c) * T + t];
    }
    syrk(W, { out: G, lowerOnly: true });
    const L = cholesky(G, { overwrite: true, what: 'G_FF' });
    const r = T === 1 ? choleskySolve(L, aF) : choleskySolve(L, mat64(f, T, aF)).data;
    for (let a = 0; a < f; a++) for (let t = 0; t < T; t++) out.data[(a * m + c) * T + t] = Y.data[rows[a] * T + t] - r[a * T + t];
  }
  return out;
}

export interface CvOptions {
  lambdas: number[];
  solver?: RidgeSolver;
  /** The eigendecomposition of K with targets y (ridgeSpectrum), when the caller has it: 'shared-eigh' reuses it. */
  spectrum?: RidgeSpectrum;
  coding?: LabelCoding;
  jitter?: number;
  label?: string;
}

export interface CvResult {
  lambdas: number[];
  /** The path actually taken: one eigendecomposition for all folds, one per fold, or one Cholesky per fold and λ. */
  solver: 'shared-eigh' | 'eigh' | 'cholesky';
  folds: number;
  /** [fold][λ] */
  accuracy: Float64Array[];
  /** The positive class's F1 for binary targets (a vector y); macro-F1 for K classes (a target matrix). */
  f1: Float64Array[];
  /** Macro-F1 (multiclassMetrics), binary targets included. */
  macroF1: Float64Array[];
  /** Mean squared residual over the fold's rows (and, for a target matrix, its T columns). */
  mse: Float64Array[];
  seconds: number;
}

/**
 * k-fold cross-validation of kernel ridge regression over a λ grid on a precomputed kernel
 * K (n × n) with targets y (coded) and 0/1 truth. Each fold's training kernel is factored once:
 * by eigh (then every λ is two small GEMMs, see spectral-ridge.ts), or by one Cholesky per λ;
 * 'auto' picks by the measured cost (autoSolver). K classes: y the n × K one-hot targets
 * (encodeOneHot) and truth the class indices 0..K−1; every factorisation serves the K columns at
 * once, and a row's prediction is the argmax of its K scores.
 */
export function crossValidateRidge(
  K: Mat64,
  y: Float64Array | Mat64,
  truth: ArrayLike<number>,
  fold: ArrayLike<number>,
  opts: CvOptions,
): CvResult {
  const n = K.rows;
  const Y = targetColumns(y);
  const T = Y.targets;
  if (K.cols !== n || Y.rows !== n || truth.length !== n || fold.length !== n)
    fail(`crossValidateRidge: kernel ${K.rows}×${K.cols}, ${Y.rows} targets, ${truth.length} labels, ${fold.length} folds disagree`);
  const lambdas = opts.lambdas;
  if (!lambdas.length) fail('crossValidateRidge: empty λ grid');
  const want = opts.solver ?? 'auto';
  const coding = opts.coding ?? 'pm1';
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isInteger(fold[i]) || fold[i] < 0) fail(`crossValidateRidge: row ${i} has fold ${fold[i]}; expected 0..k−1`);
    k = Math.max(k, fold[i] + 1);
  }
  const solver = want === 'auto' ? autoSolver(lambdas.length, opts.jitter, k, !!opts.spectrum) : want;
  if (solver === 'shared-eigh' && opts.jitter) fail('crossValidateRidge: the shared-eigh solver takes no jitter; use cholesky');
  const m = lambdas.length;
  const res: CvResult = { lambdas: [...lambdas], solver, folds: k, accuracy: [], f1: [], macroF1: [], mse: [], seconds: 0 };
  const t0 = performance.now();
  const bar = progress(opts.label ?? `cv ${k}×${m} (${solver})`, k * m, 'fits');
  let shared: { spec: RidgeSpectrum; alphas: Mat64 } | null = null;
  if (solver === 'shared-eigh') {
    const spec = opts.spectrum ?? ridgeSpectrum(K, y);
    if (spec.values.length !== n || spec.targets !== T)
      fail(
        `crossValidateRidge: the given spectrum is of a ${spec.values.length}×${spec.values.length} kernel with ${spec.targets} targets, not ${n}×${n} with ${T}`,
      );
    shared = { spec, alphas: spectralRidgeAlphas(spec, lambdas, 'cross-validation') };
  }
  for (let f = 0; f < k; f++) {
    const tr: number[] = [],
      va: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? va : tr).push(i);
    if (!va.length || !tr.length) fail(`crossValidateRidge: fold ${f} is empty or holds every row`);
    const what = `cv fold ${f}`;
    // scores: |va| × (|λ|·T), column c·T + t ↔ (lambdas[c], target t)
    let scores: Mat64;
    if (shared) {
      scores = groupHoldoutScores(shared.spec, y, va, lambdas, shared.alphas);
      bar.tick(m);
    } else {
      // the per-fold paths refit on the fold's training rows
      const Ktr = subKernel(K, tr, tr);
      const Kva = subKernel(K, va, tr);
      const ytr = T === 1 ? Float64Array.from(tr, (i) => Y.data[i]) : gatherRows(y as Mat64, tr);
      if (solver === 'eigh') {
        const spec = ridgeSpectrum(Ktr, ytr, { overwrite: true });
        scores = gemm(Kva, spectralRidgeAlphas(spec, lambdas, what));
        bar.tick(m);
      } else {
        scores = mat64(va.length, m * T);
        // One work buffer per fold: each λ refills it and factors in place (no 8n² allocation per λ).
        const work = mat64(Ktr.rows, Ktr.cols);
        for (let c = 0; c < m; c++) {
          work.data.set(Ktr.data);
          const alpha = kernelRidgeFit(work, ytr, lambdas[c], { jitter: opts.jitter, what, overwrite: true });
          const s = kernelRidgePredict(Kva, alpha);
          const sv = ArrayBuffer.isView(s) ? s : s.data;
          for (let a = 0; a < va.length; a++) for (let t = 0; t < T; t++) scores.data[(a * m + c) * T + t] = sv[a * T + t];
          bar.tick();
        }
      }
    }
    const met = foldScores(scores, Y.data, va, truth, T, coding);
    res.accuracy.push(met.accuracy);
    res.f1.push(met.f1);
    res.macroF1.push(met.macroF1);
    res.mse.push(met.mse);
  }
  bar.stop();
  res.seconds = (performance.now() - t0) / 1000;
  return res;
}

/**
 * One fold's scores per λ from its held-out predictions S (|va| × (|λ|·T)): accuracy, F1 and
 * macro-F1 of the decided labels (threshold for one target, argmax over T ≥ 2 class columns) and
 * the mean squared residual against the coded targets (row-major n × T).
 */
function foldScores(S: Mat64, y: Float64Array, va: number[], truth: ArrayLike<number>, T: number, coding: LabelCoding) {
  const m = S.cols / T;
  const classes = T === 1 ? 2 : T;
  const acc = new Float64Array(m),
    f1 = new Float64Array(m),
    macro = new Float64Array(m),
    mse = new Float64Array(m);
  const col = new Float64Array(va.length);
  const tv = Array.from(va, (i) => truth[i]);
  for (let c = 0; c < m; c++) {
    let se = 0;
    for (let a = 0; a < va.length; a++)
      for (let t = 0; t < T; t++) {
        const v = S.data[(a * m + c) * T + t];
        if (T === 1) col[a] = v;
        se += (v - y[va[a] * T + t]) ** 2;
      }
    const labels = T === 1 ? decideLabels(col, coding) : argmaxLabels(S, T, c);
    const met = classificationScores(labels, tv, classes);
    acc[c] = met.accuracy;
    f1[c] = met.f1;
    macro[c] = met.macroF1;
    mse[c] = se / (va.length * T);
  }
  return { accuracy: acc, f1, macroF1: macro, mse };
}

/** Mean and sample standard deviation (n − 1) over folds, per λ. */
export function foldSummary(perFold: Float64Array[]): { mean: Float64Array; sd: Float64Array } {
  const k = perFold.length,
    m = perFold[0].length;
  const mean = new Float64Array(m),
    sd = new Float64Array(m);
  for (let c = 0; c < m; c++) {
    let s = 0;
    for (let f = 0; f < k; f++) s += perFold[f][c];
    mean[c] = s / k;
    let v = 0;
    for (let f = 0; f < k; f++) v += (perFold[f][c] - mean[c]) ** 2;
    sd[c] = k > 1 ? Math.sqrt(v / (k - 1)) : 0;
  }
  return { mean, sd };
}

/** Index of the best mean score; ties go to the larger λ (the smoother model). */
export function selectLambda(lambdas: number[], meanScore: ArrayLike<number>): number {
  let best = -1;
  for (let c = 0; c < lambdas.length; c++)
    if (best < 0 || meanScore[c] > meanScore[best] || (meanScore[c] === meanScore[best] && lambdas[c] > lambdas[best])) best = c;
  return best;
}

/** n log-spaced values from lo to hi inclusive. */
export function logGrid(lo: number, hi: number, n: number): number[] {
  if (!(lo > 0 && hi >= lo && Number.isInteger(n) && n >= 1)) fail(`lambda grid: need 0 < min ≤ max and count ≥ 1, got ${lo}, ${hi}, ${n}`);
  if (n === 1) return [lo];
  const a = Math.log(lo),
    b = Math.log(hi);
  return Array.from({ length: n }, (_, i) => Math.exp(a + ((b - a) * i) / (n - 1)));
}
