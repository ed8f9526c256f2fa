/**
 * Stage 5 "mlp": read the PCA features and the ntk stage's fit/eval split, train one finite-width
 * two-layer network per (width, seed, lr), write data/mlp/<run-id>/{history.arrow, metrics.json};
 * then per width a Kaggle submission from a network trained on all of train, and
 * data/mlp/summary.json comparing the widths with kernel regression.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Field, Float64, Int32, Int8 } from 'apache-arrow';
import {
  buildTable,
  defineSchema,
  fail,
  hashFile,
  hashJson,
  log,
  paths,
  provenance,
  readArtifact,
  readFixedSizeList,
  writeArtifact,
  writeFileAtomic,
  type ArtifactSchema,
} from '@tangent/arrow-io';
import type { Mat32, Mat64 } from '@tangent/linalg';
import { DivergenceError } from '@tangent/nn';
import { loglogSlope, mean, sd } from '@tangent/kernels';
import { splitSchema } from '@tangent/ntk';
import { enumerateRuns, runId, type MlpConfig, type RunKey } from './config.ts';
import { stratifiedSubset } from './tracked-subset.ts';
import { trainTwoLayer, type HistoryRow, type TrainResult } from './train-two-layer.ts';

export const STAGE = 'mlp';
export const STAGE_VERSION = '1';

const featureSchema = defineSchema('pca features', [new Field('id', new Int32(), false), new Field('target', new Int8(), true)]);

export const historySchema: ArtifactSchema = defineSchema('mlp history', [
  new Field('epoch', new Int32(), false),
  new Field('train_loss', new Float64(), false),
  new Field('train_accuracy', new Float64(), false),
  new Field('train_f1', new Float64(), false),
  new Field('eval_loss', new Float64(), true),
  new Field('eval_accuracy', new Float64(), true),
  new Field('eval_f1', new Float64(), true),
  new Field('delta_theta', new Float64(), true),
  new Field('lambda_max', new Float64(), true),
  new Field('alignment', new Float64(), true),
]);

/** The part of the config every run depends on (not the lists of widths/seeds/lrs): its hash keys run caching. */
export function sharedConfig(c: MlpConfig): unknown {
  return { input: c.input, split: c.split, model: c.model, train: c.train, tracking: c.tracking };
}

export function inputPaths(c: MlpConfig) {
  return {
    train: paths.artifacts('pca', c.input, 'train.arrow'),
    test: paths.artifacts('pca', c.input, 'test.arrow'),
    split: c.split.startsWith('data/') ? paths.artifacts(c.split.slice(5)) : c.split,
    krr: paths.artifacts('ntk', c.input, 'metrics.json'),
  };
}

export function runDir(key: RunKey): string {
  return paths.artifacts(STAGE, runId(key));
}

interface Features {
  ids: Int32Array;
  X: Mat32;
  /** ±1 labels (0 where the target is null). */
  y: Float32Array;
}

function readFeatures(path: string, inputScale: MlpConfig['model']['inputScale']): Features {
  const { table } = readArtifact(path, featureSchema, 'run the pca stage first: nx run @tangent/pca:run');
  const e = readFixedSizeList(table, 'embedding');
  const X: Mat32 = { rows: e.rows, cols: e.dim, data: e.values instanceof Float32Array ? e.values : Float32Array.from(e.values) };
  const ids = Int32Array.from(table.getChild('id')!.toArray() as Int32Array);
  const t = table.getChild('target')!;
  const y = new Float32Array(e.rows);
  for (let i = 0; i < e.rows; i++) {
    const v = t.get(i) as number | null;
    y[i] = v === null ? 0 : v > 0 ? 1 : -1; // ±1 coding, as in kernel regression
  }
  for (let i = 0; i < X.data.length; i++)
    if (!Number.isFinite(X.data[i])) fail(`${path}: non-finite feature at row ${Math.floor(i / X.cols)}; rerun the pca stage`);
  if (inputScale === 'sqrt_d') {
    const s = Math.sqrt(X.cols);
    for (let i = 0; i < X.data.length; i++) X.data[i] *= s;
  }
  return { ids, X, y };
}

function rows(X: Mat32, idx: Int32Array): Mat32 {
  const c = X.cols,
    out = new Float32Array(idx.length * c);
  idx.forEach((r, i) => out.set(X.data.subarray(r * c, (r + 1) * c), i * c));
  return { rows: idx.length, cols: c, data: out };
}

export interface Prepared {
  fit: { X: Mat32; y: Float32Array };
  eval: { X: Mat32; y: Float32Array };
  all: Features;
  inputs: string[];
}

/** Fit/eval rows of train according to the ntk stage's split (train on 'fit', evaluate on 'eval'). */
export function prepareData(c: MlpConfig): Prepared {
  const p = inputPaths(c);
  const all = readFeatures(p.train, c.model.inputScale);
  const { table } = readArtifact(p.split, splitSchema, 'written by the ntk stage: nx run @tangent/ntk:run');
  const sid = table.getChild('id')!.toArray() as Int32Array;
  const role = table.getChild('role')!;
  const roleOf = new Map<number, string>();
  for (let i = 0; i < sid.length; i++) roleOf.set(sid[i], role.get(i) as string);
  const fitIdx: number[] = [],
    evalIdx: number[] = [];
  for (let i = 0; i < all.ids.length; i++) {
    const r = roleOf.get(all.ids[i]);
    if (r === 'fit') fitIdx.push(i);
    else if (r === 'eval') evalIdx.push(i);
    else
      fail(`${p.split}: train id ${all.ids[i]} has no fit/eval role (got ${JSON.stringify(r)}); rerun the ntk stage on the same features`);
  }
  if (fitIdx.length === 0 || evalIdx.length === 0)
    fail(`${p.split}: needs both 'fit' and 'eval' rows, got ${fitIdx.length} and ${evalIdx.length}`);
  const fi = Int32Array.from(fitIdx),
    ei = Int32Array.from(evalIdx);
  return {
    fit: { X: rows(all.X, fi), y: Float32Array.from(fi, (i) => all.y[i]) },
    eval: { X: rows(all.X, ei), y: Float32Array.from(ei, (i) => all.y[i]) },
    all,
    inputs: [p.train, p.split],
  };
}

/**
 * The analytical NTK with the network's scaling (two layers, σ_w = 1, no bias), float64, from
 * @tangent/kernels (loaded lazily so the CLI starts without the ntk package's dependencies).
 */
async function analyticalKernel(c: MlpConfig): Promise<((X: Mat32) => Mat64) | undefined> {
  if (c.model.parameterization !== 'ntk' || c.model.bias) return undefined; // the b = 0 start has no closed-form counterpart here
  const { ntkGram } = await import('@tangent/kernels');
  return (X) => ntkGram(X, undefined, { depth: 2, sigmaW: 1, sigmaB: 0 });
}

function historyTable(h: HistoryRow[]) {
  const col = (f: (r: HistoryRow) => number | null) => h.map(f);
  return buildTable(historySchema, {
    epoch: Int32Array.from(h, (r) => r.epoch),
    train_loss: Float64Array.from(h, (r) => r.trainLoss),
    train_accuracy: Float64Array.from(h, (r) => r.trainAccuracy),
    train_f1: Float64Array.from(h, (r) => r.trainF1),
    eval_loss: col((r) => r.evalLoss),
    eval_accuracy: col((r) => r.evalAccuracy),
    eval_f1: col((r) => r.evalF1),
    delta_theta: col((r) => r.deltaTheta),
    lambda_max: col((r) => r.lambdaMax),
    alignment: col((r) => r.alignment),
  });
}

export interface RunMetrics {
  run: string;
  width: number;
  seed: number;
  lr_natural: number;
  lr: number;
  lambda_max0: number;
  lambda_max_source: string;
  epochs: number;
  batch_size: number;
  n_fit: number;
  n_eval: number;
  d: number;
  tracked: number;
  full_kernel: boolean;
  kernel_init_error: number | null;
  delta_theta: number | null;
  delta_theta_full: number | null;
  train_loss: number;
  train_accuracy: number;
  eval_accuracy: number | null;
  eval_f1: number | null;
  best_eval_accuracy: number | null;
  best_eval_epoch: number | null;
  seconds: number;
  config_hash: string;
  cache_key: string;
}

const CODE_PACKAGES = ['mlp', 'nn', 'linalg', 'arrow-io', 'ntk'];

/** sha256 over the production sources of the packages a run executes (tests excluded). */
function codeHash(): string {
  const root = resolve(import.meta.dirname, '..', '..');
  const files: Record<string, string> = {};
  for (const pkg of CODE_PACKAGES) {
    const dir = join(root, pkg, 'src');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort())
      if (f.endsWith('.ts') && !f.endsWith('.test.ts')) files[`${pkg}/${f}`] = readFileSync(join(dir, f), 'utf8');
  }
  return hashJson(files);
}

/**
 * The run's own cache key: shared settings, the run, the input bytes and the code. A run whose
 * metrics.json carries the same key is not retrained (so Nx re-keying every run when a width is
 * added to the project's targets costs nothing for the unchanged runs).
 */
export async function runCacheKey(c: MlpConfig, key: RunKey, inputs: string[]): Promise<string> {
  const hashes: Record<string, string> = {};
  for (const p of inputs) hashes[p] = await hashFile(p);
  return hashJson({ shared: sharedConfig(c), run: key, inputs: Object.values(hashes), code: codeHash(), version: STAGE_VERSION });
}

/** The training and tracking settings every run of a config shares (sweep runs and submissions alike). */
function trainSettings(c: MlpConfig) {
  return {
    epochs: c.train.epochs,
    batchSize: c.train.batchSize,
    loss: c.train.loss,
    parameterization: c.model.parameterization,
    bias: c.model.bias,
    sigmaB: c.model.sigmaB,
    center: c.model.center,
    divergenceFactor: c.train.divergenceFactor,
    trackEvery: c.tracking.every,
    trackFull: c.tracking.full,
    precision: c.tracking.precision,
    maxKernelBytes: c.tracking.maxKernelBytes,
  };
}

/** One (width, seed, lr) run: train, then write history.arrow and metrics.json (metrics last). */
export async function runMlpRun(
  c: MlpConfig,
  key: RunKey,
  data?: Prepared,
  opts: { force?: boolean } = {},
): Promise<RunMetrics & { cached?: boolean }> {
  const d = data ?? prepareData(c);
  const id = runId(key);
  const cacheKey = await runCacheKey(c, key, d.inputs);
  const prevPath = join(runDir(key), 'metrics.json');
  if (!opts.force && existsSync(prevPath) && existsSync(join(runDir(key), 'history.arrow'))) {
    const prev = JSON.parse(readFileSync(prevPath, 'utf8')) as RunMetrics;
    if (prev.cache_key === cacheKey) return { ...prev, cached: true };
  }
  const divergedPath = join(runDir(key), 'diverged.json');
  if (!opts.force && existsSync(divergedPath)) {
    const prev = JSON.parse(readFileSync(divergedPath, 'utf8')) as DivergedRun;
    if (prev.cache_key === cacheKey) throw new DivergenceError(prev.message, prev.epoch, prev.lr, prev.loss);
  }
  const tracked = stratifiedSubset(d.fit.y, Math.min(c.tracking.size, d.fit.X.rows), c.tracking.seed);
  const analytical = await analyticalKernel(c);
  let r: TrainResult;
  try {
    r = trainTwoLayer(
      { X: d.fit.X, y: d.fit.y, Xeval: d.eval.X, yeval: d.eval.y },
      {
        width: key.width,
        seed: key.seed,
        lrScale: key.lr,
        ...trainSettings(c),
        tracked,
        analytical,
        label: `mlp ${id}`,
      },
    );
  } catch (e) {
    if (e instanceof DivergenceError) recordDivergence(key, cacheKey, e);
    throw e;
  }
  let best: HistoryRow | null = null;
  for (const h of r.history) if (h.evalAccuracy !== null && (!best || h.evalAccuracy > best.evalAccuracy!)) best = h;
  const m: RunMetrics = {
    run: id,
    width: key.width,
    seed: key.seed,
    lr_natural: r.lrNatural,
    lr: r.lr,
    lambda_max0: r.lambdaMax0,
    lambda_max_source: r.lambdaMaxSource,
    epochs: c.train.epochs,
    batch_size: c.train.batchSize,
    n_fit: d.fit.X.rows,
    n_eval: d.eval.X.rows,
    d: d.fit.X.cols,
    tracked: r.trackedSize,
    full_kernel: r.fullKernel,
    kernel_init_error: r.kernelInitError,
    delta_theta: r.deltaThetaFinal,
    delta_theta_full: r.deltaThetaFullFinal,
    train_loss: r.final.trainLoss,
    train_accuracy: r.final.trainAccuracy,
    eval_accuracy: r.final.evalAccuracy,
    eval_f1: r.final.evalF1,
    best_eval_accuracy: best?.evalAccuracy ?? null,
    best_eval_epoch: best?.epoch ?? null,
    seconds: +r.seconds.toFixed(2),
    config_hash: hashJson(sharedConfig(c)),
    cache_key: cacheKey,
  };
  const dir = runDir(key);
  const meta = await provenance({
    stage: STAGE,
    stageVersion: STAGE_VERSION,
    config: { ...(sharedConfig(c) as object), run: key },
    inputs: d.inputs,
    dtype: 'float32 (training), float64 (kernels)',
    seed: key.seed,
    extra: m as unknown as Record<string, unknown>,
  });
  writeArtifact(join(dir, 'history.arrow'), historySchema, historyTable(r.history), meta);
  writeFileAtomic(join(dir, 'metrics.json'), `${JSON.stringify({ ...m, provenance: { ...meta, config: meta.config } }, null, 2)}\n`);
  rmSync(divergedPath, { force: true });
  return m;
}

/** What a diverged run leaves in data/mlp/<run-id>/diverged.json instead of metrics.json. */
export interface DivergedRun {
  run: string;
  message: string;
  epoch: number;
  lr: number;
  loss: number;
  cache_key: string;
}

/**
 * A diverged run is a result of the sweep, not a crash of it: record it (replacing this run's
 * outputs from an older config, which no longer describe it) so that the summary and the
 * submission skip it and a rerun with the same settings fails fast with the same advice.
 */
function recordDivergence(key: RunKey, cacheKey: string, e: DivergenceError): void {
  const dir = runDir(key);
  const rec: DivergedRun = { run: runId(key), message: e.message, epoch: e.epoch, lr: e.lr, loss: e.loss, cache_key: cacheKey };
  writeFileAtomic(join(dir, 'diverged.json'), `${JSON.stringify(rec, null, 2)}\n`);
  for (const f of ['metrics.json', 'history.arrow']) rmSync(join(dir, f), { force: true });
}

/** The run's metrics, or null when it diverged (data/mlp/<run-id>/diverged.json). */
export function readRunMetrics(key: RunKey): RunMetrics | null {
  const p = join(runDir(key), 'metrics.json');
  if (!existsSync(p) && existsSync(join(runDir(key), 'diverged.json'))) return null;
  if (!existsSync(p))
    fail(`${p}: missing; run it first: tangent mlp --width ${key.width} --seed ${key.seed} --lr ${key.lr} (or nx run @tangent/mlp:run)`);
  return JSON.parse(readFileSync(p, 'utf8')) as RunMetrics;
}

/** The learning rate (natural units) with the best mean final eval accuracy over seeds at this width. */
export function bestLr(c: MlpConfig, width: number): number {
  const runs = enumerateRuns(c).filter((k) => k.width === width);
  if (!runs.length) fail(`width ${width} is not in the config's widths`);
  const byLr = new Map<number, number[]>();
  for (const k of runs) {
    const m = readRunMetrics(k);
    if (!byLr.has(k.lr)) byLr.set(k.lr, []);
    byLr.get(k.lr)!.push(m?.eval_accuracy ?? 0); // a diverged run counts as chance-or-worse
  }
  return [...byLr.entries()].sort((a, b) => mean(b[1]) - mean(a[1]) || a[0] - b[0])[0][0];
}

/** Train on ALL of train at the best lr for this width and write data/submissions/mlp-w<width>.csv. */
export async function runMlpSubmission(c: MlpConfig, width: number, data?: Prepared): Promise<{ path: string; rows: number; lr: number }> {
  const d = data ?? prepareData(c);
  const lr = bestLr(c, width);
  const test = readFeatures(inputPaths(c).test, c.model.inputScale);
  const r = trainTwoLayer(
    { X: d.all.X, y: d.all.y, Xtest: test.X },
    {
      width,
      seed: c.submission.seed,
      lrScale: lr,
      ...trainSettings(c),
      tracked: null,
      label: `mlp submission w${width}`,
    },
  );
  const f = r.testPredictions!;
  const lines = ['id,target'];
  for (let i = 0; i < test.ids.length; i++) lines.push(`${test.ids[i]},${f[i] > 0 ? 1 : 0}`);
  const path = paths.artifacts('submissions', `mlp-w${width}.csv`);
  writeFileAtomic(path, `${lines.join('\n')}\n`);
  return { path, rows: test.ids.length, lr };
}

export interface Summary {
  ntk_accuracy: number | null;
  ntk_f1: number | null;
  widths: Array<{
    width: number;
    seeds: number;
    delta_theta_mean: number;
    delta_theta_sd: number;
    accuracy_mean: number;
    accuracy_sd: number;
    f1_mean: number;
    kernel_init_error_mean: number | null;
  }>;
  delta_theta_loglog_slope: number | null;
  /** Runs at the main learning rate that diverged and are left out of the means. */
  diverged_runs: string[];
}

/** KRR eval-split figures from data/ntk/<input>/metrics.json (`eval.accuracy`, `eval.f1`). */
function krrFigures(path: string): { accuracy: number | null; f1: number | null } {
  if (!existsSync(path)) {
    log(`mlp summary: ${path} not found; ntk_accuracy/ntk_f1 left null (run the ntk stage)`);
    return { accuracy: null, f1: null };
  }
  const j = JSON.parse(readFileSync(path, 'utf8')) as { eval?: { accuracy?: number; f1?: number } };
  if (typeof j.eval?.accuracy !== 'number') fail(`${path}: no eval.accuracy; rerun the ntk stage`);
  return { accuracy: j.eval.accuracy, f1: typeof j.eval.f1 === 'number' ? j.eval.f1 : null };
}

/** data/mlp/summary.json from the runs at the main learning rate (config.lrs[0]). */
export function runMlpSummary(c: MlpConfig): { path: string; summary: Summary } {
  const lr = c.lrs[0];
  const widths = [...new Set(c.widths)].sort((a, b) => a - b);
  const diverged: string[] = [];
  const rows = widths.map((width) => {
    const all = c.seeds.map((seed) => ({ seed, m: readRunMetrics({ width, seed, lr }) }));
    for (const r of all) if (r.m === null) diverged.push(runId({ width, seed: r.seed, lr }));
    const ms = all.map((r) => r.m).filter((m): m is RunMetrics => m !== null);
    if (!ms.length)
      fail(`width ${width}: every seed diverged at lr ${lr}; lower the learning rate (see data/mlp/w${width}-s*-lr${lr}/diverged.json)`);
    const dt = ms.map((m) => m.delta_theta ?? NaN),
      acc = ms.map((m) => m.eval_accuracy ?? NaN),
      f1 = ms.map((m) => m.eval_f1 ?? NaN);
    const ke = ms.map((m) => m.kernel_init_error).filter((v): v is number => v !== null);
    return {
      width,
      seeds: ms.length,
      delta_theta_mean: mean(dt),
      delta_theta_sd: sd(dt),
      accuracy_mean: mean(acc),
      accuracy_sd: sd(acc),
      f1_mean: mean(f1),
      kernel_init_error_mean: ke.length ? mean(ke) : null,
    };
  });
  const krr = krrFigures(inputPaths(c).krr);
  const summary: Summary = {
    ntk_accuracy: krr.accuracy,
    ntk_f1: krr.f1,
    widths: rows,
    delta_theta_loglog_slope: loglogSlope(
      rows.map((r) => r.width),
      rows.map((r) => r.delta_theta_mean),
    ),
    diverged_runs: diverged,
  };
  const path = paths.artifacts(STAGE, 'summary.json');
  writeFileAtomic(path, `${JSON.stringify(summary, null, 2)}\n`);
  return { path, summary };
}
