import { Field, Float64, Int32, Utf8 } from 'apache-arrow';
import { buildTable, defineSchema } from '@tangent/arrow-io';
import {
  checkSubmission,
  defineStage,
  isKaggleDataset,
  submissionCsv,
  TWEETS_DATASET,
  type OutputFile,
  analysisNode,
} from '@tangent/contracts';
import { datasetsSection, datasetSummaries } from './datasets-section.ts';
import { analyse } from './analyse.ts';
import { renderSvg } from './charts.ts';
import { collectInput } from './collect.ts';
import {
  bestOverall,
  collectFeatureLearning,
  featureLearning,
  featureLearningSection,
  type FeatureLearningResult,
} from './feature-learning.ts';
import { analysisConfigSchema } from './config.ts';
import { collectSweepInput, type SweepInput } from './collect.ts';
import { researchAnswers } from './answers.ts';
import { dSweepRows, dynamicsRows, dynamicsTests } from './d-sweep.ts';
import { dSweepSection, dynamicsSection, lrBoundSection } from './d-sweep-report.ts';
import { collectEvalCorrectness } from './paired-eval.ts';
import { renderOverview, type ReportSection } from './overview-report.ts';
import { renderReport } from './report.ts';

export const STAGE_VERSION = '3';

const f64 = (name: string) => new Field(name, new Float64(), true);
/** data/analysis/<input>/comparison.arrow: one row per method on the shared eval split. */
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

/**
 * Stage 6: per input (embedder, d), kernel regression against the finite-width networks: the
 * comparison table, the theory checks, figures and an HTML report in data/analysis/<input>/, and
 * data/analysis/summary.json across inputs — all published in one commit.
 */
export const analysisStage = defineStage(analysisNode, {
  version: STAGE_VERSION,
  configSchema: analysisConfigSchema,
  async run(ctx) {
    const files: OutputFile[] = [];
    const perInput: Array<Record<string, unknown>> = [];
    const lines: string[] = [];
    const sweep: SweepInput[] = [];
    const reports: Array<{
      dataset: string;
      inputs: ReturnType<typeof collectInput>;
      analysis: ReturnType<typeof analyse>;
      svgs: Record<string, string>;
    }> = [];
    const boot = ctx.config.bootstrap;
    for (const ntk of ctx.deps('ntk')) {
      const inputs = collectInput(ctx, ntk);
      sweep.push(collectSweepInput(ctx, ntk, inputs));
      const analysis = analyse(inputs, { eval: collectEvalCorrectness(ctx, ntk), bootstrap: boot });
      const svgs: Record<string, string> = {};
      for (const f of analysis.figures) svgs[f.name] = await renderSvg(f.spec);
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
      const summary = {
        input: inputs.input,
        krr: { lambda: inputs.krr.metrics.chosen_lambda, accuracy: inputs.krr.metrics.eval.accuracy, f1: inputs.krr.metrics.eval.f1 },
        mlp: inputs.mlp.summary,
        slopes: analysis.slopes,
        kernel_init_error_sqrt_m: analysis.initConstant,
        checks: analysis.checks,
        lr_sweep: analysis.lrSweep,
        comparison: c,
        submissions: inputs.submissions,
      };
      perInput.push(summary);
      const dir = inputs.input;
      files.push(
        {
          name: `${dir}/comparison.arrow`,
          schema: comparisonSchema,
          table,
          dtype: 'float64',
          seed: null,
          extra: { slopes: analysis.slopes },
        },
        { name: `${dir}/summary.json`, json: summary },
        ...analysis.figures.map((f) => ({ name: `${dir}/figures/${f.name}.svg`, text: svgs[f.name] })),
      );
      lines.push(
        `analysis ${dir}:`,
        ...analysis.checks.map((k) => `  ${k.holds === null ? 'n/a' : k.holds ? 'yes' : 'NO '}  ${k.claim}: ${k.measured}`),
      );
      lines.push(`  report: ${ctx.outDir}/${dir}/report.html`);
      reports.push({ dataset: ntk.point.dataset ?? TWEETS_DATASET, inputs, analysis, svgs });
    }
    // The cross-input report and summary: the d sweep, the predicted dynamics, the learning-rate bound,
    // and with analysis.featureLearning.enabled the feature-learning table (with its submissions).
    const fl = ctx.config.featureLearning;
    const results: FeatureLearningResult[] = fl.enabled
      ? ctx.deps('ntk').map((ntk) => featureLearning(collectFeatureLearning(ctx, ntk), { ...fl, ...ctx.config.bootstrap }))
      : [];
    const flRows = results.flatMap((r) => r.rows);
    const best = fl.enabled ? bestOverall(flRows) : null;
    const dRows = dSweepRows(sweep, boot),
      dynRows = dynamicsRows(sweep),
      dynTests = dynamicsTests(sweep);
    const datasets = datasetSummaries(reports, ctx.manifest.datasets);
    const sections = [
      datasetsSection(datasets),
      dSweepSection(sweep, dRows),
      dynamicsSection(sweep, dynRows, dynTests),
      lrBoundSection(sweep),
      fl.enabled ? featureLearningSection(results) : null,
    ].filter((s): s is ReportSection => s !== null);
    const svgs: Record<string, string> = {};
    for (const s of sections) for (const f of s.figures) svgs[f.name] = await renderSvg(f.spec);
    const flSummary = fl.enabled ? { feature_learning: flRows, best, verdicts: results.map((r) => r.verdict) } : {};
    // the two research questions, answered at the top of every report from what this profile ran
    const answers = researchAnswers({
      rows: dRows,
      analyses: reports.map((r) => ({ input: r.inputs.input, analysis: r.analysis })),
      featureVerdicts: fl.enabled ? results.map((r) => r.verdict) : null,
    });
    const createdAt = new Date().toISOString();
    files.push(
      ...reports.map((r) => ({
        name: `${r.inputs.input}/report.html`,
        text: renderReport(r.inputs, r.analysis, r.svgs, createdAt, answers),
      })),
      {
        name: 'report.html',
        text: renderOverview(sections, svgs, { inputs: sweep.map((x) => x.inp.input), createdAt, answers }),
      },
      {
        name: 'summary.json',
        json: { datasets, inputs: perInput, d_sweep: dRows, dynamics: dynRows, dynamics_tests: dynTests, ...flSummary },
      },
      ...submissionFiles(
        // Kaggle submissions for the competition's rows only (results follow ctx.deps('ntk'))
        results.filter((_, i) => isKaggleDataset(ctx.manifest.datasets, ctx.deps('ntk')[i].point.dataset)),
        best,
      ),
    );
    lines.push(`  overview: ${ctx.outDir}/report.html`, ...results.map((r) => `feature learning: ${r.verdict}`));
    return { files, summary: lines.join('\n') };
  },
});

/**
 * One Kaggle submission per regime (its chosen configuration; a configuration of several seeds
 * votes by its seed-averaged score, i.e. the ensemble of its centred networks) and best.csv (the
 * configuration with the best fit-rows score across regimes), each checked in the Kaggle format.
 * The test rows are scored by models fitted on the fit rows only, as the eval rows are.
 */
function submissionFiles(results: FeatureLearningResult[], best: ReturnType<typeof bestOverall>): OutputFile[] {
  const out: OutputFile[] = [];
  const multi = results.length > 1;
  for (const r of results)
    for (const { row, testScores } of r.chosen) {
      if (!testScores.length) continue;
      const avg = new Float64Array(r.testIds.length);
      for (const s of testScores) for (let i = 0; i < avg.length; i++) avg[i] += s[i] / testScores.length;
      const text = submissionCsv(
        r.testIds,
        Int8Array.from(avg, (v) => (v > 0 ? 1 : 0)),
      );
      const name = `feature-learning/${multi ? `${row.input}-` : ''}${row.regime}.csv`;
      checkSubmission(name, text, r.testIds);
      out.push({ name, text });
      if (best && best.input === row.input && best.regime === row.regime && best.config === row.config)
        out.push({ name: 'feature-learning/best.csv', text });
    }
  return out;
}
