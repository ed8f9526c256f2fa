import type { Table } from 'apache-arrow';
import { buildTable, fixedSizeListVector } from '@tangent/arrow-io';
import { fail, log } from '@tangent/base';
import {
  cvSchema,
  defineStage,
  embeddingColumns,
  krrFile,
  predictionsSchema,
  readEmbeddings,
  splitSchema,
  splitTable,
  submissionCsv,
  type KrrMetrics,
  type OutputFile,
  type StageContext,
} from '@tangent/contracts';
import {
  assertFitsInMemory,
  autoSolver,
  binaryMetrics,
  crossValidateRidge,
  decideLabels,
  encodeLabels,
  f64Bytes,
  foldSummary,
  kernelRidgeFit,
  kernelRidgePredict,
  logGrid,
  looResiduals,
  ntkGramAsync,
  ridgeSpectrum,
  selectLambda,
  spectralRidgeAlphas,
  stratifiedSplit,
  subKernel,
  type RidgeSpectrum,
} from '@tangent/kernels';
import { TS_EIGH_MAX_N, backendInfo, hasEigh, mat64, type Mat64 } from '@tangent/linalg';
import { ntkConfigSchema, type NtkConfig } from './config.ts';

export const STAGE = 'ntk';
export const STAGE_VERSION = '1';

interface SplitData {
  path: string;
  ids: Int32Array;
  target: Array<number | null>;
  X: Mat64;
}

/** The (train, test) rows of a pca artifact pair, float64 for the kernels. */
function readInputs(ctx: StageContext<NtkConfig>): { train: SplitData; test: SplitData } {
  const pca = ctx.dep('pca');
  const read = (split: 'train' | 'test'): SplitData => {
    const { table, path } = ctx.readArrow(pca, `${split}.arrow`, embeddingColumns);
    const e = readEmbeddings(table, path, split);
    return { path, ids: e.ids, target: e.target, X: mat64(e.rows, e.dim, Float64Array.from(e.values)) };
  };
  const train = read('train');
  const test = read('test');
  if (test.X.cols !== train.X.cols)
    fail(`${test.path}: embeddings have dim ${test.X.cols} but train has ${train.X.cols}; rerun the pca stage`);
  if (new Set(train.target).size < 2) fail(`${train.path}: the training rows have a single class; kernel ridge classification needs both`);
  return { train, test };
}

/**
 * Stage 4: data/pca/<input>/{train,test}.arrow → stratified fit/eval split → kernel ridge with
 * the NTK (or NNGP), λ by k-fold CV on the fit part → eval metrics, test predictions and the
 * Kaggle submission, all in data/ntk/<input>/, published together. Each kernel of `compare` is
 * fitted the same way on the same split and folds (metrics-<kernel>.json, cv-<kernel>.arrow,
 * predictions-<kernel>.arrow), so kernels are compared row by row.
 */
export const ntkStage = defineStage({
  name: 'ntk',
  version: STAGE_VERSION,
  description: 'analytical NTK/NNGP Gram + kernel ridge regression with cross-validated λ -> data/ntk/<embedder>-d<d>/',
  configSchema: ntkConfigSchema,
  inputs: ['pca'],
  outputs: [
    'split.arrow',
    'cv.arrow',
    'predictions.arrow',
    'metrics.json',
    'submission.csv',
    'cv-*.arrow',
    'predictions-*.arrow',
    'metrics-*.json',
  ],
  run: (ctx) => runNtk(ctx),
});

async function runNtk(ctx: StageContext<NtkConfig>) {
  const cfg = ctx.config;
  const tStart = performance.now();
  const t0 = performance.now();
  const { train, test } = readInputs(ctx);
  const readSeconds = +((performance.now() - t0) / 1000).toFixed(3);
  const n = train.X.rows;

  // Split on rows ordered by id, so the assignment depends on (id, target, seed) only, not on row order.
  const byId = Array.from({ length: n }, (_, i) => i).sort((a, b) => train.ids[a] - train.ids[b]);
  for (let p = 1; p < n; p++)
    if (train.ids[byId[p]] === train.ids[byId[p - 1]]) fail(`${train.path}: id ${train.ids[byId[p]]} appears twice`);
  const sorted = stratifiedSplit(
    byId.map((i) => train.target[i]!),
    { evalFraction: cfg.evalFraction, folds: cfg.folds, seed: cfg.seed },
  );
  const split = { isEval: new Uint8Array(n), fold: new Int8Array(n) };
  byId.forEach((row, p) => ((split.isEval[row] = sorted.isEval[p]), (split.fold[row] = sorted.fold[p])));

  // The primary kernel, then each compared kernel on the same split, folds and λ grid (one at a time: one peak).
  const kernels = [cfg.kernel, ...cfg.compare.filter((k) => k !== cfg.kernel)];
  const results: KernelRidgeResult[] = [];
  for (const kernel of kernels) results.push(await kernelRidge(cfg, kernel, train, test, split));
  const primary = results[0];
  // The primary kernel's metrics carry the stage's reading time and its total (all kernels included).
  primary.metrics.timings = {
    read: readSeconds,
    ...primary.metrics.timings,
    stage_total: +((performance.now() - tStart) / 1000).toFixed(3),
  };

  const extra = (r: KernelRidgeResult) => ({
    input: cfg.input,
    kernel: r.metrics.kernel,
    depth: cfg.depth,
    chosenLambda: r.metrics.chosen_lambda,
    solver: r.metrics.cv.solver,
    trainRows: n,
    fitRows: r.metrics.eval.fit_rows,
    evalRows: r.metrics.eval.rows,
    testRows: test.X.rows,
    dim: train.X.cols,
  });
  const kernelFiles = results.flatMap((r): OutputFile[] => [
    {
      name: krrFile('cv', r.metrics.kernel, cfg.kernel),
      schema: cvSchema(r.metrics.cv.folds),
      table: r.cvTable,
      dtype: 'float64',
      seed: cfg.seed,
      extra: { ...extra(r), selectBy: cfg.selectBy },
    },
    {
      name: krrFile('predictions', r.metrics.kernel, cfg.kernel),
      schema: predictionsSchema,
      table: r.predTable,
      dtype: 'float64',
      seed: cfg.seed,
      extra: extra(r),
    },
    { name: krrFile('metrics', r.metrics.kernel, cfg.kernel), json: r.metrics, dtype: 'float64', seed: cfg.seed },
  ]);
  return {
    files: [
      {
        name: 'split.arrow',
        schema: splitSchema,
        table: splitTable(train.ids, split),
        dtype: 'int8',
        seed: cfg.seed,
        extra: { ...extra(primary), evalFraction: cfg.evalFraction, folds: cfg.folds },
      },
      ...kernelFiles,
      { name: 'submission.csv', text: submissionCsv(test.ids, primary.testLabels) },
    ],
    summary: results.map((r) => formatSummary(r.metrics, ctx.outDir)).join('\n'),
  };
}

interface KernelRidgeResult {
  metrics: KrrMetrics;
  cvTable: Table;
  predTable: Table;
  testLabels: Int8Array;
}

/**
 * Kernel ridge with one kernel on the stage's split: Gram of train → k-fold CV over the λ grid on
 * the fit part (+ exact LOO) → eval metrics of the fit-part model at the chosen λ → refit on all
 * of train → test predictions.
 */
async function kernelRidge(
  cfg: NtkConfig,
  kernel: NtkConfig['kernel'],
  train: SplitData,
  test: SplitData,
  split: { isEval: Uint8Array; fold: Int8Array },
): Promise<KernelRidgeResult> {
  const timings: Record<string, number> = {};
  const lap = (name: string, t0: number) => (timings[name] = +((performance.now() - t0) / 1000).toFixed(3));
  const tStart = performance.now();
  const n = train.X.rows,
    nTest = test.X.rows;
  const lambdas = cfg.lambdas ?? logGrid(cfg.lambdaGrid.min, cfg.lambdaGrid.max, cfg.lambdaGrid.count);
  const fitIdx: number[] = [],
    evalIdx: number[] = [];
  for (let i = 0; i < n; i++) (split.isEval[i] ? evalIdx : fitIdx).push(i);
  const nFit = fitIdx.length,
    nFoldTrain = Math.ceil((nFit * (cfg.folds - 1)) / cfg.folds);

  // Peak: train Gram + fit Gram + one fold's train kernel (+ its validation block), then test × train.
  const peak = Math.max(
    f64Bytes(n, n) + f64Bytes(nFit, nFit) + f64Bytes(nFoldTrain, nFoldTrain) + f64Bytes(nFit - nFoldTrain, nFoldTrain),
    f64Bytes(n, n) + f64Bytes(nTest, n),
  );
  assertFitsInMemory(peak, `ntk stage (${kernel}) on ${n} train + ${nTest} test rows`, cfg.maxMemoryGb);

  const spec = { depth: cfg.depth, sigmaW: cfg.sigmaW, sigmaB: cfg.sigmaB, kind: kernel, maxMemoryGb: cfg.maxMemoryGb };
  let t0 = performance.now();
  const Ktrain = await ntkGramAsync(train.X, undefined, { ...spec, label: `${kernel} train ${n}×${n}` });
  lap('gramTrain', t0);
  const truth = Int8Array.from(train.target as number[]);
  const y = encodeLabels(truth, cfg.labelCoding);
  const yFit = Float64Array.from(fitIdx, (i) => y[i]);
  const tFit = Int8Array.from(fitIdx, (i) => truth[i]);
  t0 = performance.now();
  const Kfit = subKernel(Ktrain, fitIdx, fitIdx);
  // One eigendecomposition of the fit kernel serves exact LOO, the CV folds ('shared-eigh') and the eval model.
  const canEigh = hasEigh() || nFit <= TS_EIGH_MAX_N;
  const cvSolver = cfg.solver === 'auto' ? autoSolver(lambdas.length, cfg.jitter, cfg.folds, cfg.loo && canEigh) : cfg.solver;
  // (Kfit's storage becomes V where nothing reads Kfit afterwards: the shared solver needs only the spectrum)
  let spectrum: RidgeSpectrum | null =
    canEigh && (cfg.loo || cvSolver === 'shared-eigh') ? ridgeSpectrum(Kfit, yFit, { overwrite: cvSolver === 'shared-eigh' }) : null;
  lap('eigh', t0);
  t0 = performance.now();
  const cv = crossValidateRidge(
    Kfit,
    yFit,
    tFit,
    Int8Array.from(fitIdx, (i) => split.fold[i]),
    {
      lambdas,
      solver: cvSolver,
      coding: cfg.labelCoding,
      jitter: cfg.jitter,
      spectrum: spectrum ?? undefined,
    },
  );
  lap('cv', t0);
  const acc = foldSummary(cv.accuracy),
    f1 = foldSummary(cv.f1),
    mse = foldSummary(cv.mse);
  const best = selectLambda(lambdas, cfg.selectBy === 'f1' ? f1.mean : acc.mean);
  const lambda = lambdas[best];
  log(
    `ntk (${kernel}): CV (${cv.solver}) picked λ = ${lambda.toPrecision(4)}: ${cfg.selectBy} ${(cfg.selectBy === 'f1' ? f1 : acc).mean[best].toFixed(4)} ± ${(cfg.selectBy === 'f1' ? f1 : acc).sd[best].toFixed(4)}`,
  );

  // Exact LOO on the whole fit part from one eigendecomposition; it also gives the eval model for free.
  const loo = {
    accuracy: new Array<number | null>(lambdas.length).fill(null),
    f1: new Array<number | null>(lambdas.length).fill(null),
    mse: new Array<number | null>(lambdas.length).fill(null),
  };
  t0 = performance.now();
  if (cfg.loo && spectrum) {
    const R = looResiduals(spectrum, lambdas);
    const m = lambdas.length;
    const pred = new Float64Array(nFit);
    for (let c = 0; c < m; c++) {
      let se = 0;
      for (let i = 0; i < nFit; i++) {
        pred[i] = yFit[i] - R.data[i * m + c];
        se += R.data[i * m + c] ** 2;
      }
      const met = binaryMetrics(decideLabels(pred, cfg.labelCoding), tFit);
      loo.accuracy[c] = met.accuracy;
      loo.f1[c] = met.f1;
      loo.mse[c] = se / nFit;
    }
  } else if (cfg.loo)
    log(`ntk (${kernel}): no native eigensolver for the ${nFit}×${nFit} fit kernel: exact LOO skipped (it needs one eigendecomposition)`);
  if (cv.solver === 'cholesky') log(`ntk: CV solved by one Cholesky per fold and λ (${cv.folds}×${lambdas.length})`);
  lap('loo', t0);

  t0 = performance.now();
  const alphaFit = spectrum
    ? spectralRidgeAlphas(spectrum, [lambda], 'eval fit').data
    : kernelRidgeFit(Kfit, yFit, lambda, { jitter: cfg.jitter, overwrite: true, what: 'eval fit' });
  const evalScores = kernelRidgePredict(subKernel(Ktrain, evalIdx, fitIdx), alphaFit);
  const evalTruth = Int8Array.from(evalIdx, (i) => truth[i]);
  const evalLabels = decideLabels(evalScores, cfg.labelCoding);
  const evalMetrics = binaryMetrics(evalLabels, evalTruth);
  lap('eval', t0);
  spectrum = null;

  // Kaggle model: refit on all of train with the chosen λ (the train Gram is factored in place).
  t0 = performance.now();
  const alphaAll = kernelRidgeFit(Ktrain, y, lambda, { jitter: cfg.jitter, overwrite: true, what: 'refit on all of train' });
  lap('refit', t0);
  t0 = performance.now();
  const Ktest = await ntkGramAsync(test.X, train.X, { ...spec, label: `${kernel} test ${nTest}×${n}` });
  const testScores = kernelRidgePredict(Ktest, alphaAll);
  const testLabels = decideLabels(testScores, cfg.labelCoding);
  lap('test', t0);
  for (const s of [evalScores, testScores]) if (!s.every(Number.isFinite)) fail('ntk: non-finite scores; increase λ or set jitter');
  timings.total = +((performance.now() - tStart) / 1000).toFixed(3);

  const be = backendInfo();
  const metrics: KrrMetrics = {
    input: cfg.input,
    kernel,
    depth: cfg.depth,
    sigma_w: cfg.sigmaW,
    sigma_b: cfg.sigmaB,
    label_coding: cfg.labelCoding,
    select_by: cfg.selectBy,
    chosen_lambda: lambda,
    cv: {
      solver: cv.solver,
      folds: cv.folds,
      accuracy: { mean: acc.mean[best], sd: acc.sd[best] },
      f1: { mean: f1.mean[best], sd: f1.sd[best] },
    },
    loo: { computed: loo.accuracy[best] !== null, accuracy: loo.accuracy[best], f1: loo.f1[best], mse: loo.mse[best] },
    eval: { rows: evalIdx.length, accuracy: evalMetrics.accuracy, f1: evalMetrics.f1, fit_rows: nFit },
    test: { rows: nTest, predicted_positive: testLabels.reduce((s, v) => s + v, 0), refit_rows: n },
    timings,
    backend: { ...be, eigensolver: hasEigh() ? 'LAPACK dsyevd' : `none (TypeScript QL only up to ${TS_EIGH_MAX_N})` },
  };
  const m = lambdas.length,
    k = cv.folds;
  const foldAcc = new Float64Array(m * k),
    foldF1 = new Float64Array(m * k);
  for (let c = 0; c < m; c++)
    for (let f = 0; f < k; f++) {
      foldAcc[c * k + f] = cv.accuracy[f][c];
      foldF1[c * k + f] = cv.f1[f][c];
    }
  const schemaCv = cvSchema(k);
  const cvTable = buildTable(schemaCv, {
    lambda: Float64Array.from(lambdas),
    accuracy_mean: acc.mean,
    accuracy_sd: acc.sd,
    f1_mean: f1.mean,
    f1_sd: f1.sd,
    mse_mean: mse.mean,
    fold_accuracy: fixedSizeListVector(foldAcc, k),
    fold_f1: fixedSizeListVector(foldF1, k),
    loo_accuracy: loo.accuracy,
    loo_f1: loo.f1,
    loo_mse: loo.mse,
    selected: Int8Array.from(lambdas, (_, c) => (c === best ? 1 : 0)),
  });
  const nPred = evalIdx.length + nTest;
  const predTable: Table = buildTable(predictionsSchema, {
    id: Int32Array.from([...evalIdx.map((i) => train.ids[i]), ...test.ids]),
    split: [...new Array<string>(evalIdx.length).fill('eval'), ...new Array<string>(nTest).fill('test')],
    score: Float64Array.from([...evalScores, ...testScores]),
    label: Int8Array.from([...evalLabels, ...testLabels]),
    target: Array.from({ length: nPred }, (_, r) => (r < evalIdx.length ? evalTruth[r] : null)),
  });
  return { metrics, cvTable, predTable, testLabels };
}

export function formatSummary(m: KrrMetrics, outDir: string): string {
  return [
    `ntk ${m.input}: ${m.kernel} KRR, λ = ${m.chosen_lambda.toPrecision(4)} (CV ${m.cv.solver}: acc ${m.cv.accuracy.mean.toFixed(4)} ± ${m.cv.accuracy.sd.toFixed(4)}, F1 ${m.cv.f1.mean.toFixed(4)} ± ${m.cv.f1.sd.toFixed(4)})`,
    `  eval (${m.eval.rows} rows): accuracy ${m.eval.accuracy.toFixed(4)}, F1 ${m.eval.f1.toFixed(4)}; ${(m.timings.total ?? 0).toFixed(1)} s -> ${outDir}`,
  ].join('\n');
}
