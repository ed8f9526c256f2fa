import type { Table } from 'apache-arrow';
import { buildTable, fixedSizeListVector } from '@tangent/arrow-io';
import { fail } from '@tangent/base';
import {
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
  ntkNode,
  cvWithMacroF1Schema,
  multiclassPredictionsSchema,
} from '@tangent/contracts';
import { classificationScores, stratifiedSplit } from '@tangent/kernels';
import { TS_EIGH_MAX_N, backendInfo, hasEigh, mat64, type Mat64 } from '@tangent/linalg';

import { ntkConfigSchema, type NtkConfig } from './config.ts';
import { kernelRidgeOutcomes, ridgeSplit, type KernelRidgeOutcome, type RidgeSplit, type Targets } from './ridge-on-split.ts';

export const STAGE = 'ntk';
export const STAGE_VERSION = '2'; // 2: metrics and artifacts record the activation

interface SplitData {
  path: string;
  ids: Int32Array;
  target: Array<number | null>;
  /** The class names (index = target value); K = classes.length. */
  classes: string[];
  X: Mat64;
}

/** The (train, test) rows of a pca artifact pair, float64 for the kernels. */
function readInputs(ctx: StageContext<NtkConfig>): { train: SplitData; test: SplitData; testLabelled: boolean } {
  const pca = ctx.dep('pca');
  const read = (split: 'train' | 'test'): SplitData => {
    const { table, path, meta } = ctx.readArrow(pca, `${split}.arrow`, embeddingColumns);
    const e = readEmbeddings(table, path, split, meta);
    return { path, ids: e.ids, target: e.target, classes: e.classes, X: mat64(e.rows, e.dim, Float64Array.from(e.values)) };
  };
  const train = read('train');
  const test = read('test');
  if (test.X.cols !== train.X.cols)
    fail(`${test.path}: embeddings have dim ${test.X.cols} but train has ${train.X.cols}; rerun the pca stage`);
  if (test.classes.join('\n') !== train.classes.join('\n'))
    fail(`${test.path}: classes [${test.classes.join(', ')}] differ from train's [${train.classes.join(', ')}]; rerun the pca stage`);
  if (train.classes.length > 127)
    fail(`${train.path}: ${train.classes.length} classes; the ntk stage's Int8 label columns hold at most 127`);
  if (new Set(train.target).size < 2)
    fail(`${train.path}: the training rows have a single class; kernel ridge classification needs at least two`);
  const labelled = test.target.filter((t) => t !== null).length;
  if (labelled && labelled < test.target.length)
    fail(
      `${test.path}: ${labelled} of ${test.target.length} test rows have a target; a test split is all labelled or all unlabelled; rerun the stage that wrote it`,
    );
  return { train, test, testLabelled: labelled > 0 };
}

/**
 * Stage 4: data/pca/<input>/{train,test}.arrow → stratified fit/eval split → kernel ridge with
 * the NTK (or NNGP), λ by k-fold CV on the fit part → eval metrics, test predictions and the
 * Kaggle submission, all in data/ntk/<input>/, published together. Each kernel of `compare` is
 * fitted the same way on the same split and folds (metrics-<kernel>.json, cv-<kernel>.arrow,
 * predictions-<kernel>.arrow), so kernels are compared row by row.
 *
 * Classes: two (the tweets) regress one ±1 target; K > 2 regress K one-vs-rest targets from the
 * same factorisations and predict the argmax (ridge-on-split.ts). A labelled test split (every
 * dataset but the Kaggle tweets) is scored by the refit on all of train (metrics.json `test`);
 * submission.csv, the Kaggle format, is written only for an unlabelled two-class test split.
 */
export const ntkStage = defineStage(ntkNode, {
  version: STAGE_VERSION,
  configSchema: ntkConfigSchema,
  run: (ctx) => runNtk(ctx),
});

type Kernel = NtkConfig['kernel'];
type Split = { isEval: Uint8Array; fold: Int8Array };
const seconds = (t0: number) => +((performance.now() - t0) / 1000).toFixed(3);

async function runNtk(ctx: StageContext<NtkConfig>) {
  const cfg = ctx.config;
  const tStart = performance.now();
  const { train, test, testLabelled } = readInputs(ctx);
  const readSeconds = seconds(tStart);
  const split = splitRows(cfg, train);
  // The primary kernel, then each compared kernel on the same split, folds and λ grid.
  const kernels: Kernel[] = [cfg.kernel, ...cfg.compare.filter((k) => k !== cfg.kernel)];
  const results = await kernelRidgeAll(cfg, kernels, train, test, split, testLabelled);
  // The primary kernel's metrics carry the stage's reading time and its total (all kernels included).
  const primary = results[0];
  primary.metrics.timings = { read: readSeconds, ...primary.metrics.timings, stage_total: seconds(tStart) };
  // A Kaggle submission is a competition's unlabelled two-class test set; a labelled test split is scored instead.
  const submit = !testLabelled && train.classes.length === 2;
  return {
    files: [
      splitFile(cfg, train, test, split, primary),
      ...results.flatMap((r) => kernelFiles(cfg, r, train, test)),
      ...(submit ? [submissionFile(test, primary)] : []),
    ],
    summary: results.map((r) => formatSummary(r.metrics, ctx.outDir)).join('\n'),
  };
}

/** The stratified fit/eval split and folds, on rows ordered by id: it depends on (id, target, seed) only, not on row order. */
function splitRows(cfg: NtkConfig, train: SplitData): Split {
  const n = train.X.rows;
  const byId = Array.from({ length: n }, (_, i) => i).sort((a, b) => train.ids[a] - train.ids[b]);
  for (let p = 1; p < n; p++)
    if (train.ids[byId[p]] === train.ids[byId[p - 1]]) fail(`${train.path}: id ${train.ids[byId[p]]} appears twice`);
  const sorted = stratifiedSplit(
    byId.map((i) => train.target[i]!),
    { evalFraction: cfg.evalFraction, folds: cfg.folds, seed: cfg.seed },
  );
  const split = { isEval: new Uint8Array(n), fold: new Int8Array(n) };
  byId.forEach((row, p) => ((split.isEval[row] = sorted.isEval[p]), (split.fold[row] = sorted.fold[p])));
  return split;
}

interface KernelRidgeResult {
  metrics: KrrMetrics;
  cvTable: Table;
  predTable: Table;
  testLabels: Int8Array;
}

/** Every kernel's ridge on the split (ridge-on-split.ts), then its tables, one kernel at a time. */
async function kernelRidgeAll(cfg: NtkConfig, kernels: Kernel[], train: SplitData, test: SplitData, split: Split, testLabelled: boolean) {
  const s = ridgeSplit(cfg, train.target as number[], split, train.classes.length);
  const testTruth = testLabelled ? Int8Array.from(test.target as number[]) : null;
  const results: KernelRidgeResult[] = [];
  for await (const outcome of kernelRidgeOutcomes(cfg, kernels, train.X, test.X, s))
    results.push(krrTables(cfg, outcome, s, train, test, testTruth));
  return results;
}

/** One kernel's metrics.json, cv table and predictions table. */
function krrTables(
  cfg: NtkConfig,
  o: KernelRidgeOutcome,
  s: RidgeSplit,
  train: SplitData,
  test: SplitData,
  testTruth: Int8Array | null,
): KernelRidgeResult {
  return {
    metrics: krrMetrics(cfg, o, s, train.classes, test.X.rows, testTruth),
    cvTable: cvTable(o, s),
    predTable: predictionsTable(o, s, train, test, testTruth),
    testLabels: o.test.labels,
  };
}

/** NaN (a class without rows) as null, the JSON of "undefined". */
const recalls = (r: number[]) => r.map((v) => (Number.isNaN(v) ? null : v));

/** The refit's scores on a labelled test split (classificationScores: `f1` is macro-F1 for K > 2). */
function testScores(labels: Int8Array, truth: Int8Array, classes: number) {
  const m = classificationScores(labels, truth, classes);
  return { accuracy: m.accuracy, f1: m.f1, macro_f1: m.macroF1, per_class_recall: recalls(m.perClassRecall) };
}

function krrMetrics(
  cfg: NtkConfig,
  o: KernelRidgeOutcome,
  s: RidgeSplit,
  classes: string[],
  nTest: number,
  testTruth: Int8Array | null,
): KrrMetrics {
  const { cv, acc, f1, macroF1, best, lambda, loo } = o.selection;
  return {
    input: cfg.input,
    kernel: o.kernel,
    activation: cfg.activation,
    depth: cfg.depth,
    sigma_w: cfg.sigmaW,
    sigma_b: cfg.sigmaB,
    label_coding: cfg.labelCoding,
    select_by: cfg.selectBy,
    classes,
    chosen_lambda: lambda,
    cv: {
      solver: cv.solver,
      folds: cv.folds,
      accuracy: { mean: acc.mean[best], sd: acc.sd[best] },
      f1: { mean: f1.mean[best], sd: f1.sd[best] },
      macro_f1: { mean: macroF1.mean[best], sd: macroF1.sd[best] },
    },
    loo: {
      computed: loo.accuracy[best] !== null,
      accuracy: loo.accuracy[best],
      f1: loo.f1[best],
      mse: loo.mse[best],
      macro_f1: loo.macroF1[best],
    },
    eval: {
      rows: s.evalIdx.length,
      accuracy: o.eval.accuracy,
      f1: o.eval.f1,
      fit_rows: s.fitIdx.length,
      macro_f1: o.eval.macroF1,
      per_class_recall: recalls(o.eval.perClassRecall),
    },
    test: {
      rows: nTest,
      ...(classes.length === 2 ? { predicted_positive: o.test.labels.reduce((a, v) => a + v, 0) } : {}),
      refit_rows: s.tFit.length + s.evalIdx.length,
      ...(testTruth ? testScores(o.test.labels, testTruth, classes.length) : {}),
    },
    timings: o.timings,
    backend: { ...backendInfo(), eigensolver: hasEigh() ? 'LAPACK dsyevd' : `none (TypeScript QL only up to ${TS_EIGH_MAX_N})` },
  };
}

/** Per λ: fold means and SDs, each fold's accuracy, F1 and macro-F1, LOO, and the selected row. */
function cvTable(o: KernelRidgeOutcome, s: RidgeSplit): Table {
  const { cv, acc, f1, macroF1, mse, best, loo } = o.selection;
  const m = s.lambdas.length,
    k = cv.folds;
  const foldAcc = new Float64Array(m * k),
    foldF1 = new Float64Array(m * k),
    foldMacro = new Float64Array(m * k);
  for (let c = 0; c < m; c++)
    for (let f = 0; f < k; f++) {
      foldAcc[c * k + f] = cv.accuracy[f][c];
      foldF1[c * k + f] = cv.f1[f][c];
      foldMacro[c * k + f] = cv.macroF1[f][c];
    }
  return buildTable(cvWithMacroF1Schema(k), {
    lambda: Float64Array.from(s.lambdas),
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
    selected: Int8Array.from(s.lambdas, (_, c) => (c === best ? 1 : 0)),
    macro_f1_mean: macroF1.mean,
    macro_f1_sd: macroF1.sd,
    fold_macro_f1: fixedSizeListVector(foldMacro, k),
    loo_macro_f1: loo.macroF1,
  });
}

/**
 * Eval rows (fit-part model) then test rows (refit on all of train); `target` the class index
 * (null for an unlabelled test row). Two classes: `score` the one score (the contract's layout).
 * K > 2: `scores` the K class scores, `score` the predicted class's (the largest).
 */
function predictionsTable(o: KernelRidgeOutcome, s: RidgeSplit, train: SplitData, test: SplitData, testTruth: Int8Array | null): Table {
  const nEval = s.evalIdx.length,
    nTest = test.X.rows;
  const columns = {
    id: Int32Array.from([...s.evalIdx.map((i) => train.ids[i]), ...test.ids]),
    split: [...new Array<string>(nEval).fill('eval'), ...new Array<string>(nTest).fill('test')],
    label: Int8Array.from([...o.eval.labels, ...o.test.labels]),
    target: Array.from({ length: nEval + nTest }, (_, r) => (r < nEval ? s.evalTruth[r] : testTruth ? testTruth[r - nEval] : null)),
  };
  const [ev, te] = [o.eval.scores, o.test.scores];
  if (ArrayBuffer.isView(ev) && ArrayBuffer.isView(te))
    return buildTable(predictionsSchema, { ...columns, score: Float64Array.from([...ev, ...te]) });
  const K = s.classes;
  const all = new Float64Array((nEval + nTest) * K);
  all.set(scoreRows(ev, K));
  all.set(scoreRows(te, K), nEval * K);
  const labels = columns.label;
  return buildTable(multiclassPredictionsSchema(K), {
    ...columns,
    score: Float64Array.from(labels, (c, r) => all[r * K + c]),
    scores: fixedSizeListVector(all, K),
  });
}

/** Row-major rows × K scores (K > 2 targets are a matrix). */
function scoreRows(v: Targets, K: number): Float64Array {
  if (ArrayBuffer.isView(v) || v.cols !== K) fail(`ntk: internal: expected scores with ${K} columns`);
  return v.data;
}

/** What every artifact of a kernel records besides the contract's provenance. */
function extra(cfg: NtkConfig, r: KernelRidgeResult, train: SplitData, test: SplitData) {
  return {
    input: cfg.input,
    kernel: r.metrics.kernel,
    activation: cfg.activation,
    depth: cfg.depth,
    chosenLambda: r.metrics.chosen_lambda,
    solver: r.metrics.cv.solver,
    trainRows: train.X.rows,
    fitRows: r.metrics.eval.fit_rows,
    evalRows: r.metrics.eval.rows,
    testRows: test.X.rows,
    dim: train.X.cols,
    classes: train.classes,
  };
}

function kernelFiles(cfg: NtkConfig, r: KernelRidgeResult, train: SplitData, test: SplitData): OutputFile[] {
  const kernel = r.metrics.kernel;
  return [
    {
      name: krrFile('cv', kernel, cfg.kernel),
      schema: cvWithMacroF1Schema(r.metrics.cv.folds),
      table: r.cvTable,
      dtype: 'float64',
      seed: cfg.seed,
      extra: { ...extra(cfg, r, train, test), selectBy: cfg.selectBy },
    },
    {
      name: krrFile('predictions', kernel, cfg.kernel),
      schema: train.classes.length === 2 ? predictionsSchema : multiclassPredictionsSchema(train.classes.length),
      table: r.predTable,
      dtype: 'float64',
      seed: cfg.seed,
      extra: extra(cfg, r, train, test),
    },
    { name: krrFile('metrics', kernel, cfg.kernel), json: r.metrics, dtype: 'float64', seed: cfg.seed },
  ];
}

function splitFile(cfg: NtkConfig, train: SplitData, test: SplitData, split: Split, primary: KernelRidgeResult): OutputFile {
  return {
    name: 'split.arrow',
    schema: splitSchema,
    table: splitTable(train.ids, split),
    dtype: 'int8',
    seed: cfg.seed,
    extra: { ...extra(cfg, primary, train, test), evalFraction: cfg.evalFraction, folds: cfg.folds },
  };
}

function submissionFile(test: SplitData, primary: KernelRidgeResult): OutputFile {
  return { name: 'submission.csv', text: submissionCsv(test.ids, primary.testLabels) };
}

export function formatSummary(m: KrrMetrics, outDir: string): string {
  const K = m.classes?.length ?? 2; // files from before datasets: the binary tweets
  const f1 = K === 2 ? 'F1' : 'macro-F1';
  const test =
    m.test.accuracy === undefined
      ? ''
      : `; test (${m.test.rows} rows): accuracy ${m.test.accuracy.toFixed(4)}, ${f1} ${m.test.f1!.toFixed(4)}`;
  return [
    `ntk ${m.input}: ${m.kernel} KRR, ${K} classes, λ = ${m.chosen_lambda.toPrecision(4)} (CV ${m.cv.solver}: acc ${m.cv.accuracy.mean.toFixed(4)} ± ${m.cv.accuracy.sd.toFixed(4)}, ${f1} ${m.cv.f1.mean.toFixed(4)} ± ${m.cv.f1.sd.toFixed(4)})`,
    `  eval (${m.eval.rows} rows): accuracy ${m.eval.accuracy.toFixed(4)}, ${f1} ${m.eval.f1.toFixed(4)}${test}; ${(m.timings.total ?? 0).toFixed(1)} s -> ${outDir}`,
  ].join('\n');
}
