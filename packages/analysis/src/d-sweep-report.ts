/**
 * The report sections (HTML, figures, the intervals they state) answering how d affects the
 * convergence to the NTK limit, whether the linearised dynamics predict the training, and where the
 * learning-rate bound lies: the rows and findings of d-sweep.ts, worded by d-sweep-text.ts, drawn
 * by d-sweep-charts.ts.
 */
import { LAZY_DELTA_THETA } from './analyse.ts';
import type { SweepInput } from './collect.ts';
import {
  dSweepFindings,
  lrBoundCells,
  lrBoundGroups,
  type DSweepFindings,
  type DSweepRow,
  type DynamicsRow,
  type DynamicsTest,
} from './d-sweep.ts';
import { dSweepFigures, dynamicsFigures, lrBoundFigure, sweepCells } from './d-sweep-charts.ts';
import {
  ciText,
  D_SWEEP_THEORY,
  dSweepVerdicts,
  DYNAMICS_METHOD,
  dynamicsVerdict,
  labelOf,
  lazyWidthText,
  LR_BOUND_THEORY,
  lrBoundVerdict,
  num,
  pct,
  pText,
  sortRows,
  type Label,
} from './d-sweep-text.ts';
import { esc, htmlTable, type ReportSection } from './overview-report.ts';

const paragraphs = (intro: string, verdicts: string[]) => [
  `<p>${esc(intro)}</p>`,
  ...verdicts.map((v) => `<p class="verdict">${esc(v)}</p>`),
];

/** One row per input: kernel ridge, the slopes, the Θ̂₀ constant against its prediction, the 5 % width. */
function perInputTable(rows: DSweepRow[], label: Label): string {
  return htmlTable(
    [
      'input',
      'PCA explained var.',
      'KRR NTK acc / F1',
      'KRR NNGP acc / F1',
      'ΔΘ slope in m (95 % CI)',
      'Θ̂₀ error slope in m (95 % CI)',
      'Θ̂₀ error·√m, RMS (95 % CI)',
      'predicted from the data',
      'Holm p',
      `width with ΔΘ = ${100 * LAZY_DELTA_THETA} % (95 % CI)`,
    ],
    sortRows(rows).map((r) => [
      label(r),
      pct(r.explained_variance, 1),
      r.krr.ntk ? `${pct(r.krr.ntk.accuracy)} / ${pct(r.krr.ntk.f1)}` : '—',
      r.krr.nngp ? `${pct(r.krr.nngp.accuracy)} / ${pct(r.krr.nngp.f1)}` : '—',
      ciText(r.delta_theta_slope, r.delta_theta_slope_ci95),
      ciText(r.kernel_init_error_slope, r.kernel_init_error_slope_ci95),
      ciText(r.kernel_init_error_sqrt_m_measured, r.kernel_init_error_sqrt_m_ci95, (v) => v.toFixed(3)),
      num(r.kernel_init_error_sqrt_m_predicted, 4),
      pText(r.kernel_init_error_sqrt_m_p_holm),
      lazyWidthText(r),
    ]),
  );
}

/** One row per input and width: ΔΘ, the Θ̂₀ error, the accuracy gap to kernel ridge, and both scaled by √m. */
function cellsTable(rows: DSweepRow[], label: Label): string {
  return htmlTable(
    ['input', 'width m', 'ΔΘ (mean over seeds)', 'Θ̂₀ error', '|acc(MLP) − acc(KRR NTK)|', 'ΔΘ·√m', 'Θ̂₀ error·√m'],
    sweepCells(rows, label).map((c) => [
      c.input,
      String(c.width),
      pct(c.delta_theta),
      pct(c.init_error),
      pct(c.acc_gap),
      num(c.delta_theta_sqrt_m),
      num(c.init_error_sqrt_m),
    ]),
  );
}

/** How many 95 % intervals the d-sweep section states: four per row where present, and the d-exponent's. */
function dSweepIntervals(rows: DSweepRow[], f: DSweepFindings): number {
  const perRow = rows.reduce(
    (s, r) =>
      s +
      +(r.delta_theta_slope_ci95 !== null) +
      +(r.kernel_init_error_slope_ci95 !== null) +
      +(r.kernel_init_error_sqrt_m_ci95 !== null) +
      +(r.width_for_delta_theta_5pct_ci95 !== null),
    0,
  );
  return perRow + +!!f.deltaThetaDExponent?.ci;
}

/** The report section answering "how does d affect the speed of convergence to the NTK limit?" (from dSweepRows). */
export function dSweepSection(xs: SweepInput[], rows: DSweepRow[]): ReportSection {
  const label = labelOf(xs);
  const findings = dSweepFindings(xs, rows);
  const ds = [...new Set(rows.map((r) => r.d))].sort((a, b) => a - b);
  const tested = rows.filter((r) => r.kernel_init_error_sqrt_m_p_holm !== null).length;
  return {
    id: 'd-sweep',
    title:
      ds.length >= 2
        ? 'Input dimension d and the speed of convergence to the NTK limit'
        : `Convergence to the NTK limit at d = ${ds.join(', ')} (one d: the effect of d needs the dsweep profile)`,
    html: [...paragraphs(D_SWEEP_THEORY, dSweepVerdicts(rows, findings, label)), perInputTable(rows, label), cellsTable(rows, label)].join(
      '\n',
    ),
    figures: dSweepFigures(xs, rows),
    intervals: dSweepIntervals(rows, findings),
    holm: tested >= 2 ? [`Θ̂₀ error·√m vs its predicted constant, one t-test per input (${tested} tests)`] : [],
  };
}

/** The dynamics table: per input and width, the seed-mean deviations (Θ̂₀ with its CI). */
function dynamicsTable(rows: DynamicsRow[], label: Label): string {
  return htmlTable(
    ['input', 'width m', 'seeds', 'max rel. deviation (Θ̂₀, 95 % CI)', 'max rel. deviation (Θ)', 'max rel. deviation (NNGP baseline)'],
    rows.map((r) => [
      label(r),
      String(r.width),
      String(r.seeds),
      `${pct(r.max_rel_dev_empirical, 3)}${r.max_rel_dev_empirical_ci95 ? ` [${pct(r.max_rel_dev_empirical_ci95[0], 3)}, ${pct(r.max_rel_dev_empirical_ci95[1], 3)}]` : ''}`,
      pct(r.max_rel_dev_analytic, 3),
      pct(r.max_rel_dev_nngp, 3),
    ]),
  );
}

/** The intervals the dynamics section states: the rows' deviation CIs and each test's two slopes and ratio. */
const dynamicsIntervals = (rows: DynamicsRow[], tests: DynamicsTest[]) =>
  rows.filter((r) => r.max_rel_dev_empirical_ci95).length +
  tests.reduce((s, t) => s + +(t.empirical_slope_ci95 !== null) + +(t.analytic_slope_ci95 !== null) + +(t.ratio_to_nngp_ci95 !== null), 0);

/** Per width and d: the worst relative deviation of the actual losses from the linearised prediction, against a baseline kernel. */
export function dynamicsSection(xs: SweepInput[], rows: DynamicsRow[], tests: DynamicsTest[]): ReportSection | null {
  if (!rows.length) return null;
  const label = labelOf(xs);
  const verdicts = tests.map((t) =>
    dynamicsVerdict(
      t,
      rows.find((r) => r.embedder === t.embedder && r.d === t.d && r.width === t.widest),
      label,
    ),
  );
  return {
    id: 'dynamics',
    title: 'Predicted vs actual training dynamics',
    html: [...paragraphs(DYNAMICS_METHOD, verdicts), dynamicsTable(rows, label)].join('\n'),
    figures: dynamicsFigures(xs, rows),
    intervals: dynamicsIntervals(rows, tests),
    holm: [],
  };
}

/** Learning rates around the linearised bound c = 2 (η = 2n/λ_max(Θ̂₀)): which runs of each width diverged. */
export function lrBoundSection(xs: SweepInput[]): ReportSection | null {
  const cells = lrBoundCells(xs);
  if (!cells.some((c) => c.lr >= 2)) return null; // no rate at or above the bound was tried
  const table = htmlTable(
    ['input', 'width m', 'c', 'runs', 'diverged'],
    cells.map((c) => [c.input, String(c.width), String(c.lr), String(c.runs), String(c.diverged)]),
  );
  return {
    id: 'lr-bound',
    title: 'The learning-rate bound η < 2n/λ_max(Θ̂₀)',
    html: [...paragraphs(LR_BOUND_THEORY, lrBoundGroups(cells).map(lrBoundVerdict)), table].join('\n'),
    figures: [lrBoundFigure(cells)],
    intervals: 0,
    holm: [],
  };
}
