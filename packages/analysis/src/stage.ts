import { Field, Float64, Int32, Utf8 } from 'apache-arrow';
import { buildTable, defineSchema, paths, provenance, writeArtifacts } from '@tangent/arrow-io';
import { analyse, type Analysis } from './analyse.ts';
import { renderSvg } from './charts.ts';
import { collectInputs } from './collect.ts';
import type { AnalysisConfig } from './config.ts';
import { renderReport } from './report.ts';

export const STAGE = 'analysis';
export const STAGE_VERSION = '1';

const f64 = (name: string) => new Field(name, new Float64(), true);
/** data/analysis/comparison.arrow: one row per method on the shared eval split. */
export const comparisonSchema = defineSchema('analysis-comparison', [
  new Field('method', new Utf8(), false),
  new Field('width', new Int32(), true),
  new Field('seeds', new Int32(), false),
  f64('accuracy_mean'),
  f64('accuracy_sd'),
  f64('f1_mean'),
  f64('delta_theta_mean'),
  f64('kernel_init_error_mean'),
]);

export interface AnalysisResult {
  analysis: Analysis;
  outputs: { report: string; comparison: string; summary: string; figures: string[] };
}

/** Read the ntk/mlp/hybrid outputs, compare, render figures and write the report as one unit. */
export async function runAnalysis(cfg: AnalysisConfig): Promise<AnalysisResult> {
  const inputs = collectInputs(cfg);
  const analysis = analyse(inputs);
  const svgs: Record<string, string> = {};
  for (const f of analysis.figures) svgs[f.name] = await renderSvg(f.spec);
  const createdAt = new Date().toISOString();
  const dir = (...p: string[]) => paths.artifacts(STAGE, inputs.input, ...p);
  const c = analysis.comparison;
  const table = buildTable(comparisonSchema, {
    method: c.map((r) => r.method),
    width: c.map((r) => r.width),
    seeds: Int32Array.from(c, (r) => r.seeds),
    accuracy_mean: c.map((r) => r.accuracy_mean),
    accuracy_sd: c.map((r) => r.accuracy_sd),
    f1_mean: c.map((r) => r.f1_mean),
    delta_theta_mean: c.map((r) => r.delta_theta_mean),
    kernel_init_error_mean: c.map((r) => r.kernel_init_error_mean),
  });
  const meta = await provenance({
    stage: STAGE,
    stageVersion: STAGE_VERSION,
    config: cfg,
    inputs: inputs.files,
    dtype: 'float64',
    seed: null,
    extra: { slopes: analysis.slopes },
  });
  const summary = {
    input: inputs.input,
    krr: { lambda: inputs.krr.metrics.chosenLambda, accuracy: inputs.krr.metrics.eval.accuracy, f1: inputs.krr.metrics.eval.f1 },
    slopes: analysis.slopes,
    checks: analysis.checks,
    comparison: c,
    submissions: inputs.submissions,
    createdAt,
  };
  const outputs = {
    report: dir('report.html'),
    comparison: dir('comparison.arrow'),
    summary: dir('summary.json'),
    figures: analysis.figures.map((f) => dir('figures', `${f.name}.svg`)),
  };
  writeArtifacts(
    [{ path: outputs.comparison, schema: comparisonSchema, table, meta: { ...meta, createdAt } }],
    [
      { path: outputs.report, data: renderReport(inputs, analysis, svgs, createdAt) },
      { path: outputs.summary, data: `${JSON.stringify(summary, null, 2)}\n` },
      ...analysis.figures.map((f, i) => ({ path: outputs.figures[i], data: svgs[f.name] })),
    ],
  );
  return { analysis, outputs };
}
