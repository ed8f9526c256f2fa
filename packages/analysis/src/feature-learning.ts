/**
 * Does the task benefit from feature learning? One table per input: the best configuration of
 * every regime (the grid's lazy NTK-parameterised runs, each manifest regime of the mlp stage,
 * ensembles of centred networks, kernel ridge with the networks' own kernels Θ̂_0 / Θ̂_T, and the
 * ntk stage's NTK / NNGP kernel ridge), chosen by a fit-rows score only (never the eval split),
 * with eval accuracy and F1 ± 95 % CI over seeds, the paired accuracy difference to NTK-KRR with a
 * bootstrap CI over eval rows, ΔΘ, kernel alignment and λ_max(Θ̂_T)/λ_max(Θ̂_0), and a verdict.
 * References: Lee et al. 2020 (finite vs infinite networks, ensembles and centring), Lewkowycz et
 * al. 2020 (catapult), Yang & Hu 2021 (μP), Fort et al. 2020 (after kernel).
 */
import { fail } from '@tangent/base';
import {
  historySchema,
  krrFile,
  krrMetricsSchema,
  predictionsSchema,
  readRunOutcome,
  runPredictionsFile,
  runPredictionsSchema,
  type Instance,
  type KrrMetrics,
  type RunMetrics,
  type RunModel,
  type StageContext,
} from '@tangent/contracts';
import { binaryMetrics, mean } from '@tangent/kernels';
import { rng } from '@tangent/linalg';
import type { TopLevelSpec } from 'vega-lite';
import { meanCi95 } from './analyse.ts';
import { esc, type ReportSection } from './overview-report.ts';
import type { AnalysisConfig } from './config.ts';

/** The regime name of the grid's own runs (NTK parameterisation, full-batch GD: the lazy side). */
export const LAZY = 'lazy';

/**
 * Paired bootstrap of a mean difference over rows: d_i = (model's per-row value) − (reference's),
 * resampled with replacement `resamples` times (seeded), 95 % percentile interval (Efron &
 * Tibshirani 1993, ch. 13). With d_i = 1[model right] − 1[reference right] it is the accuracy
 * difference of two classifiers scored on the same rows.
 */
export function pairedBootstrap(d: ArrayLike<number>, o: { resamples: number; seed: number }): { mean: number; lo: number; hi: number } {
  const n = d.length;
  if (n === 0) fail('pairedBootstrap: no rows');
  if (!(o.resamples >= 100)) fail(`pairedBootstrap: need at least 100 resamples, got ${o.resamples}`);
  const r = rng(o.seed);
  const stats = new Float64Array(o.resamples);
  for (let b = 0; b < o.resamples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += d[r.int(n)];
    stats[b] = s / n;
  }
  stats.sort();
  const q = (p: number) => stats[Math.min(o.resamples - 1, Math.max(0, Math.round(p * (o.resamples - 1))))];
  let s = 0;
  for (let i = 0; i < n; i++) s += d[i];
  return { mean: s / n, lo: q(0.025), hi: q(0.975) };
}

/** One model's eval predictions, aligned to the reference row order; per-seed models of one configuration. */
export interface Config {
  regime: string;
  config: string;
  /** Eval decision scores (> 0 ⇔ positive), one array per seed (or per disjoint ensemble). */
  evalScores: Float64Array[];
  testScores: Float64Array[];
  /** The fit-rows score used to choose this configuration within its regime (null: none recorded). */
  cvF1: number | null;
  selectedBy: 'validation' | 'cv' | 'train' | 'rule' | 'only';
  deltaTheta: number[];
  alignment: number[];
  lambdaMaxRatio: number[];
  diverged: number;
}

export interface FeatureLearningRow {
  input: string;
  regime: string;
  config: string;
  seeds: number;
  diverged: number;
  selected_by: Config['selectedBy'];
  cv_f1: number | null;
  accuracy_mean: number;
  accuracy_ci95: [number, number] | null;
  f1_mean: number;
  f1_ci95: [number, number] | null;
  delta_vs_ntk_krr: number;
  delta_ci95: [number, number];
  delta_theta_mean: number | null;
  alignment_mean: number | null;
  lambda_max_ratio_mean: number | null;
}

const ci = (v: number[]): [number, number] | null => {
  const c = meanCi95(v);
  return c && [c.lo, c.hi];
};
const meanOrNull = (v: number[]): number | null => (v.length ? mean(v) : null);

/** Accuracy and F1 of decision scores against 0/1 truth. */
function scoreOf(s: ArrayLike<number>, truth: Int8Array) {
  return binaryMetrics(
    Int8Array.from(s as ArrayLike<number>, (v) => (v > 0 ? 1 : 0)),
    truth,
  );
}

/** A configuration's row: seeds' metrics, CIs over seeds, paired bootstrap against the reference's eval scores. */
export function configRow(
  input: string,
  c: Config,
  truth: Int8Array,
  reference: Float64Array,
  boot: { resamples: number; seed: number },
): FeatureLearningRow {
  const per = c.evalScores.map((s) => scoreOf(s, truth));
  const n = truth.length;
  // d_i: the seed-averaged correctness of the configuration minus the reference's, on eval row i
  const d = new Float64Array(n);
  const refRight = (i: number) => +((reference[i] > 0 ? 1 : 0) === truth[i]);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (const e of c.evalScores) s += +((e[i] > 0 ? 1 : 0) === truth[i]);
    d[i] = s / c.evalScores.length - refRight(i);
  }
  const b = pairedBootstrap(d, boot);
  return {
    input,
    regime: c.regime,
    config: c.config,
    seeds: c.evalScores.length,
    diverged: c.diverged,
    selected_by: c.selectedBy,
    cv_f1: c.cvF1,
    accuracy_mean: mean(per.map((p) => p.accuracy)),
    accuracy_ci95: ci(per.map((p) => p.accuracy)),
    f1_mean: mean(per.map((p) => p.f1)),
    f1_ci95: ci(per.map((p) => p.f1)),
    delta_vs_ntk_krr: b.mean,
    delta_ci95: [b.lo, b.hi],
    delta_theta_mean: meanOrNull(c.deltaTheta),
    alignment_mean: meanOrNull(c.alignment),
    lambda_max_ratio_mean: meanOrNull(c.lambdaMaxRatio),
  };
}

/** The configuration of a regime with the best fit-rows score (ties: the first, i.e. the smaller width/lr). */
export function selectConfig(cs: Config[]): Config {
  if (!cs.length) fail('internal: a regime without configurations');
  if (cs.length === 1) return { ...cs[0], selectedBy: cs[0].cvF1 === null && cs[0].selectedBy !== 'rule' ? 'only' : cs[0].selectedBy };
  const scored = cs.filter((c) => c.cvF1 !== null);
  if (!scored.length)
    fail(`regime ${cs[0].regime}: ${cs.length} configurations but no fit-rows score to choose among them; set mlp.train.validation: score`);
  return scored.reduce((b, c) => (c.cvF1! > b.cvF1! ? c : b));
}

/**
 * Ensembles of K centred networks (Lee et al. 2020, §3.4: the mean of K centred nets approaches
 * the kernel regressor as K grows): floor(S/K) disjoint ensembles from the S seeds of one
 * configuration, in seed order, each scored on its averaged outputs.
 */
export function ensembles(c: Config, ks: number[]): Config[] {
  const S = c.evalScores.length;
  const avg = (arrs: Float64Array[]) => {
    const out = new Float64Array(arrs[0].length);
    for (const a of arrs) for (let i = 0; i < out.length; i++) out[i] += a[i] / arrs.length;
    return out;
  };
  return ks
    .filter((k) => k <= S)
    .map((k) => {
      const groups = Array.from({ length: Math.floor(S / k) }, (_, g) => g * k);
      return {
        ...c,
        regime: 'ensemble',
        config: `${c.regime}/${c.config}/K${k}`,
        evalScores: groups.map((g) => avg(c.evalScores.slice(g, g + k))),
        testScores: c.testScores.length === S ? groups.map((g) => avg(c.testScores.slice(g, g + k))) : [],
        cvF1: null,
        selectedBy: 'rule' as const,
      };
    });
}

/** A sentence computed from the table: the best feature-learning regime (by its fit-rows score) against NTK-KRR. */
export function verdict(rows: FeatureLearningRow[], featureRegimes: string[]): string {
  const cands = rows.filter((r) => featureRegimes.includes(r.regime) && r.cv_f1 !== null);
  if (!cands.length) return 'No feature-learning regime with a fit-rows score was run: no verdict.';
  const b = cands.reduce((x, r) => (r.cv_f1! > x.cv_f1! ? r : x));
  const pts = (v: number) => `${(100 * v).toFixed(2)}`;
  const where = `${b.regime} (${b.config}, ${b.seeds} seed${b.seeds === 1 ? '' : 's'})`;
  const ci = `95 % CI ${pts(b.delta_ci95[0])} to ${pts(b.delta_ci95[1])}`;
  if (b.delta_ci95[0] > 0)
    return `Feature learning helps on this task: ${where} beats NTK kernel regression by ${pts(b.delta_vs_ntk_krr)} accuracy points (${ci}).`;
  if (b.delta_ci95[1] < 0)
    return `Feature learning does not help on this task: ${where} trails NTK kernel regression by ${pts(-b.delta_vs_ntk_krr)} accuracy points (${ci}).`;
  return `Feature learning does not measurably help on this task: ${where} differs from NTK kernel regression by ${pts(b.delta_vs_ntk_krr)} accuracy points (${ci}, includes 0).`;
}

/** The regimes whose networks can leave the lazy regime (the verdict's candidates). */
export const FEATURE_REGIMES_EXCLUDE = new Set([LAZY, 'ensemble', 'init-kernel', 'ntk-krr', 'nngp-krr']);

interface RunScores {
  run: Instance;
  metrics: RunMetrics;
}

/** Read everything the table needs for one input (ntk instance) from the analysis stage's deps. */
export function collectFeatureLearning(ctx: StageContext<AnalysisConfig>, ntk: Instance) {
  const input = ntk.key;
  const cfg = ntk.config as { kernel?: 'ntk' | 'nngp'; compare?: Array<'ntk' | 'nngp'> };
  const primary = cfg.kernel ?? 'ntk';
  const kernels = [primary, ...(cfg.compare ?? []).filter((k) => k !== primary)];
  // eval rows and their truth from the primary kernel's predictions (every later model is aligned to them)
  const predsOf = (k: 'ntk' | 'nngp') => ctx.readArrow(ntk, krrFile('predictions', k, primary), predictionsSchema).table;
  const p0 = predsOf(primary);
  const evalIds: number[] = [],
    truthL: number[] = [],
    testIds: number[] = [];
  for (let i = 0; i < p0.numRows; i++) {
    const split = p0.getChild('split')!.get(i);
    if (split === 'eval') (evalIds.push(p0.getChild('id')!.get(i)), truthL.push(p0.getChild('target')!.get(i)));
    else testIds.push(p0.getChild('id')!.get(i));
  }
  const evalPos = new Map(evalIds.map((id, i) => [id, i]));
  const testPos = new Map(testIds.map((id, i) => [id, i]));
  const truth = Int8Array.from(truthL);
  /** A predictions table (id, split, score) as eval and test score arrays in the reference order. */
  const align = (t: { numRows: number; getChild(n: string): { get(i: number): unknown } | null }, path: string) => {
    const ev = new Float64Array(evalIds.length).fill(NaN),
      te = new Float64Array(testIds.length).fill(NaN);
    for (let i = 0; i < t.numRows; i++) {
      const id = t.getChild('id')!.get(i) as number,
        s = t.getChild('score')!.get(i) as number;
      const [arr, pos] = t.getChild('split')!.get(i) === 'eval' ? [ev, evalPos] : [te, testPos];
      const p = pos.get(id);
      if (p === undefined) fail(`${path}: id ${id} is not among the ntk stage's rows; rerun it on the same split`);
      arr[p] = s;
    }
    if (ev.some(Number.isNaN) || te.some(Number.isNaN)) fail(`${path}: does not cover every eval and test row of the ntk split; rerun it`);
    return { ev, te };
  };

  const krr: Record<string, { metrics: KrrMetrics; ev: Float64Array; te: Float64Array }> = {};
  for (const k of kernels) {
    const metrics = ctx.readJson(ntk, krrFile('metrics', k, primary), krrMetricsSchema);
    const { ev, te } = align(predsOf(k), ctx.path(ntk, krrFile('predictions', k, primary)));
    // ±1 coding decides at 0, 0/1 coding at 0.5: shift to a common decision at 0
    const shift = metrics.label_coding === 'pm1' ? 0 : 0.5;
    krr[k] = { metrics, ev: ev.map((v) => v - shift), te: te.map((v) => v - shift) };
  }

  const runs = ctx.deps('mlp').filter((i) => i.key.startsWith(`${input}/`));
  const ok: RunScores[] = [];
  const divergedBy = new Map<string, number>();
  const regimeOf = (r: Instance) => r.point.regime ?? LAZY;
  const configOf = (r: Instance) => `w${r.point.width}-lr${r.point.lr}`;
  for (const run of runs) {
    const m = readRunOutcome(ctx, run);
    if (m === null) {
      const k = `${regimeOf(run)}|${configOf(run)}`;
      divergedBy.set(k, (divergedBy.get(k) ?? 0) + 1);
    } else ok.push({ run, metrics: m });
  }
  const groups = new Map<string, RunScores[]>();
  for (const r of ok) {
    const k = `${regimeOf(r.run)}|${configOf(r.run)}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const configs: Config[] = [];
  const scoresOf = (r: RunScores, model: RunModel) => {
    const path = ctx.path(r.run, runPredictionsFile(model));
    return align(ctx.readArrow(r.run, runPredictionsFile(model), runPredictionsSchema).table, path);
  };
  for (const [key, rs] of groups) {
    const [regime, config] = key.split('|');
    rs.sort((a, b) => a.run.point.seed! - b.run.point.seed!);
    const hist = rs.map((r) => ctx.readArrow(r.run, 'history.arrow', historySchema).table);
    const tracked = (t: (typeof hist)[number], col: string) => {
      const v = t.getChild(col)!;
      const xs: number[] = [];
      for (let i = 0; i < t.numRows; i++) if (v.get(i) !== null) xs.push(v.get(i) as number);
      return xs;
    };
    const val = rs.map((r) => r.metrics.validation?.f1 ?? null);
    const trainF1 = hist.map((t) => t.getChild('train_f1')!.get(t.numRows - 1) as number);
    const hasVal = val.every((v) => v !== null);
    const net = rs.map((r) => scoresOf(r, 'network'));
    const base = {
      diverged: divergedBy.get(key) ?? 0,
      deltaTheta: rs.map((r) => r.metrics.delta_theta).filter((v): v is number => v !== null),
      alignment: hist.map((t) => tracked(t, 'alignment').at(-1)).filter((v): v is number => v !== undefined),
      lambdaMaxRatio: hist
        .map((t) => tracked(t, 'lambda_max'))
        .filter((xs) => xs.length > 1)
        .map((xs) => xs[xs.length - 1] / xs[0]),
    };
    configs.push({
      regime,
      config,
      evalScores: net.map((s) => s.ev),
      testScores: net.map((s) => s.te),
      cvF1: hasVal ? mean(val as number[]) : mean(trainF1),
      selectedBy: hasVal ? 'validation' : 'train',
      ...base,
    });
    const withAk = rs.filter((r) => r.metrics.after_kernel !== null);
    if (withAk.length === rs.length)
      for (const [model, name, pick] of [
        ['after-kernel', 'after-kernel', 'final'],
        ['init-kernel', 'init-kernel', 'init'],
      ] as const) {
        const s = rs.map((r) => scoresOf(r, model));
        configs.push({
          regime: name,
          config: `${regime}/${config}`,
          evalScores: s.map((x) => x.ev),
          testScores: s.map((x) => x.te),
          cvF1: mean(rs.map((r) => r.metrics.after_kernel![pick].cv_f1)),
          selectedBy: 'cv',
          ...base,
        });
      }
  }
  for (const k of kernels)
    configs.push({
      regime: `${k}-krr`,
      config: `λ=${krr[k].metrics.chosen_lambda.toPrecision(3)}`,
      evalScores: [krr[k].ev],
      testScores: [krr[k].te],
      cvF1: krr[k].metrics.cv.f1.mean,
      selectedBy: 'cv',
      deltaTheta: [],
      alignment: [],
      lambdaMaxRatio: [],
      diverged: 0,
    });
  const reference = (krr.ntk ?? krr[primary]).ev;
  return { input, truth, reference, configs, testIds };
}

export interface FeatureLearningResult {
  rows: FeatureLearningRow[];
  /** Per regime, the chosen configuration's test scores (one per seed) for its submission. */
  chosen: Array<{ row: FeatureLearningRow; testScores: Float64Array[] }>;
  verdict: string;
  testIds: number[];
}

/** The table of one input: every regime's best configuration, ensembles of the `ensembleOf` regime's best width. */
export function featureLearning(
  data: ReturnType<typeof collectFeatureLearning>,
  o: { ensembleOf: string; ks: number[]; resamples: number; seed: number; controls?: string[] },
): FeatureLearningResult {
  const byRegime = new Map<string, Config[]>();
  for (const c of data.configs) byRegime.set(c.regime, [...(byRegime.get(c.regime) ?? []), c]);
  const ens = byRegime.get(o.ensembleOf);
  if (ens) {
    // the ensemble regime's rule (fit rows only): the configuration its own selection picks, the largest K
    const base = selectConfig(ens);
    const es = ensembles(base, o.ks);
    if (es.length) byRegime.set('ensemble', [{ ...es[es.length - 1], cvF1: null }]);
  }
  const chosen = [...byRegime.values()].map((cs) => selectConfig(cs));
  const boot = { resamples: o.resamples, seed: o.seed };
  const out = chosen.map((c) => ({ row: configRow(data.input, c, data.truth, data.reference, boot), testScores: c.testScores }));
  // every K of the ensemble as its own row (how the gap closes with K), after the chosen one
  if (ens)
    for (const e of ensembles(selectConfig(ens), o.ks).slice(0, -1))
      out.push({ row: configRow(data.input, e, data.truth, data.reference, boot), testScores: e.testScores });
  const rows = out.map((x) => x.row);
  const feature = [...new Set(rows.map((r) => r.regime))].filter((r) => !FEATURE_REGIMES_EXCLUDE.has(r) && !o.controls?.includes(r));
  return { rows, chosen: out.slice(0, chosen.length), verdict: verdict(rows, feature), testIds: data.testIds };
}

/** The best configuration across regimes by its fit-rows score (the ensemble rows carry none). */
export function bestOverall(
  rows: FeatureLearningRow[],
): { input: string; regime: string; config: string; cv_f1: number; eval_f1: number } | null {
  const c = rows.filter((r) => r.cv_f1 !== null && r.selected_by !== 'train');
  if (!c.length) return null;
  const b = c.reduce((x, r) => (r.cv_f1! > x.cv_f1! ? r : x));
  return { input: b.input, regime: b.regime, config: b.config, cv_f1: b.cv_f1!, eval_f1: b.f1_mean };
}

/** Per input: Δ eval accuracy vs NTK-KRR (points) of every row, with its paired bootstrap 95 % CI as the error bar. */
export function deltaChart(r: FeatureLearningResult): TopLevelSpec {
  const values = r.rows.map((x) => ({
    model: `${x.regime} ${x.config}`,
    delta: 100 * x.delta_vs_ntk_krr,
    lo: 100 * x.delta_ci95[0],
    hi: 100 * x.delta_ci95[1],
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${r.rows[0]?.input ?? ''}: eval accuracy minus NTK kernel regression (paired bootstrap 95 % CI)`,
    width: 520,
    height: 260,
    data: { values },
    encoding: { y: { field: 'model', type: 'nominal', title: null, sort: null } },
    layer: [
      { mark: 'bar', encoding: { x: { field: 'delta', type: 'quantitative', title: 'Δ accuracy (points)' } } },
      { mark: { type: 'errorbar', ticks: true }, encoding: { x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } } },
    ],
  } as TopLevelSpec;
}

const pct = (v: number | null, p = 2) => (v === null ? '—' : (100 * v).toFixed(p));
const range = (r: [number, number] | null) => (r ? `${pct(r[0])} – ${pct(r[1])}` : '—');

/** The report section: the table and the verdict of every input. */
export function featureLearningSection(results: FeatureLearningResult[]): ReportSection {
  const body = results
    .map((r) => {
      const rows = r.rows
        .map(
          (x) =>
            `<tr><td>${esc(x.input)}</td><td>${esc(x.regime)}</td><td>${esc(x.config)}</td><td>${x.seeds}${x.diverged ? ` (+${x.diverged} diverged)` : ''}</td>` +
            `<td>${pct(x.cv_f1)} (${x.selected_by})</td><td>${pct(x.accuracy_mean)}</td><td>${range(x.accuracy_ci95)}</td><td>${pct(x.f1_mean)}</td><td>${range(x.f1_ci95)}</td>` +
            `<td>${pct(x.delta_vs_ntk_krr)}</td><td>${range(x.delta_ci95)}</td><td>${pct(x.delta_theta_mean, 1)}</td>` +
            `<td>${x.alignment_mean === null ? '—' : x.alignment_mean.toFixed(3)}</td><td>${x.lambda_max_ratio_mean === null ? '—' : x.lambda_max_ratio_mean.toFixed(2)}</td></tr>`,
        )
        .join('\n');
      return `<p><b>${esc(r.verdict)}</b></p>
<table><thead><tr><th>input</th><th>regime</th><th>best configuration</th><th>seeds</th><th>fit-rows F1 % (by)</th><th>eval acc %</th><th>95 % CI</th><th>eval F1 %</th><th>95 % CI</th>
<th>Δacc vs NTK-KRR (points)</th><th>paired bootstrap 95 % CI</th><th>ΔΘ %</th><th>alignment</th><th>λ_max T/0</th></tr></thead><tbody>
${rows}
</tbody></table>`;
    })
    .join('\n');
  const figures = results.map((r, i) => ({
    name: `feature-learning-${r.rows[0]?.input ?? i}`,
    caption: 'Eval accuracy of each row minus NTK kernel regression, in points, with the paired bootstrap 95 % CI over eval rows.',
    spec: deltaChart(r),
  }));
  return {
    id: 'feature-learning',
    title: 'Does the task benefit from feature learning?',
    html: `${body}
<p>Each regime's configuration is chosen by a fit-rows score only (validation: CV fold 0 of the fit rows; cv: the kernel's k-fold CV;
train: final training F1, when no validation was run; rule: the ensemble of the ensemble regime's chosen width, largest K).
CIs over seeds are t-intervals; the difference to NTK kernel regression is over the same eval rows, with a paired bootstrap CI.</p>`,
    figures,
  };
}
