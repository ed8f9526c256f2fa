import { join } from 'node:path';
import { DataType, Field, Float64, Int32, Int8, Utf8, type FixedSizeList, type Table } from 'apache-arrow';
import { buildTable, defineSchema, paths, readFixedSizeList, validateConfig } from '@tangent/arrow-io';
import { fail, log } from '@tangent/base';
import {
  defineStage,
  fashionMnistFiles,
  krrInstance,
  krrNode,
  readFashionSplit,
  runSpec,
  type Instance,
  type RunStageOptions,
  type StageContext,
  type StageOutput,
  tableClasses,
} from '@tangent/contracts';
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

// ---- Fashion-MNIST: contracts' idx reader (pixels / 255), the official split ----

export function loadFashionMnistKrr(cfg: LargeScaleKrrConfig['data'], dataDir = paths.rawData()): KrrData {
  const f = fashionMnistFiles(dataDir);
  const split = (images: string, labels: string, limit: number | null) => {
    const s = readFashionSplit(images, labels, limit);
    return { X: mat64(s.labels.length, s.rows * s.cols, Float64Array.from(s.X)), labels: s.labels };
  };
  const tr = split(f.trainImages, f.trainLabels, cfg.trainSubset);
  const te = split(f.testImages, f.testLabels, cfg.testSubset);
  return {
    name: 'fashion-mnist',
    xTrain: tr.X,
    labelsTrain: tr.labels,
    xTest: te.X,
    labelsTest: te.labels,
    classes: 10,
    inputs: [f.trainImages, f.trainLabels, f.testImages, f.testLabels],
  };
}

// ---- Tweets: the pca stage's train.arrow; a stratified share becomes the labelled test set ----

const pcaSchema = defineSchema('pca', [
  new Field('id', new Int32(), false),
  new Field('split', new Utf8(), false),
  new Field('target', new Int8(), true),
]);

export const krrPcaSchema = pcaSchema;

/**
 * A pca input as the pca stage wrote it (`train.arrow`, read by the caller: the stage through the
 * contract, identity-checked; its provenance names the classes, absent for the binary tweets), a
 * stratified `evalFraction` of the labelled rows as the test set.
 */
export function loadPcaKrr(
  cfg: LargeScaleKrrConfig['data'],
  seed: number,
  pca: { table: Table; path: string; meta?: { extra?: Record<string, unknown> } },
): KrrData {
  const { table, path } = pca;
  const classes = tableClasses(pca.meta?.extra, path);
  const t = table.schema.fields.find((f) => f.name === 'embedding')?.type;
  if (!t || !DataType.isFixedSizeList(t) || !DataType.isFloat((t as FixedSizeList).children[0].type))
    fail(`${path}: column 'embedding' should be FixedSizeList<Float32>[d] as the pca stage writes it`);
  const { values, dim, rows } = readFixedSizeList(table, 'embedding', { finite: true, file: path });
  const target = table.getChild('target')!;
  const y = Int32Array.from({ length: rows }, (_, i) => {
    const v = target.get(i) as number | null;
    if (v === null || !(v >= 0 && v < classes.length))
      fail(`${path}: train row ${i} has target ${v}; expected a class index 0..${classes.length - 1}`);
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
    name: `pca-${cfg.input}`,
    xTrain: tr.X,
    labelsTrain: tr.labels,
    xTest: te.X,
    labelsTest: te.labels,
    classes: classes.length,
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
  opts: { dataDir?: string; pca?: { table: Table; path: string } } = {},
): Promise<{ run: LargeScaleKrrRun; output: StageOutput; inputs: string[] }> {
  const t0 = performance.now();
  const data =
    cfg.data.kind === 'fashion_mnist'
      ? loadFashionMnistKrr(cfg.data, opts.dataDir)
      : loadPcaKrr(cfg.data, cfg.seed, opts.pca ?? fail(`krr ${cfg.name}: a pca run needs its pca input`));
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
    dtype: cfg.crossKernelDtype,
    warmStart: cfg.warmStart,
    blockRows: cfg.blockRows,
  });
  const tFit = performance.now();
  const F = await result.predict(data.xTest);
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
    extra: {
      solver: metrics.solver,
      centres: metrics.centres,
      lambda: metrics.lambda,
      testAccuracy,
      crossKernelDtype: metrics.solver === 'falkon' && metrics.crossKernel === 'stored' ? cfg.crossKernelDtype : null,
    },
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
/** A pca run reads its input through the contract (identity-checked: a stale d is refused). */
async function runKrr(ctx: StageContext<LargeScaleKrrConfig>, dataDir?: string) {
  const pca = ctx.config.data.kind === 'pca' ? ctx.readArrow(ctx.dep('pca'), 'train.arrow', krrPcaSchema) : undefined;
  const r = await computeLargeScaleKrr(ctx.config, ctx.outDir, { dataDir, pca });
  for (const f of r.inputs) ctx.track(f);
  return r;
}

export const krrStage = defineStage(krrNode, {
  version: LARGE_SCALE_VERSION,
  configSchema: largeScaleKrrConfigSchema,
  run: async (ctx) => (await runKrr(ctx)).output,
});

/**
 * Run one large-scale KRR config (a file on the command line, a bench) and publish
 * data/krr/<name>/: its instance is made as the manifest's runs are (krrInstance), against the
 * manifest's inputs (default: configs/pipeline.yaml, its default profile); raw data from `dataDir`.
 */
export async function runLargeScaleKrr(
  config: unknown,
  opts: { dataDir?: string; manifest?: RunStageOptions['manifest']; profile?: string } = {},
): Promise<LargeScaleKrrRun> {
  const cfg = validateConfig(config, largeScaleKrrConfigSchema, 'krr config');
  let run: LargeScaleKrrRun | undefined;
  const spec = (instances: Instance[]) =>
    krrInstance(
      cfg.name,
      cfg,
      instances.filter((i) => i.stage === 'pca'),
      opts.dataDir ?? paths.rawData(),
      `krr ${cfg.name}`,
    );
  await runSpec(krrStage, spec, {
    manifest: opts.manifest,
    profile: opts.profile,
    run: async (ctx) => {
      const r = await runKrr(ctx, opts.dataDir);
      run = r.run;
      return r.output;
    },
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
