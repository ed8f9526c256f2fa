/**
 * Does the task benefit from feature learning? One table per input: the configuration of every
 * regime (the grid's lazy NTK-parameterised runs, each manifest regime of the mlp stage,
 * ensembles of centred networks, kernel ridge with the networks' own kernels Θ̂_0 / Θ̂_T, and the
 * ntk stage's NTK / NNGP kernel ridge) chosen under the one selection protocol (@tangent/kernels
 * selection-protocol.ts: fold 0 of the fit rows, nested inner choices, diverged seeds counted as
 * failures), with eval accuracy and F1 ± 95 % CI over seeds, the paired accuracy difference to
 * NTK-KRR (hierarchical bootstrap over eval rows and seeds, Holm-adjusted over the table), ΔΘ,
 * kernel alignment and λ_max(Θ̂_T)/λ_max(Θ̂_0), and a verdict. The eval rows are read once, here,
 * after every choice. References: Lee et al. 2020 (finite vs infinite networks, ensembles and
 * centring), Lewkowycz et al. 2020 (catapult), Yang & Hu 2021 (μP), Fort et al. 2020 (after kernel).
 */
import { fail } from '@tangent/base';
import { RESERVED_REGIMES } from '@tangent/contracts';
import { SELECTION_FOLD, SELECTION_RULE, binaryMetrics, chooseBest, configurationScore, mean } from '@tangent/kernels';
import type { TopLevelSpec } from 'vega-lite';
import { meanCi95 } from './analyse.ts';
import { type Candidate, type FeatureLearningData, type InnerChoice, type SeedScores } from './feature-learning-inputs.ts';
import { esc, type ReportSection } from './overview-report.ts';
import { pairedDiffs, pairedFamily } from './paired-eval.ts';

export { collectFeatureLearning, LAZY } from './feature-learning-inputs.ts';

/** How a row was selected, in summary.json (`selection`): the protocol's rule, its fold and what it compared. */
export interface Selection {
  rule: typeof SELECTION_RULE;
  rows: 'fit';
  /** The fold that scores (0) of the k CV folds of the fit rows, and the folds of the row's own inner choice. */
  folds: { scored: number; of: number; inner: number[] };
  /** Mean fold-0 F1 over the seeds (a diverged seed scores 0); null where none was recorded (the ensembles). */
  score: number | null;
  /** Configurations whose fold-0 scores were compared to pick this one (the winner's curse grows with it). */
  configs_tried: number;
  /** Diverged seeds of this configuration, counted in `score` as failures. */
  diverged: number;
  inner: { parameter: InnerChoice['parameter']; candidates: number | null } | null;
}

export interface FeatureLearningRow {
  input: string;
  regime: string;
  config: string;
  /** Seeds (or disjoint ensembles) of the configuration, diverged ones included. */
  seeds: number;
  diverged: number;
  selection: Selection;
  accuracy_mean: number;
  accuracy_ci95: [number, number] | null;
  f1_mean: number;
  f1_ci95: [number, number] | null;
  delta_vs_ntk_krr: number;
  delta_ci95: [number, number];
  /** Two-sided bootstrap p for Δ ≠ 0 and its Holm adjustment over the input's family (null for NTK-KRR itself). */
  delta_p: number | null;
  delta_p_holm: number | null;
  delta_theta_mean: number | null;
  alignment_mean: number | null;
  lambda_max_ratio_mean: number | null;
}

/** A regime's chosen configuration, its selection score and how many configurations it was chosen from. */
export interface Chosen {
  candidate: Candidate;
  score: number | null;
  tried: number;
}

const ci = (v: number[]): [number, number] | null => {
  const c = meanCi95(v);
  return c && [c.lo, c.hi];
};
const meanOrNull = (v: number[]): number | null => (v.length ? mean(v) : null);
const scoreOf = (c: Candidate): number | null => c.selection && configurationScore(c.selection);

/** Per eval row, 1 where the decision (score > 0 ⇔ positive; a zero score, a diverged seed's, is negative) is right. */
export const rightOn = (s: ArrayLike<number>, truth: Int8Array): Uint8Array => Uint8Array.from(truth, (t, i) => +(+(s[i] > 0) === t));

/** A regime's configuration with the best selection score (ties: the first); every one must have a score when there are several. */
export function chooseConfiguration(cs: Candidate[]): Chosen {
  if (!cs.length) fail('internal: a regime without configurations');
  if (cs.length === 1) return { candidate: cs[0], score: scoreOf(cs[0]), tried: 1 };
  const missing = cs.find((c) => c.selection === null);
  if (missing)
    fail(
      `regime ${missing.regime}: ${cs.length} configurations but ${missing.config} has no fit-rows score to choose among them; set mlp.train.validation: score`,
    );
  const { best, tried } = chooseBest(cs, (c) => scoreOf(c)!);
  return { candidate: best, score: scoreOf(best), tried };
}

/**
 * Ensembles of K centred networks (Lee et al. 2020, §3.4: the mean of K centred nets approaches
 * the kernel regressor as K grows): floor(S/K) disjoint ensembles from the S seeds of one
 * configuration, in seed order (a diverged member adds its zeros), each scored on its averaged outputs.
 */
export function ensembles(c: Candidate, ks: number[]): Candidate[] {
  const S = c.scores.length;
  const avg = (xs: Float64Array[]) => {
    const out = new Float64Array(xs[0].length);
    for (const a of xs) for (let i = 0; i < out.length; i++) out[i] += a[i] / xs.length;
    return out;
  };
  const member = (g: number, k: number): SeedScores => {
    const part = c.scores.slice(g, g + k);
    return { ev: avg(part.map((s) => s.ev)), te: avg(part.map((s) => s.te)) };
  };
  return ks
    .filter((k) => k <= S)
    .map((k) => ({
      ...c,
      regime: 'ensemble',
      config: `${c.regime}/${c.config}/K${k}`,
      scores: Array.from({ length: Math.floor(S / k) }, (_, g) => member(g * k, k)),
      selection: null,
      inner: null,
    }));
}

type PairedFields = 'delta_vs_ntk_krr' | 'delta_ci95' | 'delta_p' | 'delta_p_holm';

/** A row without its paired difference: seeds' eval metrics with t-intervals over seeds, and its selection record. */
function rowOf(input: string, ch: Chosen, truth: Int8Array, folds: number): Omit<FeatureLearningRow, PairedFields> {
  const c = ch.candidate;
  const per = c.scores.map((s) =>
    binaryMetrics(
      Uint8Array.from(s.ev, (v) => +(v > 0)),
      truth,
    ),
  );
  const selection: Selection = {
    rule: SELECTION_RULE,
    rows: 'fit',
    folds: { scored: SELECTION_FOLD, of: folds, inner: c.inner?.folds ?? [] },
    score: ch.score,
    configs_tried: ch.tried,
    diverged: c.diverged,
    inner: c.inner && { parameter: c.inner.parameter, candidates: c.inner.candidates },
  };
  return {
    input,
    regime: c.regime,
    config: c.config,
    seeds: c.scores.length,
    diverged: c.diverged,
    selection,
    accuracy_mean: mean(per.map((p) => p.accuracy)),
    accuracy_ci95: ci(per.map((p) => p.accuracy)),
    f1_mean: mean(per.map((p) => p.f1)),
    f1_ci95: ci(per.map((p) => p.f1)),
    delta_theta_mean: meanOrNull(c.deltaTheta),
    alignment_mean: meanOrNull(c.alignment),
    lambda_max_ratio_mean: meanOrNull(c.lambdaMaxRatio),
  };
}

export interface FeatureLearningResult {
  rows: FeatureLearningRow[];
  /** Per regime, the chosen configuration's test scores (one per seed) for its submission. */
  chosen: Array<{ row: FeatureLearningRow; testScores: Float64Array[] }>;
  verdict: string;
  testIds: number[];
}

export interface FeatureLearningOptions {
  ensembleOf: string;
  ks: number[];
  resamples: number;
  seed: number;
  controls?: string[];
}

/** Each regime's chosen configuration (the ensembles: the `ensembleOf` regime's choice, largest K first, then the other K). */
function chooseRows(data: FeatureLearningData, o: FeatureLearningOptions): { chosen: Chosen[]; extra: Chosen[] } {
  const byRegime = new Map<string, Candidate[]>();
  for (const c of data.candidates) byRegime.set(c.regime, [...(byRegime.get(c.regime) ?? []), c]);
  const chosen = [...byRegime.values()].map(chooseConfiguration);
  const base = chosen.find((ch) => ch.candidate.regime === o.ensembleOf);
  const es = base ? ensembles(base.candidate, o.ks) : [];
  // the ensemble rows inherit the base regime's choice (its configs_tried) and add none on fold 0
  const asChosen = (e: Candidate): Chosen => ({ candidate: e, score: null, tried: base!.tried });
  if (es.length) chosen.push(asChosen(es[es.length - 1]));
  return { chosen, extra: es.slice(0, -1).map(asChosen) };
}

/**
 * The table of one input. The family of comparisons: every row's eval accuracy against NTK kernel
 * ridge on the same eval rows (each row but NTK-KRR itself), hierarchical paired bootstrap over eval
 * rows and seeds, Holm-adjusted within the input's family.
 */
export function featureLearning(data: FeatureLearningData, o: FeatureLearningOptions): FeatureLearningResult {
  const { chosen, extra } = chooseRows(data, o);
  const all = [...chosen, ...extra];
  const truth = data.frame.truth;
  const base = all.map((ch) => rowOf(data.input, ch, truth, data.folds));
  const ref = rightOn(data.reference, truth);
  const inFamily = all.map((ch) => ch.candidate.scores[0]?.ev !== data.reference); // every row but the reference itself
  const diffs = all
    .filter((_, i) => inFamily[i])
    .map((ch) =>
      pairedDiffs(
        ch.candidate.scores.map((s) => rightOn(s.ev, truth)),
        ref,
        truth,
      ),
    );
  const family = pairedFamily(diffs, { resamples: o.resamples, seed: o.seed });
  let next = 0;
  const rows: FeatureLearningRow[] = base.map((r, i) => {
    if (!inFamily[i]) return { ...r, delta_vs_ntk_krr: 0, delta_ci95: [0, 0], delta_p: null, delta_p_holm: null };
    const b = family[next++];
    return { ...r, delta_vs_ntk_krr: b.mean, delta_ci95: [b.lo, b.hi], delta_p: b.p, delta_p_holm: b.pHolm };
  });
  const feature = [...new Set(rows.map((r) => r.regime))].filter((r) => !FEATURE_REGIMES_EXCLUDE.has(r) && !o.controls?.includes(r));
  return {
    rows,
    chosen: chosen.map((ch, i) => ({ row: rows[i], testScores: ch.candidate.scores.map((s) => s.te) })),
    verdict: verdict(rows, feature),
    testIds: data.frame.testIds,
  };
}

/**
 * The rows that cannot show feature learning, so never the verdict's candidates: every row name the
 * analysis reserves (contracts' RESERVED_REGIMES) except 'after-kernel', kernel ridge with the
 * trained network's own Θ̂_T, the kernel that did the learning.
 */
export const FEATURE_REGIMES_EXCLUDE = new Set(RESERVED_REGIMES.filter((r) => r !== 'after-kernel'));

/**
 * A sentence computed from the table: the feature-learning regime with the best selection score,
 * against NTK-KRR, decided by its Holm-adjusted p at 5 % (its 95 % CI given beside it).
 */
export function verdict(rows: FeatureLearningRow[], featureRegimes: string[]): string {
  const cands = rows.filter((r) => featureRegimes.includes(r.regime) && r.selection.score !== null);
  if (!cands.length) return 'No feature-learning regime with a fit-rows score was run: no verdict.';
  const b = chooseBest(cands, (r) => r.selection.score!).best;
  const pts = (v: number) => `${(100 * v).toFixed(2)}`;
  const n = rows.filter((r) => r.delta_p !== null).length;
  const where = `${b.regime} (${b.config}, ${b.seeds} seed${b.seeds === 1 ? '' : 's'}, chosen among ${b.selection.configs_tried} by fold-0 F1)`;
  const stat = `95 % CI ${pts(b.delta_ci95[0])} to ${pts(b.delta_ci95[1])}; Holm-adjusted p = ${b.delta_p_holm!.toPrecision(2)} over ${n} comparisons`;
  if (b.delta_p_holm! < 0.05 && b.delta_vs_ntk_krr > 0)
    return `Feature learning helps on this task: ${where} beats NTK kernel regression by ${pts(b.delta_vs_ntk_krr)} accuracy points (${stat}).`;
  if (b.delta_p_holm! < 0.05 && b.delta_vs_ntk_krr < 0)
    return `Feature learning does not help on this task: ${where} trails NTK kernel regression by ${pts(-b.delta_vs_ntk_krr)} accuracy points (${stat}).`;
  return `Feature learning does not measurably help on this task: ${where} differs from NTK kernel regression by ${pts(b.delta_vs_ntk_krr)} accuracy points (${stat}).`;
}

export interface Best {
  input: string;
  regime: string;
  config: string;
  selection_f1: number;
  eval_f1: number;
  eval_accuracy: number;
  /** The winning row's selection, with configs_tried summed over every row compared (and their number). */
  selection: Selection & { rows_compared: number };
}

/** The best row across regimes (and inputs) by its selection score; the ensembles carry none. */
export function bestOverall(rows: FeatureLearningRow[]): Best | null {
  const c = rows.filter((r) => r.selection.score !== null);
  if (!c.length) return null;
  const b = chooseBest(c, (r) => r.selection.score!).best;
  const tried = c.reduce((s, r) => s + r.selection.configs_tried, 0);
  return {
    input: b.input,
    regime: b.regime,
    config: b.config,
    selection_f1: b.selection.score!,
    eval_f1: b.f1_mean,
    eval_accuracy: b.accuracy_mean,
    selection: { ...b.selection, configs_tried: tried, rows_compared: c.length },
  };
}

/** Per input: Δ eval accuracy vs NTK-KRR (points) of every row, with its hierarchical bootstrap 95 % CI as the error bar. */
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
const pval = (p: number | null) => (p === null ? '—' : p.toPrecision(2));
const innerText = (s: Selection) =>
  s.inner
    ? `${s.inner.parameter === 'lambda' ? 'λ' : 'epochs'} on fold${s.folds.inner.length > 1 ? 's' : ''} ${s.folds.inner.join(',')}`
    : '—';

function tableRow(x: FeatureLearningRow): string {
  const seeds = `${x.seeds}${x.diverged ? ` (${x.diverged} diverged)` : ''}`;
  return (
    `<tr><td>${esc(x.input)}</td><td>${esc(x.regime)}</td><td>${esc(x.config)}</td><td>${seeds}</td>` +
    `<td>${pct(x.selection.score)}</td><td>${x.selection.configs_tried}</td><td>${innerText(x.selection)}</td>` +
    `<td>${pct(x.accuracy_mean)}</td><td>${range(x.accuracy_ci95)}</td><td>${pct(x.f1_mean)}</td><td>${range(x.f1_ci95)}</td>` +
    `<td>${pct(x.delta_vs_ntk_krr)}</td><td>${range(x.delta_ci95)}</td><td>${pval(x.delta_p_holm)}</td><td>${pct(x.delta_theta_mean, 1)}</td>` +
    `<td>${x.alignment_mean === null ? '—' : x.alignment_mean.toFixed(3)}</td><td>${x.lambda_max_ratio_mean === null ? '—' : x.lambda_max_ratio_mean.toFixed(2)}</td></tr>`
  );
}

const PROTOCOL_NOTE = `<p><b>Selection protocol</b> (one rule for every row, <code>selection</code> in summary.json): a configuration's
score is its F1 on CV fold 0 of the fit rows, predicted by the model fitted on the other fit folds only (for the after kernel,
Θ̂_T of a network that never saw fold 0), averaged over its seeds, a diverged seed counting as a network that predicts no positive
(every row negative, F1 0). What a model chooses itself is chosen on the other folds, never on fold 0: kernel ridge's λ on
folds 1..k−1 of its CV, the SGD early-stopping epoch on fold 1. Each regime's row is its configuration with the best score;
"configs tried" is how many were compared (the more, the more the winner's score is biased upward); the ensembles follow the
ensemble regime's choice by rule (no fold-0 score) and are not candidates for best. The eval rows are used once, below.</p>
<p><b>Family of comparisons</b>: within each input, every row's eval accuracy minus NTK kernel regression's on the same eval
rows (every row but NTK-KRR itself); each p from a hierarchical paired bootstrap over eval rows and seeds (conditional on the
one fit/eval split), Holm-adjusted within the family; the verdict's regime is decided at Holm-adjusted p &lt; 0.05. CIs over
seeds are t-intervals.</p>`;

/** The report section: the table and the verdict of every input. */
export function featureLearningSection(results: FeatureLearningResult[]): ReportSection {
  const body = results
    .map(
      (r) => `<p><b>${esc(r.verdict)}</b></p>
<table><thead><tr><th>input</th><th>regime</th><th>configuration</th><th>seeds</th><th>fold-0 F1 %</th><th>configs tried</th><th>inner choice</th>
<th>eval acc %</th><th>95 % CI</th><th>eval F1 %</th><th>95 % CI</th><th>Δacc vs NTK-KRR (points)</th><th>paired bootstrap 95 % CI</th><th>p (Holm)</th>
<th>ΔΘ %</th><th>alignment</th><th>λ_max T/0</th></tr></thead><tbody>
${r.rows.map(tableRow).join('\n')}
</tbody></table>`,
    )
    .join('\n');
  const figures = results.map((r, i) => ({
    name: `feature-learning-${r.rows[0]?.input ?? i}`,
    caption:
      'Eval accuracy of each row minus NTK kernel regression, in points, with the hierarchical paired bootstrap 95 % CI (eval rows and seeds).',
    spec: deltaChart(r),
  }));
  // the intervals the tables state: accuracy and F1 over seeds (where there are several), Δ to NTK-KRR (every row but the reference)
  const intervals = results
    .flatMap((r) => r.rows)
    .reduce((n, row) => n + +(row.accuracy_ci95 !== null) + +(row.f1_ci95 !== null) + +(row.delta_p !== null), 0);
  return {
    id: 'feature-learning',
    title: 'Does the task benefit from feature learning?',
    html: `${body}\n${PROTOCOL_NOTE}`,
    figures,
    intervals,
    holm: results.map((r) => `feature learning, ${r.rows[0]?.input ?? ''}: Δacc of every row vs NTK-KRR`),
  };
}
