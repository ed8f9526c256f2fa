/**
 * `runExperiment(config)`: every seed of the hybrid SGD→NTK experiment, then
 * data/hybrid/<experiment>/{history,results,ntk_trace}.arrow + metrics.json (provenance in each)
 * and a printed comparison table (mean ± sd over seeds).
 */
import { Field, Float64, Int32, Utf8 } from 'apache-arrow';
import { buildTable, defineSchema } from '@tangent/arrow-io';
import { log } from '@tangent/base';
import { defineStage, runStandalone, type StageContext, type StageOutput, hybridNode } from '@tangent/contracts';
import { backendInfo } from '@tangent/linalg';
import { experimentSchema, type ExperimentConfig } from './config.ts';
import { loadDataset } from './data/index.ts';
import type { Dataset } from './data/dataset.ts';
import { evaluator, runSeed, type SeedRun } from './experiment.ts';
import { checkKernels, checkRows } from './feasibility.ts';
import { METHOD_LABEL, type Method, type MethodResult } from './methods.ts';
import { meanSd } from './metrics.ts';

export const STAGE_VERSION = '1';

const f64 = (name: string, nullable = false) => new Field(name, new Float64(), nullable);
export const hybridHistorySchema = defineSchema('hybrid-history', [
  new Field('seed', new Int32(), false),
  new Field('epoch', new Int32(), false),
  f64('train_loss'),
  f64('train_metric'),
  f64('test_metric'),
  f64('param_norm'),
  f64('param_delta', true),
  f64('ntk_dist', true),
  f64('sgd_seconds'),
]);
export const hybridResultsSchema = defineSchema('hybrid-results', [
  new Field('seed', new Int32(), false),
  new Field('method', new Utf8(), false),
  new Field('switch_epoch', new Int32(), false),
  new Field('heuristic', new Utf8(), false),
  f64('train_metric'),
  f64('test_metric'),
  f64('phase1_seconds'),
  f64('phase2_seconds'),
  f64('total_seconds'),
  f64('kernel_seconds'),
  f64('eigh_seconds'),
  f64('solve_seconds'),
  f64('steps'),
  f64('lin_err_train', true),
  f64('lin_err_test', true),
  f64('lin_err_rel', true),
  f64('linear_loss', true),
]);
export const hybridTraceSchema = defineSchema('hybrid-ntk-trace', [
  new Field('seed', new Int32(), false),
  new Field('method', new Utf8(), false),
  f64('step'),
  f64('linear_loss'),
]);

/** The thesis' figures (Sarvanau 2025, 10 seeds) that the printed table is compared with. */
export const THESIS_REFERENCE: Record<string, Partial<Record<Method, string>>> = {
  wine: { sgd: 'test NRMSE 14.3 % (full SGD, 20 epochs)', 'integrated-flow': 'test NRMSE 12.0 % (NTK 3 after the switch)' },
  fashion_mnist: { 'linearised-descent': 'test accuracy 82.8 % (NTK 1)' },
};

export interface ExperimentOutput {
  dir: string;
  runs: SeedRun[];
  summary: Record<string, Record<string, { mean: number; sd: number; n: number } | null>>;
  table: string;
}

export function summarise(results: MethodResult[]): ExperimentOutput['summary'] {
  const out: ExperimentOutput['summary'] = {};
  const methods = [...new Set(results.map((r) => r.method))];
  const keys: Array<keyof MethodResult> = [
    'trainMetric',
    'testMetric',
    'phase1Seconds',
    'phase2Seconds',
    'totalSeconds',
    'kernelSeconds',
    'eighSeconds',
    'solveSeconds',
    'switchEpoch',
    'steps',
    'linErrTrain',
    'linErrTest',
    'linErrRel',
    'linearLoss',
  ];
  for (const m of methods) {
    const rs = results.filter((r) => r.method === m);
    out[m] = {};
    for (const k of keys) {
      const xs = rs.map((r) => r[k]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      out[m][k] = xs.length ? meanSd(xs) : null;
    }
  }
  return out;
}

export function formatTable(summary: ExperimentOutput['summary'], metricName: string, percent: boolean, kind: string): string {
  const fmt = (s: { mean: number; sd: number } | null, scale = 1, digits = 2) =>
    s ? `${(s.mean * scale).toFixed(digits)} ± ${(s.sd * scale).toFixed(digits)}` : '—';
  const scale = percent ? 100 : 1;
  const unit = percent ? ' %' : '';
  const head = [
    'method',
    `train ${metricName}${unit}`,
    `test ${metricName}${unit}`,
    'switch epoch',
    'phase 1 s',
    'phase 2 s',
    'total s',
    'lin. err (train/test)',
    'thesis',
  ];
  const rows = Object.entries(summary).map(([m, s]) => [
    METHOD_LABEL[m as Method] ?? m,
    fmt(s.trainMetric, scale),
    fmt(s.testMetric, scale),
    fmt(s.switchEpoch, 1, 1),
    fmt(s.phase1Seconds),
    fmt(s.phase2Seconds),
    fmt(s.totalSeconds),
    s.linErrTrain ? `${s.linErrTrain.mean.toExponential(2)} / ${s.linErrTest ? s.linErrTest.mean.toExponential(2) : '—'}` : '—',
    THESIS_REFERENCE[kind]?.[m as Method] ?? '',
  ]);
  const w = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (r: string[]) =>
    r
      .map((c, j) => c.padEnd(w[j]))
      .join('  ')
      .trimEnd();
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * The hybrid experiment as a stage: every seed, then data/hybrid/<experiment>/{history,results,
 * ntk_trace}.arrow and metrics.json, published together. Its config is its own YAML file
 * (`tangent experiment --config configs/wine_quality.yaml`), not the pipeline manifest.
 */
export const hybridStage = defineStage(hybridNode, {
  version: STAGE_VERSION,
  configSchema: experimentSchema,
  run: (ctx) => runExperimentStage(ctx),
});

/** Run an experiment config (already validated) and publish data/hybrid/<experiment>/. */
export async function runExperiment(cfg: ExperimentConfig, opts: { quiet?: boolean } = {}): Promise<ExperimentOutput> {
  let output: ExperimentOutput | undefined;
  const res = await runStandalone(hybridStage, cfg.experiment, cfg, async (ctx) => {
    const r = await runExperimentStage(ctx);
    output = r.output;
    return r;
  });
  if (!opts.quiet) process.stdout.write(`${res.summary}\n`);
  return output!;
}

async function runExperimentStage(ctx: StageContext<ExperimentConfig>): Promise<StageOutput & { output: ExperimentOutput }> {
  const cfg = ctx.config;
  const dir = ctx.outDir;
  const runs: SeedRun[] = [];
  let data: Dataset | null = null;
  // Every seed's rows and the run's kernels are checked before the first epoch of the first seed.
  for (const seed of cfg.seeds) {
    if (!data || cfg.data.kind !== 'fashion_mnist') data = loadDataset(cfg.data, seed);
    checkRows(cfg.data, data, seed);
    checkKernels(cfg, data);
  }
  if (cfg.data.kind !== 'fashion_mnist') data = null;
  for (const seed of cfg.seeds) {
    // Tabular data is re-split per seed; Fashion-MNIST keeps its official split.
    if (!data || cfg.data.kind !== 'fashion_mnist') data = loadDataset(cfg.data, seed);
    log(
      `hybrid: ${cfg.experiment} seed ${seed}: ${data.name}, ${data.nTrain} train / ${data.nTest} test, ${data.inDim} → ${cfg.model.hidden.join('-')} → ${data.outDim}`,
    );
    runs.push(runSeed(cfg, data, seed));
  }
  const d = data!;
  const ev = evaluator(d, cfg);
  const results = runs.flatMap((r) => r.results);
  const summary = summarise(results);
  const table = formatTable(summary, ev.name, true, cfg.data.kind);

  for (const f of d.files) ctx.track(f);
  const meta = {
    dtype: 'float32 training; float64 kernels and solves',
    seed: cfg.seeds[0],
    extra: {
      seeds: cfg.seeds,
      dataset: d.name,
      nTrain: d.nTrain,
      nTest: d.nTest,
      params: runs[0].params,
      ntkRows: runs[0].ntkRows,
      metric: ev.name,
      nrmseDenominator: d.task === 'regression' ? ev.denom : null,
      backend: backendInfo(),
      layout: 'J0 rows = (sample i, output o) at i·K + o; Θ0 is (n·K)×(n·K)',
    },
  };
  const history = runs.flatMap((r) => r.history);
  const historyFile = {
    name: 'history.arrow',
    schema: hybridHistorySchema,
    ...meta,
    table: buildTable(hybridHistorySchema, {
      seed: Int32Array.from(history, (h) => h.seed),
      epoch: Int32Array.from(history, (h) => h.epoch),
      train_loss: Float64Array.from(history, (h) => h.trainLoss),
      train_metric: Float64Array.from(history, (h) => h.trainMetric),
      test_metric: Float64Array.from(history, (h) => h.testMetric),
      param_norm: Float64Array.from(history, (h) => h.paramNorm),
      param_delta: history.map((h) => h.paramDelta),
      ntk_dist: history.map((h) => h.ntkDist),
      sgd_seconds: Float64Array.from(history, (h) => h.sgdSeconds),
    }),
  };
  const resultsFile = {
    name: 'results.arrow',
    schema: hybridResultsSchema,
    ...meta,
    table: buildTable(hybridResultsSchema, {
      seed: Int32Array.from(results, (r) => r.seed),
      method: results.map((r) => r.method),
      switch_epoch: Int32Array.from(results, (r) => r.switchEpoch),
      heuristic: results.map((r) => r.heuristic),
      train_metric: Float64Array.from(results, (r) => r.trainMetric),
      test_metric: Float64Array.from(results, (r) => r.testMetric),
      phase1_seconds: Float64Array.from(results, (r) => r.phase1Seconds),
      phase2_seconds: Float64Array.from(results, (r) => r.phase2Seconds),
      total_seconds: Float64Array.from(results, (r) => r.totalSeconds),
      kernel_seconds: Float64Array.from(results, (r) => r.kernelSeconds),
      eigh_seconds: Float64Array.from(results, (r) => r.eighSeconds),
      solve_seconds: Float64Array.from(results, (r) => r.solveSeconds),
      steps: Float64Array.from(results, (r) => r.steps),
      lin_err_train: results.map((r) => r.linErrTrain),
      lin_err_test: results.map((r) => r.linErrTest),
      lin_err_rel: results.map((r) => r.linErrRel),
      linear_loss: results.map((r) => r.linearLoss),
    }),
  };
  const traces = runs.flatMap((r) => r.ntkTraces);
  const traceFile = {
    name: 'ntk_trace.arrow',
    schema: hybridTraceSchema,
    ...meta,
    table: buildTable(hybridTraceSchema, {
      seed: Int32Array.from(traces, (t) => t.seed),
      method: traces.map((t) => t.method),
      step: Float64Array.from(traces, (t) => t.step),
      linear_loss: Float64Array.from(traces, (t) => t.loss),
    }),
  };
  const metrics = {
    metric: ev.name,
    metricDefinition:
      d.task === 'regression'
        ? `NRMSE = RMSE / ${cfg.metrics.nrmse === 'range' ? '(max − min)' : 'std'} of the training targets (original scale) = RMSE / ${ev.denom.toFixed(4)}; fractions (×100 for %)`
        : 'accuracy = fraction of argmax(f(x)) equal to the label',
    switches: runs.map((r) => ({
      seed: r.seed,
      epoch: r.decision.epoch,
      heuristic: r.decision.heuristic,
      fired: r.decision.fired,
      paramSignal: r.decision.paramSignal,
      ntkSignal: r.decision.ntkSignal,
      wouldFire: r.wouldFire,
    })),
    summary,
    results,
    thesis: THESIS_REFERENCE[cfg.data.kind] ?? {},
    table,
  };
  const text = `\n${cfg.experiment}: ${cfg.seeds.length} seed(s), ${d.name}, ${ev.name}\n${table}\n\nwrote ${dir}/{history,results,ntk_trace}.arrow, metrics.json`;
  return {
    files: [historyFile, resultsFile, traceFile, { name: 'metrics.json', json: metrics, ...meta }],
    summary: text,
    output: { dir, runs, summary, table },
  };
}
