import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fail, paths, readArtifact } from '@tangent/arrow-io';
import {
  enumerateRuns,
  historySchema as mlpHistorySchema,
  loadMlpConfig,
  readRunMetrics,
  runDir,
  runId,
  type RunKey,
  type RunMetrics,
  type Summary as MlpSummary,
} from '@tangent/mlp';
import { cvSchema } from '@tangent/ntk';
import { textSchema } from '@tangent/text';
import { parse } from 'csv-parse/sync';
import type { AnalysisConfig } from './config.ts';

/** What the ntk stage reports in data/ntk/<input>/metrics.json (the fields used here). */
export interface KrrMetrics {
  kernel: string;
  depth: number;
  chosenLambda: number;
  cv: { solver: string; folds: number; accuracy: { mean: number; sd: number }; f1: { mean: number; sd: number } };
  loo: { computed: boolean; accuracy: number | null; f1: number | null };
  eval: { rows: number; accuracy: number; f1: number; fitRows: number };
  timings: Record<string, number>;
}

export interface CvRow {
  lambda: number;
  accuracy_mean: number;
  accuracy_sd: number;
  f1_mean: number;
  f1_sd: number;
  loo_accuracy: number | null;
  selected: boolean;
}

export interface HistoryRow {
  epoch: number;
  train_loss: number;
  eval_accuracy: number | null;
  delta_theta: number | null;
}

export interface HybridSummary {
  name: string;
  metric: string;
  summary: Record<
    string,
    { testMetric: { mean: number; sd: number; n: number }; totalSeconds: { mean: number; sd: number; n: number } } | null
  >;
  thesis: unknown;
}

export interface SubmissionCheck {
  file: string;
  rows: number;
  positives: number;
}

export interface AnalysisInputs {
  input: string;
  krr: { metrics: KrrMetrics; cv: CvRow[] };
  mlp: {
    summary: MlpSummary;
    mainLr: number;
    runs: Array<{ key: RunKey; metrics: RunMetrics; history: HistoryRow[] }>;
    diverged: string[];
  };
  hybrid: HybridSummary[];
  submissions: SubmissionCheck[];
  /** Every file read, for provenance. */
  files: string[];
}

function readJson<T>(path: string, hint: string): T {
  if (!existsSync(path)) fail(`${path}: not found; ${hint}`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    fail(`${path}: not valid JSON (${(e as Error).message}); ${hint}`);
  }
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * A Kaggle submission must be `id,target` with one row per test tweet, ids in test.csv order
 * and 0/1 targets; anything else is rejected on upload, so it is an error here too.
 */
export function checkSubmission(path: string, testIds: Int32Array): SubmissionCheck {
  const rows = parse(readFileSync(path, 'utf8'), { columns: true, skip_empty_lines: true }) as Array<Record<string, string>>;
  const name = path.split('/').pop()!;
  if (rows.length && !('id' in rows[0] && 'target' in rows[0])) fail(`${path}: header must be 'id,target'; rerun the stage that wrote it`);
  if (rows.length !== testIds.length) fail(`${path}: ${rows.length} rows, Kaggle expects ${testIds.length}; rerun the stage that wrote it`);
  let positives = 0;
  rows.forEach((r, i) => {
    if (Number(r.id) !== testIds[i]) fail(`${path}: row ${i + 2} has id ${r.id}, expected ${testIds[i]} (test.csv order)`);
    if (r.target !== '0' && r.target !== '1') fail(`${path}: row ${i + 2} has target '${r.target}', expected 0 or 1`);
    positives += Number(r.target);
  });
  return { file: name, rows: rows.length, positives };
}

/** Gather the outputs of the ntk, mlp and (optionally) hybrid stages for one pipeline input. */
export function collectInputs(cfg: AnalysisConfig): AnalysisInputs {
  const files: string[] = [];
  const mlpConfig = loadMlpConfig(cfg.mlpConfig);
  const ntkDir = paths.artifacts('ntk', mlpConfig.input);
  const metricsPath = join(ntkDir, 'metrics.json');
  const metrics = readJson<KrrMetrics>(metricsPath, 'run the ntk stage first: npx nx run @tangent/ntk:run');
  const cvPath = join(ntkDir, 'cv.arrow');
  const { table } = readArtifact(cvPath, cvSchema(metrics.cv.folds), 'run the ntk stage first');
  files.push(metricsPath, cvPath);
  const cv: CvRow[] = table.toArray().map((r) => ({
    lambda: r.lambda,
    accuracy_mean: r.accuracy_mean,
    accuracy_sd: r.accuracy_sd,
    f1_mean: r.f1_mean,
    f1_sd: r.f1_sd,
    loo_accuracy: num(r.loo_accuracy),
    selected: r.selected === 1,
  }));

  const summaryPath = paths.artifacts('mlp', 'summary.json');
  const summary = readJson<MlpSummary>(summaryPath, 'run the mlp stage first: npx nx run @tangent/mlp:run');
  files.push(summaryPath);
  // Exactly the runs the current mlp config asks for, not whatever older runs left in data/mlp.
  const runs: AnalysisInputs['mlp']['runs'] = [];
  const diverged: string[] = [];
  for (const key of enumerateRuns(mlpConfig)) {
    const metrics = readRunMetrics(key);
    if (metrics === null) {
      diverged.push(runId(key));
      continue;
    }
    const hPath = join(runDir(key), 'history.arrow');
    const h = readArtifact(hPath, mlpHistorySchema, 'run the mlp stage first').table;
    files.push(join(runDir(key), 'metrics.json'), hPath);
    const history = h
      .toArray()
      .map((r) => ({ epoch: r.epoch, train_loss: r.train_loss, eval_accuracy: num(r.eval_accuracy), delta_theta: num(r.delta_theta) }));
    runs.push({ key, metrics, history });
  }

  const hybrid: HybridSummary[] = [];
  for (const name of cfg.hybrid) {
    const p = paths.artifacts('hybrid', name, 'metrics.json');
    if (!existsSync(p)) continue;
    const j = readJson<{ metric: string; summary: HybridSummary['summary']; thesis: unknown }>(p, 'rerun the experiment');
    files.push(p);
    hybrid.push({ name, metric: j.metric, summary: j.summary, thesis: j.thesis });
  }

  const testPath = paths.artifacts('text', 'test.arrow');
  const testIds = Int32Array.from(
    readArtifact(testPath, textSchema, 'run the text stage first').table.getChild('id')!.toArray() as Int32Array,
  );
  files.push(testPath);
  const subDir = paths.artifacts('submissions');
  const submissions = existsSync(subDir)
    ? readdirSync(subDir)
        .filter((f) => f.endsWith('.csv'))
        .sort()
        .map((f) => {
          files.push(join(subDir, f));
          return checkSubmission(join(subDir, f), testIds);
        })
    : [];
  return {
    input: mlpConfig.input,
    krr: { metrics, cv },
    mlp: { summary, mainLr: mlpConfig.lrs[0], runs, diverged },
    hybrid,
    submissions,
    files,
  };
}
