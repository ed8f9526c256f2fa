/**
 * The Vega-Lite figures of the d-sweep, dynamics and learning-rate-bound sections, from the typed
 * rows of d-sweep.ts: over width always, over d only when the profile has at least two d.
 */
import { lineChart, logLogChart, type Field } from './charts.ts';
import type { SweepInput } from './collect.ts';
import { mainRuns, type DSweepRow, type DynamicsRow, type LrBoundCell } from './d-sweep.ts';
import { labelOf, sortRows, type Label } from './d-sweep-text.ts';
import type { ReportSection } from './overview-report.ts';

type Figure = ReportSection['figures'][number];

/** One (input, width) cell of the d sweep as the tables and figures show it. */
export interface SweepCell {
  input: string;
  d: number;
  width: number;
  delta_theta: number;
  init_error: number | null;
  /** |accuracy(MLP) − accuracy(KRR with the NTK)| on the eval rows. */
  acc_gap: number | null;
  delta_theta_sqrt_m: number;
  init_error_sqrt_m: number | null;
  series: string;
}

/** The d × width cells, inputs in (embedder, d) order. */
export function sweepCells(rows: DSweepRow[], label: Label): SweepCell[] {
  return sortRows(rows).flatMap((r) =>
    r.widths.map((w) => ({
      input: label(r),
      d: r.d,
      width: w.width,
      delta_theta: w.delta_theta_mean,
      init_error: w.kernel_init_error_mean,
      acc_gap: r.krr.ntk ? Math.abs(w.accuracy_mean - r.krr.ntk.accuracy) : null,
      delta_theta_sqrt_m: w.delta_theta_mean * Math.sqrt(w.width),
      init_error_sqrt_m: w.kernel_init_error_mean === null ? null : w.kernel_init_error_mean * Math.sqrt(w.width),
      series: label(r),
    })),
  );
}

const M_HALF = { slope: -0.5, label: 'm^-1/2' };

/** ΔΘ, the Θ̂₀ error and the accuracy gap to kernel ridge over width, one line per input. */
function widthFigures(cells: SweepCell[]): Figure[] {
  const common = { x: 'width', xTitle: 'width m', series: 'series' } as const;
  return [
    {
      name: 'dsweep_delta_theta',
      caption: 'ΔΘ at the end of training vs width, one line per d (mean over seeds).',
      spec: logLogChart({ title: 'ΔΘ vs width per d', rows: cells, ...common, y: 'delta_theta', yTitle: 'ΔΘ', reference: M_HALF }),
    },
    {
      name: 'dsweep_init_error',
      caption: 'Relative error of Θ̂₀ against the analytical NTK vs width, one line per d.',
      spec: logLogChart({
        title: 'Θ̂₀ error vs width per d',
        rows: cells.filter((s) => s.init_error !== null),
        ...common,
        y: 'init_error',
        yTitle: '‖Θ̂₀ − Θ‖/‖Θ‖',
        reference: M_HALF,
      }),
    },
    {
      name: 'dsweep_acc_gap',
      caption: '|accuracy(MLP) − accuracy(KRR with the NTK)| on the eval rows vs width, per d.',
      spec: lineChart({
        title: '|acc(MLP m) − acc(KRR)| per d',
        rows: cells.filter((s) => s.acc_gap !== null),
        ...common,
        y: 'acc_gap',
        yTitle: '|Δ accuracy|',
        xLog: true,
      }),
    },
  ];
}

/** The title and caption of each figure over d, by name. */
const VS_D = {
  dsweep_krr_accuracy: { title: 'KRR accuracy vs d', caption: 'Kernel ridge accuracy on the eval rows vs d (NTK and NNGP).' },
  dsweep_krr_f1: { title: 'KRR F1 vs d', caption: 'Kernel ridge F1 on the eval rows vs d (NTK and NNGP).' },
  dsweep_explained_variance: { title: 'PCA explained variance vs d', caption: 'Share of the embedding variance kept by the d PCA axes.' },
  dsweep_theory: { title: 'ΔΘ·√m vs d', caption: 'ΔΘ·√m vs d, one line per width (its d-exponent is reported, not tested).' },
  dsweep_init_constant: {
    title: 'Θ̂₀ error·√m: measured vs predicted',
    caption: 'Θ̂₀ error·√m vs d: the RMS over runs (measured) and the constant predicted from the tracked rows alone.',
  },
} as const;

/** A line chart over d on a log axis, one line per `series`. */
function vsD<R extends { d: number }>(
  name: keyof typeof VS_D,
  rows: R[],
  y: Field<R>,
  yTitle: string,
  series: Field<R>,
  yLog = false,
): Figure {
  const x = 'd' as Field<R>; // R has a d (TypeScript does not narrow keyof of a type parameter)
  const spec = lineChart({ title: VS_D[name].title, rows, x, y, xTitle: 'PCA dimension d', yTitle, series, xLog: true, yLog });
  return { name, caption: VS_D[name].caption, spec };
}

/** The Θ̂₀ constant over d: measured and predicted per embedder (empty: no input recorded either). */
function constantRows(sorted: DSweepRow[]) {
  return sorted.flatMap((r) => [
    ...(r.kernel_init_error_sqrt_m_measured !== null
      ? [{ d: r.d, v: r.kernel_init_error_sqrt_m_measured, series: `measured ${r.embedder}` }]
      : []),
    ...(r.kernel_init_error_sqrt_m_predicted !== null
      ? [{ d: r.d, v: r.kernel_init_error_sqrt_m_predicted, series: `predicted ${r.embedder}` }]
      : []),
  ]);
}

/** The figures over d: kernel ridge's accuracy and F1 per kernel, the PCA variance kept, ΔΘ·√m per width, the Θ̂₀ constant. */
function dFigures(rows: DSweepRow[], cells: SweepCell[]): Figure[] {
  const sorted = sortRows(rows);
  const byD = sorted.flatMap((r) => [
    ...(r.krr.ntk ? [{ d: r.d, kernel: `NTK ${r.embedder}`, accuracy: r.krr.ntk.accuracy, f1: r.krr.ntk.f1 }] : []),
    ...(r.krr.nngp ? [{ d: r.d, kernel: `NNGP ${r.embedder}`, accuracy: r.krr.nngp.accuracy, f1: r.krr.nngp.f1 }] : []),
  ]);
  const explained = sorted
    .filter((r) => r.explained_variance !== null)
    .map((r) => ({ d: r.d, explained: r.explained_variance, series: r.embedder }));
  const theory = cells.map((c) => ({ d: c.d, v: c.delta_theta_sqrt_m, series: `m=${c.width}` }));
  const constant = constantRows(sorted);
  return [
    vsD('dsweep_krr_accuracy', byD, 'accuracy', 'eval accuracy', 'kernel'),
    vsD('dsweep_krr_f1', byD, 'f1', 'eval F1', 'kernel'),
    vsD('dsweep_explained_variance', explained, 'explained', 'explained variance', 'series'),
    vsD('dsweep_theory', theory, 'v', 'ΔΘ·√m', 'series', true),
    ...(constant.length ? [vsD('dsweep_init_constant', constant, 'v', 'err·√m (RMS)', 'series')] : []),
  ];
}

/** The figures over width (always) and over d (only when the profile has at least two d: a chart "vs d" with one d is one dot). */
export function dSweepFigures(xs: SweepInput[], rows: DSweepRow[]): Figure[] {
  const cells = sweepCells(rows, labelOf(xs));
  return new Set(rows.map((r) => r.d)).size < 2 ? widthFigures(cells) : [...widthFigures(cells), ...dFigures(rows, cells)];
}

/** The train-loss curves of one input and seed: actual vs predicted from Θ̂₀ per width, and from the analytical Θ. */
function dynamicsCurves(xs: SweepInput[]): Figure[] {
  const shown = xs.find((x) => mainRuns(x.inp).some((r) => r.history.some((h) => h.train_loss_pred_empirical != null)));
  if (!shown) return [];
  const runs = mainRuns(shown.inp);
  const seed = Math.min(...runs.map((r) => r.key.seed));
  const curves: Array<{ epoch: number; loss: number; series: string }> = [];
  for (const r of runs.filter((q) => q.key.seed === seed).sort((a, b) => a.key.width - b.key.width))
    for (const h of r.history) {
      curves.push({ epoch: h.epoch, loss: h.train_loss, series: `m=${r.key.width} actual` });
      if (h.train_loss_pred_empirical != null)
        curves.push({ epoch: h.epoch, loss: h.train_loss_pred_empirical, series: `m=${r.key.width} Θ̂₀` });
    }
  for (const h of runs.find((q) => q.key.seed === seed)?.history ?? [])
    if (h.train_loss_pred_analytic != null) curves.push({ epoch: h.epoch, loss: h.train_loss_pred_analytic, series: 'analytical Θ' });
  const title = 'train loss: actual vs linearised';
  return [
    {
      name: 'dynamics_curves',
      caption: `Train loss over epochs, actual and predicted from Θ̂₀ per width and from the analytical Θ (${shown.embedder} d=${shown.d}, one seed).`,
      spec: lineChart({ title, rows: curves, x: 'epoch', y: 'loss', xTitle: 'epoch', yTitle: 'train loss', series: 'series', yLog: true }),
    },
  ];
}

/** The worst deviation over width per input: from Θ̂₀, from Θ and from the NNGP baseline. */
function deviationFigure(rows: DynamicsRow[], label: Label): Figure {
  const flat = rows.flatMap((r) => [
    ...(r.max_rel_dev_empirical !== null ? [{ width: r.width, dev: r.max_rel_dev_empirical, series: `${label(r)} Θ̂₀` }] : []),
    ...(r.max_rel_dev_analytic !== null ? [{ width: r.width, dev: r.max_rel_dev_analytic, series: `${label(r)} Θ` }] : []),
    ...(r.max_rel_dev_nngp !== null ? [{ width: r.width, dev: r.max_rel_dev_nngp, series: `${label(r)} NNGP (baseline)` }] : []),
  ]);
  return {
    name: 'dynamics_deviation',
    caption: 'Worst relative deviation of the actual losses from the linearised prediction vs width: Θ̂₀, Θ and the NNGP baseline.',
    spec: logLogChart({
      title: 'max relative loss deviation vs width',
      rows: flat,
      x: 'width',
      y: 'dev',
      xTitle: 'width m',
      yTitle: 'max |L_pred − L|/L',
      series: 'series',
      reference: M_HALF,
    }),
  };
}

/** The dynamics section's figures: the curves of one input, then the deviations of all. */
export function dynamicsFigures(xs: SweepInput[], rows: DynamicsRow[]): Figure[] {
  return [...dynamicsCurves(xs), deviationFigure(rows, labelOf(xs))];
}

/** The share of diverged runs over c per (input, width), with the bound c = 2 marked. */
export function lrBoundFigure(cells: LrBoundCell[]): Figure {
  return {
    name: 'lr_bound',
    caption: 'Share of runs that diverged vs the learning rate in natural units c, per width; the linearised bound is c = 2.',
    spec: lineChart({
      title: 'diverged share vs c',
      rows: cells.map((c) => ({ lr: c.lr, share: c.diverged / c.runs, series: `${c.input} m=${c.width}` })),
      x: 'lr',
      y: 'share',
      xTitle: 'c = η λ_max(Θ̂₀)/n',
      yTitle: 'share of runs diverged',
      series: 'series',
      marker: { value: 2, label: 'c = 2' },
    }),
  };
}
