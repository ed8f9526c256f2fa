import { existsSync } from 'node:fs';
import { fail } from '@tangent/base';
import {
  checkSubmission,
  embeddingColumns,
  krrFile,
  cvSchema,
  historySchema,
  isKaggleDataset,
  krrMetricsSchema,
  predictionsSchema,
  readRunOutcome,
  type Instance,
  type KrrMetrics,
  type RunMetrics,
  type StageContext,
  type SubmissionCheck,
} from '@tangent/contracts';
import { KERNEL_KINDS, loglogSlope, mean, sd, type KernelKind } from '@tangent/kernels';
import { z } from 'zod';
import type { AnalysisConfig } from './config.ts';
import { submissionName } from './submissions.ts';

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
  /** The linearised prediction of train_loss (mlp tracking.dynamics), from Θ̂₀ and from the analytical Θ. */
  train_loss_pred_empirical?: number | null;
  train_loss_pred_analytic?: number | null;
}

export interface HybridSummary {
  name: string;
  metric: string;
  summary: Record<
    string,
    { test_metric: { mean: number; sd: number; n: number }; total_seconds: { mean: number; sd: number; n: number } } | null
  >;
  thesis: unknown;
}

/** Per input (embedder, d): the finite-width runs at the main learning rate, width by width. */
export interface MlpSummary {
  ntk_accuracy: number;
  ntk_f1: number;
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

export interface RunRecord {
  key: { width: number; seed: number; lr: number };
  metrics: RunMetrics;
  history: HistoryRow[];
}

export interface AnalysisInputs {
  input: string;
  krr: { metrics: KrrMetrics; cv: CvRow[] };
  mlp: { summary: MlpSummary; mainLr: number; runs: RunRecord[]; diverged: string[] };
  hybrid: HybridSummary[];
  submissions: SubmissionCheck[];
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The width-by-width summary of the runs at the main learning rate (diverged runs listed, not averaged). */
export function summariseRuns(runs: RunRecord[], diverged: string[], mainLr: number, krr: KrrMetrics): MlpSummary {
  const widths = [...new Set(runs.map((r) => r.key.width))].sort((a, b) => a - b);
  const rows = widths.map((width) => {
    const ms = runs.filter((r) => r.key.width === width && r.key.lr === mainLr).map((r) => r.metrics);
    if (!ms.length) fail(`width ${width}: every seed diverged at lr ${mainLr}; lower grid.lrs[0] in the manifest`);
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
  return {
    ntk_accuracy: krr.eval.accuracy,
    ntk_f1: krr.eval.f1,
    widths: rows,
    delta_theta_loglog_slope: loglogSlope(
      rows.map((r) => r.width),
      rows.map((r) => r.delta_theta_mean),
    ),
    diverged_runs: diverged.filter((id) => id.endsWith(`-lr${mainLr}`)),
  };
}

const hybridFileSchema = z.object({
  metric: z.string(),
  summary: z.record(z.string(), z.unknown()),
  thesis: z.unknown(),
});

/** One (embedder, d) input as the d sweep sees it (d-sweep.ts). */
export interface SweepInput {
  embedder: string;
  d: number;
  /** Share of the train embeddings' variance the d PCA axes keep (the pca artifact's metadata). */
  explainedVariance: number | null;
  /** Kernel ridge on the eval rows, per kernel (null when that kernel was not fitted). */
  krr: Record<KernelKind, { accuracy: number; f1: number } | null>;
  inp: AnalysisInputs;
}

/**
 * What the d sweep needs of one input beyond collectInput: its grid point, the PCA explained
 * variance (recorded by the pca stage in its artifact metadata) and kernel ridge per kernel
 * (the primary ntk.kernel in metrics.json, each of ntk.compare in metrics-<kernel>.json).
 */
export function collectSweepInput(ctx: StageContext<AnalysisConfig>, ntk: Instance, inp: AnalysisInputs): SweepInput {
  const pca = ctx.deps('pca').find((p) => p.key === ntk.key);
  let explainedVariance: number | null = null;
  if (pca) {
    const { meta } = ctx.readArrow(pca, 'train.arrow', embeddingColumns);
    explainedVariance = num((meta.extra as Record<string, unknown> | undefined)?.explainedVarianceTotal);
  }
  const primary = inp.krr.metrics.kernel;
  const krr: SweepInput['krr'] = { ntk: null, nngp: null };
  for (const k of KERNEL_KINDS) {
    const file = krrFile('metrics', k, primary);
    if (k !== primary && !existsSync(ctx.path(ntk, file))) continue;
    const m = k === primary ? inp.krr.metrics : ctx.readJson(ntk, file, krrMetricsSchema);
    krr[k] = { accuracy: m.eval.accuracy, f1: m.eval.f1 };
  }
  return { embedder: ntk.point.embedder!, d: ntk.point.d!, explainedVariance, krr, inp };
}

/** Gather one input's ntk, mlp and submission outputs (checked against their recorded identities). */
export function collectInput(ctx: StageContext<AnalysisConfig>, ntk: Instance): AnalysisInputs {
  const input = ntk.key;
  const metrics = ctx.readJson(ntk, 'metrics.json', krrMetricsSchema);
  const { table } = ctx.readArrow(ntk, 'cv.arrow', cvSchema(metrics.cv.folds));
  const cv: CvRow[] = table.toArray().map((r) => ({
    lambda: r.lambda,
    accuracy_mean: r.accuracy_mean,
    accuracy_sd: r.accuracy_sd,
    f1_mean: r.f1_mean,
    f1_sd: r.f1_sd,
    loo_accuracy: num(r.loo_accuracy),
    selected: r.selected === 1,
  }));
  const runs: RunRecord[] = [];
  const diverged: string[] = [];
  // the grid's own runs; a regime's runs (point.regime) are the feature-learning section's
  const mine = ctx.deps('mlp').filter((i) => i.key.startsWith(`${input}/`) && !i.point.regime);
  for (const run of mine) {
    const m = readRunOutcome(ctx, run);
    const id = run.key.split('/').pop()!;
    if (m === null) {
      diverged.push(id);
      continue;
    }
    const h = ctx.readArrow(run, 'history.arrow', historySchema).table;
    const history = h.toArray().map((r) => ({
      epoch: r.epoch,
      train_loss: r.train_loss,
      eval_accuracy: num(r.eval_accuracy),
      delta_theta: num(r.delta_theta),
      train_loss_pred_empirical: num(r.train_loss_pred_empirical),
      train_loss_pred_analytic: num(r.train_loss_pred_analytic),
    }));
    runs.push({ key: { width: run.point.width!, seed: run.point.seed!, lr: run.point.lr! }, metrics: m, history });
  }
  const mainLr = ctx.config.grid.lrs[0];
  const summary = summariseRuns(runs, diverged, mainLr, metrics);

  // Kaggle format checks of this input's submissions, against the test ids in test.csv order.
  const pred = ctx.readArrow(ntk, 'predictions.arrow', predictionsSchema).table;
  const split = pred.getChild('split')!;
  const idCol = pred.getChild('id')!;
  const testIds: number[] = [];
  for (let i = 0; i < pred.numRows; i++) if (split.get(i) === 'test') testIds.push(idCol.get(i) as number);
  // a Kaggle submission exists for the competition's (unlabelled) test rows only
  const kaggle = isKaggleDataset(ctx.manifest.datasets, ntk.point.dataset);
  const subs = [
    ...(kaggle ? [{ dep: ntk, file: 'submission.csv' }] : []),
    ...ctx
      .deps('mlp-submit')
      .filter((i) => i.key.startsWith(`${input}/`))
      .map((dep) => ({ dep, file: 'submission.csv' })),
  ];
  const submissions = subs.map(({ dep, file }) => {
    const path = ctx.path(dep, file);
    const check = checkSubmission(path, ctx.readText(dep, file), testIds);
    return { ...check, file: submissionName(dep) }; // its name in data/submissions/
  });

  // the manifest's hybrid experiments (hybrid.experiments): graph inputs, read like any other
  const hybrid: HybridSummary[] = ctx.deps('hybrid').map((dep) => {
    const data = ctx.readJson(dep, 'metrics.json', hybridFileSchema);
    return { name: dep.key, metric: data.metric, summary: data.summary as HybridSummary['summary'], thesis: data.thesis };
  });
  return { input, krr: { metrics, cv }, mlp: { summary, mainLr, runs, diverged }, hybrid, submissions };
}
