import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DataType, Field, Float64, Int32, Int8, Utf8, type FixedSizeList } from 'apache-arrow';
import { buildTable, defineSchema, fail, log, paths, readArtifact, readFixedSizeList, validateConfig } from '@tangent/arrow-io';
import { checkRecordedInputs, defineStage, runStandalone, type StageOutput } from '@tangent/contracts';
import { fitLargeScaleKrr, scoreAccuracy, stratifiedSplit, type LargeScaleKrrResult } from '@tangent/kernels';
import { backendInfo, mat64, type Mat64 } from '@tangent/linalg';
import { largeScaleKrrConfigSchema, type LargeScaleKrrConfig } from './large-scale-config.ts';

export { largeScaleKrrConfigSchema, type LargeScaleKrrConfig } from './large-scale-config.ts';

export const LARGE_SCALE_STAGE = 'krr';
export const LARGE_SCALE_VERSION = '1';

/** A classification data set as the large-scale solver needs it: float64 rows, integer labels. */
export interface KrrData {
  name: string;
  xTrain: Mat64;
  labelsTrain: Int32Array;
  xTest: Mat64;
  labelsTest: Int32Array;
  classes: number;
  inputs: string[];
}

// ---- Fashion-MNIST: gzip idx files (magic 2051 images, 2049 labels), pixels / 255 ----

const FASHION_HINT =
  'put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz under $TANGENT_DATA_DIR/fashion-mnist/';

function readIdx(path: string, magic: 2051 | 2049): { n: number; dim: number; bytes: Uint8Array } {
  if (!existsSync(path)) fail(`${path}: file not found; ${FASHION_HINT}`);
  let buf: Buffer;
  try {
    buf = gunzipSync(readFileSync(path));
  } catch (e) {
    fail(`${path}: not a valid gzip file (${(e as Error).message}); ${FASHION_HINT}`);
  }
  const head = magic === 2051 ? 16 : 8;
  if (buf.length < head || buf.readUInt32BE(0) !== magic)
    fail(`${path}: not an idx${magic === 2051 ? 3 : 1} file (magic ${buf.length >= 4 ? buf.readUInt32BE(0) : '?'}, expected ${magic})`);
  const n = buf.readUInt32BE(4);
  const dim = magic === 2051 ? buf.readUInt32BE(8) * buf.readUInt32BE(12) : 1;
  if (buf.length !== head + n * dim)
    fail(`${path}: header says ${n}×${dim} bytes but the body has ${buf.length - head}; truncated or corrupt`);
  return { n, dim, bytes: new Uint8Array(buf.buffer, buf.byteOffset + head, n * dim) };
}

function fashionSplit(dir: string, prefix: 'train' | 't10k', limit: number | null): { X: Mat64; labels: Int32Array; files: string[] } {
  const imgPath = join(dir, `${prefix}-images-idx3-ubyte.gz`),
    labPath = join(dir, `${prefix}-labels-idx1-ubyte.gz`);
  const img = readIdx(imgPath, 2051),
    lab = readIdx(labPath, 2049);
  if (img.n !== lab.n) fail(`${imgPath}: ${img.n} images but ${labPath} has ${lab.n} labels`);
  const n = limit === null ? img.n : Math.min(limit, img.n);
  const X = mat64(n, img.dim);
  for (let i = 0; i < n * img.dim; i++) X.data[i] = img.bytes[i] / 255;
  const labels = Int32Array.from(lab.bytes.subarray(0, n));
  for (let i = 0; i < n; i++) if (labels[i] > 9) fail(`${labPath}: label ${labels[i]} at index ${i} is outside 0..9`);
  return { X, labels, files: [imgPath, labPath] };
}

export function loadFashionMnistKrr(cfg: LargeScaleKrrConfig['data'], dataDir = paths.rawData()): KrrData {
  const dir = join(dataDir, 'fashion-mnist');
  const tr = fashionSplit(dir, 'train', cfg.trainSubset);
  const te = fashionSplit(dir, 't10k', cfg.testSubset);
  return {
    name: 'fashion-mnist',
    xTrain: tr.X,
    labelsTrain: tr.labels,
    xTest: te.X,
    labelsTest: te.labels,
    classes: 10,
    inputs: [...tr.files, ...te.files],
  };
}

// ---- Tweets: the pca stage's train.arrow; a stratified share becomes the labelled test set ----

const pcaSchema = defineSchema('pca', [
  new Field('id', new Int32(), false),
  new Field('split', new Utf8(), false),
  new Field('target', new Int8(), true),
]);

export function loadPcaTweetsKrr(cfg: LargeScaleKrrConfig['data'], seed: number, dir = paths.artifacts('pca', cfg.input)): KrrData {
  const path = join(dir, 'train.arrow');
  const hint = `run \`tangent pca --key ${cfg.input}\` or npm start first`;
  const { table, meta } = readArtifact(path, pcaSchema, { hint, stage: 'pca', key: cfg.input });
  checkRecordedInputs(path, meta.inputs, hint); // made from the embeddings that are there now
  const t = table.schema.fields.find((f) => f.name === 'embedding')?.type;
  if (!t || !DataType.isFixedSizeList(t) || !DataType.isFloat((t as FixedSizeList).children[0].type))
    fail(`${path}: column 'embedding' should be FixedSizeList<Float32>[d] as the pca stage writes it`);
  const { values, dim, rows } = readFixedSizeList(table, 'embedding', { finite: true, file: path });
  const target = table.getChild('target')!;
  const y = Int32Array.from({ length: rows }, (_, i) => {
    const v = target.get(i) as number | null;
    if (v !== 0 && v !== 1) fail(`${path}: train row ${i} has target ${v}; expected 0 or 1`);
    return v;
  });
  const { isEval } = stratifiedSplit(y, { evalFraction: cfg.evalFraction, folds: 2, seed });
  const pick = (ev: number, limit: number | null) => {
    const idx = [...Array(rows).keys()].filter((i) => isEval[i] === ev).slice(0, limit ?? rows);
    const X = mat64(idx.length, dim);
    idx.forEach((i, r) => X.data.set(values.subarray(i * dim, (i + 1) * dim), r * dim));
    return { X, labels: Int32Array.from(idx, (i) => y[i]) };
  };
  const tr = pick(0, cfg.trainSubset),
    te = pick(1, cfg.testSubset);
  return {
    name: `tweets-${cfg.input}`,
    xTrain: tr.X,
    labelsTrain: tr.labels,
    xTest: te.X,
    labelsTest: te.labels,
    classes: 2,
    inputs: [path],
  };
}

/** 'standardize': z-score per feature with training statistics; 'unit_norm': rows to norm √d. */
export function preprocess(d: KrrData, how: LargeScaleKrrConfig['data']['preprocess']): void {
  const p = d.xTrain.cols;
  if (how === 'standardize') {
    const mean = new Float64Array(p),
      sd = new Float64Array(p);
    const n = d.xTrain.rows;
    for (let i = 0; i < n; i++) for (let k = 0; k < p; k++) mean[k] += d.xTrain.data[i * p + k] / n;
    for (let i = 0; i < n; i++) for (let k = 0; k < p; k++) sd[k] += (d.xTrain.data[i * p + k] - mean[k]) ** 2 / n;
    for (let k = 0; k < p; k++) sd[k] = Math.sqrt(sd[k]) || 1;
    for (const X of [d.xTrain, d.xTest])
      for (let i = 0; i < X.rows; i++) for (let k = 0; k < p; k++) X.data[i * p + k] = (X.data[i * p + k] - mean[k]) / sd[k];
  } else if (how === 'unit_norm') {
    for (const X of [d.xTrain, d.xTest])
      for (let i = 0; i < X.rows; i++) {
        let s = 0;
        for (let k = 0; k < p; k++) s += X.data[i * p + k] ** 2;
        const f = s > 0 ? Math.sqrt(p / s) : 0;
        for (let k = 0; k < p; k++) X.data[i * p + k] *= f;
      }
  }
}

/** Targets: K ≥ 3 classes → one-hot minus 1/K (K outputs); 2 classes → ±1 (one output, sign decides). */
export function krrTargets(labels: Int32Array, classes: number): Mat64 {
  if (classes === 2)
    return mat64(
      labels.length,
      1,
      Float64Array.from(labels, (l) => (l === 1 ? 1 : -1)),
    );
  const Y = mat64(labels.length, classes);
  for (let i = 0; i < labels.length; i++)
    for (let c = 0; c < classes; c++) Y.data[i * classes + c] = (c === labels[i] ? 1 : 0) - 1 / classes;
  return Y;
}

function predictedLabels(F: Mat64): Int32Array {
  return Int32Array.from({ length: F.rows }, (_, i) => {
    if (F.cols === 1) return F.data[i] > 0 ? 1 : 0;
    let b = 0;
    for (let c = 1; c < F.cols; c++) if (F.data[i * F.cols + c] > F.data[i * F.cols + b]) b = c;
    return b;
  });
}

export const krrPredictionsSchema = defineSchema('krr-predictions', [
  new Field('row', new Int32(), false),
  new Field('label', new Int8(), false),
  new Field('target', new Int8(), false),
  new Field('score', new Float64(), false),
]);

export const krrValidationSchema = defineSchema('krr-validation', [
  new Field('centres', new Int32(), true),
  new Field('lambda', new Float64(), false),
  new Field('accuracy', new Float64(), false),
  new Field('iterations', new Int32(), false),
  new Field('residual', new Float64(), false),
  new Field('seconds', new Float64(), false),
]);

export interface LargeScaleKrrRun {
  outputs: { predictions: string; validation: string; metrics: string };
  metrics: {
    name: string;
    n: number;
    d: number;
    classes: number;
    nTest: number;
    solver: 'exact' | 'falkon';
    crossKernel: string | null;
    reason: string;
    centres: number | null;
    lambda: number;
    cgIterations: number | null;
    cgResidual: number | null;
    testAccuracy: number;
    trainAccuracy: number | null;
    seconds: { load: number; fit: number; predict: number; total: number };
    peakRssGb: number;
    plannedGb: number;
    budgetGb: number;
    blas: string;
  };
  result: LargeScaleKrrResult;
}

const peakRssGb = () => process.resourceUsage().maxRSS / 1024 ** 2;

/**
 * `tangent krr`: load → preprocess → fitLargeScaleKrr (memory model, λ/M validation, exact or
 * Falkon) → test predictions → data/krr/<name>/{predictions,validation}.arrow + metrics.json in
 * one group write.
 */
async function computeLargeScaleKrr(
  cfg: LargeScaleKrrConfig,
  outDir: string,
  opts: { dataDir?: string; pcaDir?: string } = {},
): Promise<{ run: LargeScaleKrrRun; output: StageOutput; inputs: string[] }> {
  const t0 = performance.now();
  const data =
    cfg.data.kind === 'fashion_mnist' ? loadFashionMnistKrr(cfg.data, opts.dataDir) : loadPcaTweetsKrr(cfg.data, cfg.seed, opts.pcaDir);
  preprocess(data, cfg.data.preprocess);
  const Y = krrTargets(data.labelsTrain, data.classes);
  const tLoad = performance.now();
  log(`krr ${cfg.name}: ${data.xTrain.rows} × ${data.xTrain.cols} training rows, ${data.xTest.rows} test rows, ${data.classes} classes`);
  const result = await fitLargeScaleKrr(data.xTrain, Y, data.labelsTrain, {
    kind: cfg.kernel,
    depth: cfg.depth,
    sigmaW: cfg.sigmaW,
    sigmaB: cfg.sigmaB,
    solver: cfg.solver,
    lambdas: cfg.lambdas,
    centres: cfg.centres,
    sampling: cfg.sampling,
    validationFraction: cfg.validationFraction,
    seed: cfg.seed,
    maxIter: cfg.cg.maxIter,
    tol: cfg.cg.tol,
    jitter: cfg.jitter,
    maxMemoryGb: cfg.maxMemoryGb,
    crossKernel: cfg.crossKernel,
    blockRows: cfg.blockRows,
  });
  const tFit = performance.now();
  const F = result.predict(data.xTest);
  const tPred = performance.now();
  const pred = predictedLabels(F);
  const testAccuracy = scoreAccuracy(F, data.labelsTest);
  const score = Float64Array.from({ length: F.rows }, (_, i) => F.data[i * F.cols + (F.cols === 1 ? 0 : pred[i])]);
  const out = {
    predictions: join(outDir, 'predictions.arrow'),
    validation: join(outDir, 'validation.arrow'),
    metrics: join(outDir, 'metrics.json'),
  };
  const metrics: LargeScaleKrrRun['metrics'] = {
    name: cfg.name,
    n: data.xTrain.rows,
    d: data.xTrain.cols,
    classes: data.classes,
    nTest: data.xTest.rows,
    solver: result.plan.solver,
    crossKernel: result.plan.crossKernel,
    reason: result.plan.reason,
    centres: result.centres,
    lambda: result.lambda,
    cgIterations: result.iterations,
    cgResidual: result.residual,
    testAccuracy,
    trainAccuracy: null,
    seconds: { load: (tLoad - t0) / 1000, fit: (tFit - tLoad) / 1000, predict: (tPred - tFit) / 1000, total: (tPred - t0) / 1000 },
    peakRssGb: peakRssGb(),
    plannedGb: result.plan.bytes / 1024 ** 3,
    budgetGb: result.plan.budgetBytes / 1024 ** 3,
    blas: backendInfo().name,
  };
  const meta = {
    dtype: 'float64',
    seed: cfg.seed,
    extra: { solver: metrics.solver, centres: metrics.centres, lambda: metrics.lambda, testAccuracy },
  };
  const v = result.validation;
  const run = { outputs: out, metrics, result };
  return {
    run,
    inputs: data.inputs,
    output: {
      files: [
        {
          name: 'predictions.arrow',
          schema: krrPredictionsSchema,
          table: buildTable(krrPredictionsSchema, {
            row: Int32Array.from({ length: F.rows }, (_, i) => i),
            label: Int8Array.from(pred),
            target: Int8Array.from(data.labelsTest),
            score,
          }),
          ...meta,
        },
        {
          name: 'validation.arrow',
          schema: krrValidationSchema,
          table: buildTable(krrValidationSchema, {
            centres: v.map((r) => r.centres),
            lambda: Float64Array.from(v, (r) => r.lambda),
            accuracy: Float64Array.from(v, (r) => r.accuracy),
            iterations: Int32Array.from(v, (r) => r.iterations),
            residual: Float64Array.from(v, (r) => r.residual),
            seconds: Float64Array.from(v, (r) => r.seconds),
          }),
          ...meta,
        },
        { name: 'metrics.json', json: { ...metrics, validation: v }, ...meta },
      ],
      summary: formatLargeScaleSummary(run),
    },
  };
}

/**
 * The large-scale kernel regression as a stage (`tangent krr --config <file>`): configured by its
 * own YAML file, not the pipeline manifest; data/krr/<name>/{predictions,validation}.arrow and
 * metrics.json, published together.
 */
export const krrStage = defineStage({
  name: 'krr',
  version: LARGE_SCALE_VERSION,
  description: 'kernel regression past the N×N wall (exact or Falkon by a memory model) on Fashion-MNIST or the tweets',
  configSchema: largeScaleKrrConfigSchema,
  inputs: [],
  outputs: ['predictions.arrow', 'validation.arrow', 'metrics.json'],
  async run(ctx) {
    const r = await computeLargeScaleKrr(ctx.config, ctx.outDir);
    for (const f of r.inputs) ctx.track(f);
    return r.output;
  },
});

/** Run one large-scale KRR config and publish data/krr/<name>/ (data from `dataDir`/`pcaDir` when given). */
export async function runLargeScaleKrr(config: unknown, opts: { dataDir?: string; pcaDir?: string } = {}): Promise<LargeScaleKrrRun> {
  const cfg = validateConfig(config, largeScaleKrrConfigSchema, 'krr config');
  let run: LargeScaleKrrRun | undefined;
  await runStandalone(krrStage, cfg.name, cfg, async (ctx) => {
    const r = await computeLargeScaleKrr(ctx.config, ctx.outDir, opts);
    for (const f of r.inputs) ctx.track(f);
    run = r.run;
    return r.output;
  });
  return run!;
}

export function formatLargeScaleSummary(r: LargeScaleKrrRun): string {
  const m = r.metrics;
  return [
    `krr ${m.name}: ${m.solver}${m.crossKernel ? ` (K_nM ${m.crossKernel})` : ''}, N = ${m.n}, d = ${m.d}, K = ${m.classes}${m.centres ? `, M = ${m.centres}` : ''}, λ = ${m.lambda}`,
    `  why: ${m.reason}`,
    `  test accuracy ${(100 * m.testAccuracy).toFixed(2)} % on ${m.nTest} rows${m.cgIterations !== null ? `; CG ${m.cgIterations} iterations, residual ${m.cgResidual!.toExponential(1)}` : ''}`,
    `  wall time ${m.seconds.total.toFixed(1)} s (load ${m.seconds.load.toFixed(1)}, fit ${m.seconds.fit.toFixed(1)}, predict ${m.seconds.predict.toFixed(1)}); peak RSS ${m.peakRssGb.toFixed(2)} GB (planned ${m.plannedGb.toFixed(2)} GB, budget ${m.budgetGb.toFixed(2)} GB)`,
    `  -> ${r.outputs.metrics}`,
  ].join('\n');
}
