import { DataType, Field, Float64, Int32, Int8, Schema, Table, Utf8, tableToIPC, type FixedSizeList } from 'apache-arrow';
import {
  META_KEY,
  buildTable,
  defineSchema,
  embeddingType64,
  fail,
  fixedSizeListVector,
  log,
  paths,
  provenance,
  readArtifact,
  readFixedSizeList,
  schemaMismatch,
  writeFilesAtomic,
  type ArtifactMeta,
  type ArtifactSchema,
} from '@tangent/arrow-io';
import { TS_EIGH_MAX_N, backendInfo, hasEigh, mat64, type Mat64 } from '@tangent/linalg';
import {
  assertFitsInMemory,
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
import { ntkConfigSchema, type NtkConfig } from './config.ts';
import { splitSchema, splitTable } from './split-artifact.ts';

export const STAGE = 'ntk';
export const STAGE_VERSION = '1';

/** The PCA artifact's fixed columns; the embedding width is read from the file (checked below). */
const pcaInputSchema = defineSchema('pca', [
  new Field('id', new Int32(), false),
  new Field('split', new Utf8(), false),
  new Field('target', new Int8(), true),
]);

/** data/ntk/<input>/predictions.arrow: eval rows (fit-part model) and test rows (model refit on all of train). */
export const predictionsSchema = defineSchema('ntk-predictions', [
  new Field('id', new Int32(), false),
  new Field('split', new Utf8(), false),
  new Field('score', new Float64(), false),
  new Field('label', new Int8(), false),
  new Field('target', new Int8(), true),
]);

/** data/ntk/<input>/cv.arrow: one row per λ; fold columns hold the k per-fold values. */
export function cvSchema(folds: number): ArtifactSchema {
  const f64 = (name: string, nullable = false) => new Field(name, new Float64(), nullable);
  return defineSchema('ntk-cv', [
    f64('lambda'),
    f64('accuracy_mean'),
    f64('accuracy_sd'),
    f64('f1_mean'),
    f64('f1_sd'),
    f64('mse_mean'),
    new Field('fold_accuracy', embeddingType64(folds), false),
    new Field('fold_f1', embeddingType64(folds), false),
    f64('loo_accuracy', true),
    f64('loo_f1', true),
    f64('loo_mse', true),
    new Field('selected', new Int8(), false),
  ]);
}

interface SplitData {
  path: string;
  ids: Int32Array;
  target: Array<number | null>;
  X: Mat64;
}

function readInput(path: string, split: 'train' | 'test'): SplitData {
  const { table } = readArtifact(path, pcaInputSchema, 'run `tangent pca` first');
  const field = table.schema.fields.find((f) => f.name === 'embedding');
  const t = field?.type;
  // Type ids, not instanceof: the table may come from another copy of apache-arrow.
  if (!t || !DataType.isFixedSizeList(t) || !DataType.isFloat((t as FixedSizeList).children[0].type))
    fail(`${path}: column 'embedding' should be FixedSizeList<Float32>[d] as written by the pca stage, found ${t ?? 'nothing'}`);
  const { values, dim, rows } = readFixedSizeList(table, 'embedding', { finite: true, file: path });
  const splits = table.getChild('split')!;
  const targetCol = table.getChild('target')!;
  const target: Array<number | null> = [];
  for (let i = 0; i < rows; i++) {
    if (splits.get(i) !== split) fail(`${path}: row ${i} has split '${splits.get(i)}', expected '${split}'`);
    const v = targetCol.get(i) as number | null;
    if (split === 'train' && v !== 0 && v !== 1) fail(`${path}: train row ${i} has target ${v}; expected 0 or 1`);
    target.push(v);
  }
  return {
    path,
    ids: Int32Array.from(table.getChild('id')!.toArray() as Int32Array),
    target,
    X: mat64(rows, dim, Float64Array.from(values)),
  };
}

/** Arrow IPC bytes with provenance, as writeArtifact would write them — for one atomic group write. */
function artifactBytes(path: string, schema: ArtifactSchema, table: Table, meta: Omit<ArtifactMeta, 'rows' | 'createdAt'>): Uint8Array {
  const mismatch = schemaMismatch(schema, table.schema);
  if (mismatch) fail(`refusing to write ${path}: ${mismatch}`);
  const full: ArtifactMeta = { ...meta, rows: table.numRows, createdAt: new Date().toISOString() };
  const md = new Map(table.schema.metadata);
  md.set(META_KEY, JSON.stringify(full));
  md.set('tangent.stage', full.stage);
  md.set('tangent.config_hash', full.configHash);
  return tableToIPC(new Table(new Schema(table.schema.fields, md), table.batches), 'file');
}

export interface NtkResult {
  outputs: { cv: string; predictions: string; metrics: string; split: string; submission: string };
  metrics: Record<string, unknown>;
}

export interface NtkPaths {
  inputDir?: string;
  outputDir?: string;
  splitPath?: string;
  submissionPath?: string;
}

/**
 * Stage 4: data/pca/<input>/{train,test}.arrow → stratified fit/eval split → NTK (or NNGP) Gram
 * of train → k-fold CV over the λ grid on the fit part (+ exact LOO) → eval metrics of the
 * fit-part model at the chosen λ → refit on all of train → test predictions and the Kaggle
 * submission. Everything is computed before anything is written; the outputs land together.
 */
export async function runNtk(config: NtkConfig, opts: NtkPaths = {}): Promise<NtkResult> {
  const cfg = ntkConfigSchema.parse(config);
  const tStart = performance.now();
  const timings: Record<string, number> = {};
  const lap = (name: string, t0: number) => (timings[name] = +((performance.now() - t0) / 1000).toFixed(3));
  const inDir = opts.inputDir ?? paths.artifacts('pca', cfg.input);
  const outDir = opts.outputDir ?? paths.artifacts(STAGE, cfg.input);
  const out = {
    cv: `${outDir}/cv.arrow`,
    predictions: `${outDir}/predictions.arrow`,
    metrics: `${outDir}/metrics.json`,
    split: opts.splitPath ?? paths.artifacts(STAGE, 'split.arrow'),
    submission: opts.submissionPath ?? paths.artifacts('submissions', 'ntk-krr.csv'),
  };

  let t0 = performance.now();
  const train = readInput(`${inDir}/train.arrow`, 'train');
  const test = readInput(`${inDir}/test.arrow`, 'test');
  if (test.X.cols !== train.X.cols)
    fail(`${test.path}: embeddings have dim ${test.X.cols} but train has ${train.X.cols}; rerun the pca stage`);
  lap('read', t0);
  const n = train.X.rows,
    nTest = test.X.rows;
  const lambdas = cfg.lambdas ?? logGrid(cfg.lambdaGrid.min, cfg.lambdaGrid.max, cfg.lambdaGrid.count);

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
  assertFitsInMemory(peak, `ntk stage on ${n} train + ${nTest} test rows`, cfg.maxMemoryGb);

  const spec = { depth: cfg.depth, sigmaW: cfg.sigmaW, sigmaB: cfg.sigmaB, kind: cfg.kernel, maxMemoryGb: cfg.maxMemoryGb };
  t0 = performance.now();
  const Ktrain = await ntkGramAsync(train.X, undefined, { ...spec, label: `${cfg.kernel} train ${n}×${n}` });
  lap('gramTrain', t0);
  const truth = Int8Array.from(train.target as number[]);
  const y = encodeLabels(truth, cfg.labelCoding);
  const yFit = Float64Array.from(fitIdx, (i) => y[i]);
  const tFit = Int8Array.from(fitIdx, (i) => truth[i]);

  t0 = performance.now();
  const Kfit = subKernel(Ktrain, fitIdx, fitIdx);
  const cv = crossValidateRidge(
    Kfit,
    yFit,
    tFit,
    Int8Array.from(fitIdx, (i) => split.fold[i]),
    {
      lambdas,
      solver: cfg.solver,
      coding: cfg.labelCoding,
      jitter: cfg.jitter,
    },
  );
  lap('cv', t0);
  const acc = foldSummary(cv.accuracy),
    f1 = foldSummary(cv.f1),
    mse = foldSummary(cv.mse);
  const best = selectLambda(lambdas, cfg.selectBy === 'f1' ? f1.mean : acc.mean);
  const lambda = lambdas[best];
  log(
    `ntk: CV (${cv.solver}) picked λ = ${lambda.toPrecision(4)}: ${cfg.selectBy} ${(cfg.selectBy === 'f1' ? f1 : acc).mean[best].toFixed(4)} ± ${(cfg.selectBy === 'f1' ? f1 : acc).sd[best].toFixed(4)}`,
  );

  // Exact LOO on the whole fit part from one eigendecomposition; it also gives the eval model for free.
  const loo = {
    accuracy: new Array<number | null>(lambdas.length).fill(null),
    f1: new Array<number | null>(lambdas.length).fill(null),
    mse: new Array<number | null>(lambdas.length).fill(null),
  };
  let spectrum: RidgeSpectrum | null = null;
  t0 = performance.now();
  const canEigh = hasEigh() || nFit <= TS_EIGH_MAX_N;
  if (cfg.loo && canEigh) {
    spectrum = ridgeSpectrum(Kfit, yFit, { overwrite: true });
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
    log(`ntk: no native eigensolver for the ${nFit}×${nFit} fit kernel: exact LOO skipped (it needs one eigendecomposition)`);
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
  const Ktest = await ntkGramAsync(test.X, train.X, { ...spec, label: `${cfg.kernel} test ${nTest}×${n}` });
  const testScores = kernelRidgePredict(Ktest, alphaAll);
  const testLabels = decideLabels(testScores, cfg.labelCoding);
  lap('test', t0);
  for (const s of [evalScores, testScores]) if (!s.every(Number.isFinite)) fail('ntk: non-finite scores; increase λ or set jitter');
  timings.total = +((performance.now() - tStart) / 1000).toFixed(3);

  const be = backendInfo();
  const metrics = {
    stage: STAGE,
    input: cfg.input,
    kernel: cfg.kernel,
    depth: cfg.depth,
    sigmaW: cfg.sigmaW,
    sigmaB: cfg.sigmaB,
    labelCoding: cfg.labelCoding,
    selectBy: cfg.selectBy,
    chosenLambda: lambda,
    cv: {
      solver: cv.solver,
      folds: cv.folds,
      accuracy: { mean: acc.mean[best], sd: acc.sd[best] },
      f1: { mean: f1.mean[best], sd: f1.sd[best] },
    },
    loo: { computed: loo.accuracy[best] !== null, accuracy: loo.accuracy[best], f1: loo.f1[best], mse: loo.mse[best] },
    eval: { rows: evalIdx.length, accuracy: evalMetrics.accuracy, f1: evalMetrics.f1, fitRows: nFit },
    test: { rows: nTest, predictedPositive: testLabels.reduce((s, v) => s + v, 0), refitRows: n },
    timings,
    backend: { ...be, eigensolver: hasEigh() ? 'LAPACK dsyevd' : 'none (TypeScript QL only up to 2048)' },
    dtype: 'float64',
    seed: cfg.seed,
  };

  const inputs = [train.path, test.path];
  const extra = {
    input: cfg.input,
    kernel: cfg.kernel,
    depth: cfg.depth,
    chosenLambda: lambda,
    solver: cv.solver,
    trainRows: n,
    fitRows: nFit,
    evalRows: evalIdx.length,
    testRows: nTest,
    dim: train.X.cols,
  };
  const prov = async (what: string, dtype: string, more: Record<string, unknown> = {}) =>
    provenance({
      stage: STAGE,
      stageVersion: STAGE_VERSION,
      config: cfg,
      inputs,
      dtype,
      seed: cfg.seed,
      extra: { ...extra, artifact: what, ...more },
    });

  const m = lambdas.length,
    k = cv.folds;
  const foldAcc = new Float64Array(m * k),
    foldF1 = new Float64Array(m * k);
  for (let c = 0; c < m; c++) for (let f = 0; f < k; f++) ((foldAcc[c * k + f] = cv.accuracy[f][c]), (foldF1[c * k + f] = cv.f1[f][c]));
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
  const predTable = buildTable(predictionsSchema, {
    id: Int32Array.from([...evalIdx.map((i) => train.ids[i]), ...test.ids]),
    split: [...new Array<string>(evalIdx.length).fill('eval'), ...new Array<string>(nTest).fill('test')],
    score: Float64Array.from([...evalScores, ...testScores]),
    label: Int8Array.from([...evalLabels, ...testLabels]),
    target: Array.from({ length: nPred }, (_, r) => (r < evalIdx.length ? evalTruth[r] : null)),
  });
  let csv = 'id,target\n';
  for (let i = 0; i < nTest; i++) csv += `${test.ids[i]},${testLabels[i]}\n`;

  writeFilesAtomic([
    {
      path: out.split,
      data: artifactBytes(
        out.split,
        splitSchema,
        splitTable(train.ids, split),
        await prov('split', 'int8', { evalFraction: cfg.evalFraction, folds: cfg.folds }),
      ),
    },
    { path: out.cv, data: artifactBytes(out.cv, schemaCv, cvTable, await prov('cv', 'float64', { selectBy: cfg.selectBy })) },
    { path: out.predictions, data: artifactBytes(out.predictions, predictionsSchema, predTable, await prov('predictions', 'float64')) },
    {
      path: out.metrics,
      data: `${JSON.stringify({ ...metrics, configHash: (await prov('metrics', 'float64')).configHash, config: cfg }, null, 2)}\n`,
    },
    { path: out.submission, data: csv },
  ]);
  return { outputs: out, metrics };
}

export function formatSummary(r: NtkResult): string {
  const m = r.metrics as {
    kernel: string;
    chosenLambda: number;
    cv: { solver: string; f1: { mean: number; sd: number }; accuracy: { mean: number; sd: number } };
    eval: { accuracy: number; f1: number; rows: number };
    timings: { total: number };
  };
  return [
    `ntk: ${m.kernel} KRR, λ = ${m.chosenLambda.toPrecision(4)} (CV ${m.cv.solver}: acc ${m.cv.accuracy.mean.toFixed(4)} ± ${m.cv.accuracy.sd.toFixed(4)}, F1 ${m.cv.f1.mean.toFixed(4)} ± ${m.cv.f1.sd.toFixed(4)})`,
    `  eval (${m.eval.rows} rows): accuracy ${m.eval.accuracy.toFixed(4)}, F1 ${m.eval.f1.toFixed(4)}; ${m.timings.total.toFixed(1)} s`,
    ...Object.entries(r.outputs).map(([k, p]) => `  ${k}: ${p}`),
  ].join('\n');
}
