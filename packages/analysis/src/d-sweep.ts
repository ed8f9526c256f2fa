/**
 * The input-dimension question across the (embedder, d) inputs of a profile: how fast Θ̂ converges
 * to the NTK limit at each d, how far the networks' accuracy is from kernel ridge, and whether the
 * Θ̂₀ error has the constant the theory predicts from the data at that d.
 *
 * Theory (h = relu(W1 x/√d), f = W2 h/√m, W ~ N(0,1), ‖x‖ = √d as mlp inputScale sqrt_d): the
 * pre-activations u_k = w_k·x/√d are N(0, ‖x‖²/d) = N(0, 1) whatever d is, and
 *   Θ̂₀(x, z) = (1/m) Σ_k τ_k,  τ_k = (x·z/d) W2_k² 1[u_k(x)>0] 1[u_k(z)>0] + relu(u_k(x)) relu(u_k(z)),
 * a mean of m i.i.d. terms whose law depends on d only through the rows' norms and cosines. So
 * E[m·err²] = C² exactly, C² = Σ_ij Var τ_ij / ‖Θ‖²_F computed in closed form from the tracked rows
 * (@tangent/kernels ntk-relu2-variance.ts, eq. V2): at each d the measured err·√m is tested
 * against its own predicted C, a test that fails when they disagree; how C moves with d measures
 * what the data's geometry does (not assumed away). Under GD the change of a neuron's pre-activation
 * is Δu_k = Δw_k·x/√d with ∂f/∂w_k = W2_k 1[u_k>0] x/√(dm), so Δu_k = O(1/√m) independently of d and
 * ΔΘ = O(m^−1/2) (Jacot et al. 2018; Lee et al. 2019; O(1/m) for the smooth part, Dyer & Gur-Ari
 * 2020); its constant depends on the labels and the geometry, for which no closed form is given
 * here, so the d-exponent of ΔΘ·√m is reported, not tested.
 *
 * Computation (dSweepRows, dynamicsRows, dynamicsTests: typed rows, summary.json) is separate from
 * rendering (dSweepSection, dynamicsSection).
 */
import { holm, loglogSlope, mean } from '@tangent/kernels';
import { rng } from '@tangent/linalg';
import { ALPHA, initConstantFit, LAZY_DELTA_THETA, meanCi95, seedSlopes, type SlopeFit } from './analyse.ts';
import { lineChart, logLogChart } from './charts.ts';
import type { AnalysisInputs } from './collect.ts';
import { esc, htmlTable, type ReportSection } from './overview-report.ts';
import type { BootstrapSettings } from './paired-eval.ts';

/** One (embedder, d) input as the sweep sees it. */
export interface SweepInput {
  embedder: string;
  d: number;
  /** Share of the train embeddings' variance the d PCA axes keep (the pca artifact's metadata). */
  explainedVariance: number | null;
  /** Kernel ridge on the eval rows, per kernel (null when that kernel was not fitted). */
  krr: { ntk: { accuracy: number; f1: number } | null; nngp: { accuracy: number; f1: number } | null };
  inp: AnalysisInputs;
}

/** Where the width at which ΔΘ = 5 % lies relative to the grid of widths. */
export type GridPosition = 'interpolated' | 'below the grid' | 'beyond the grid';
/** An interval end: a width, or the side of the grid it lies outside. */
export type WidthEnd = number | 'below the grid' | 'beyond the grid';
type Ci = [number, number];

/** summary.json `d_sweep[]`, one per (embedder, d). */
export interface DSweepRow {
  embedder: string;
  d: number;
  explained_variance: number | null;
  krr: SweepInput['krr'];
  widths: Array<{
    width: number;
    seeds: number;
    delta_theta_mean: number;
    delta_theta_sd: number;
    kernel_init_error_mean: number | null;
    accuracy_mean: number;
    f1_mean: number;
  }>;
  /** Exponents of ΔΘ and of the Θ̂₀ error in m: mean of the per-seed slopes and the 95 % t-CI over seeds. */
  delta_theta_slope: number | null;
  delta_theta_slope_ci95: Ci | null;
  kernel_init_error_slope: number | null;
  kernel_init_error_slope_ci95: Ci | null;
  /** C = √(E[m·err²]) predicted from the tracked rows (eq. V2), and the measured RMS of err·√m with its 95 % CI over seeds. */
  kernel_init_error_sqrt_m_predicted: number | null;
  kernel_init_error_sqrt_m_measured: number | null;
  kernel_init_error_sqrt_m_ci95: Ci | null;
  /** Two-sided t-test of E[m·err²] = C², and its Holm adjustment over every d of the sweep. */
  kernel_init_error_sqrt_m_p: number | null;
  kernel_init_error_sqrt_m_p_holm: number | null;
  /** Whether the measured constant agrees with the prediction: Holm-adjusted p > 0.05. */
  kernel_init_error_sqrt_m_agrees: boolean | null;
  /** The width where the seed-mean ΔΘ(m) crosses 5 %, by log-log interpolation between the bracketing widths. */
  width_for_delta_theta_5pct: number | null;
  width_for_delta_theta_5pct_status: GridPosition | null;
  /** 95 % percentile interval over a bootstrap of the seeds; an end outside the grid is named. */
  width_for_delta_theta_5pct_ci95: [WidthEnd, WidthEnd] | null;
}

/** summary.json `dynamics[]`: per (d, width) over seeds, the runs' worst relative loss deviation from each kernel's prediction. */
export interface DynamicsRow {
  embedder: string;
  d: number;
  width: number;
  seeds: number;
  max_rel_dev_analytic: number | null;
  max_rel_dev_empirical: number | null;
  /** The baseline: the same prediction from the NNGP, a kernel known to be wrong for this training. */
  max_rel_dev_nngp: number | null;
  max_rel_dev_empirical_ci95: Ci | null;
}

/** summary.json `dynamics_tests[]`: per input, does the deviation shrink with width, and is it small against the baseline. */
export interface DynamicsTest {
  embedder: string;
  d: number;
  /** Exponent of the Θ̂₀ deviation in m (per-seed slopes, 95 % t-CI) and of the analytical Θ's. */
  empirical_slope: number | null;
  empirical_slope_ci95: Ci | null;
  analytic_slope: number | null;
  analytic_slope_ci95: Ci | null;
  /** holds iff the empirical slope's CI lies below 0. */
  shrinks: boolean | null;
  widest: number;
  /** dev(Θ̂₀)/dev(NNGP) at the widest width: geometric mean over seeds and its 95 % CI (t on the logs). */
  ratio_to_nngp: number | null;
  ratio_to_nngp_ci95: Ci | null;
  /** holds iff that ratio's CI lies below 1: the network's own kernel predicts its losses better than the wrong one. */
  beats_baseline: boolean | null;
}

const mainRuns = (inp: AnalysisInputs) => inp.mlp.runs.filter((r) => r.key.lr === inp.mlp.mainLr);
/** A bootstrap draw's width, or the side of the grid it fell outside (±∞ in the sorted draws). */
const outside = (v: number): WidthEnd => (v === -Infinity ? 'below the grid' : v === Infinity ? 'beyond the grid' : v);
const ci95 = (s: SlopeFit | { lo: number; hi: number } | null): Ci | null => (s ? [s.lo, s.hi] : null);

/**
 * The width m* where a falling curve crosses `level`, by linear interpolation of log v against
 * log m between the first bracketing pair of widths (v(m_k) ≥ level > v(m_{k+1})): the curve is
 * not assumed to be one power law over the whole grid. Outside the grid it says which side.
 */
export function widthAtLevel(
  widths: readonly number[],
  values: readonly number[],
  level: number,
): { width: number | null; status: GridPosition | null } {
  const pts = widths
    .map((m, i) => [m, values[i]] as const)
    .filter(([m, v]) => m > 0 && v > 0 && Number.isFinite(v))
    .sort((a, b) => a[0] - b[0]);
  if (!pts.length) return { width: null, status: null };
  if (pts[0][1] < level) return { width: null, status: 'below the grid' };
  for (let k = 0; k + 1 < pts.length; k++) {
    const [m0, v0] = pts[k],
      [m1, v1] = pts[k + 1];
    if (v0 >= level && v1 < level) {
      const t = (Math.log(level) - Math.log(v0)) / (Math.log(v1) - Math.log(v0));
      return { width: Math.exp(Math.log(m0) + t * (Math.log(m1) - Math.log(m0))), status: 'interpolated' };
    }
  }
  return { width: null, status: 'beyond the grid' };
}

/**
 * widthAtLevel of the seed-mean ΔΘ(m) at the main rate, with a 95 % percentile interval from
 * `resamples` bootstrap draws of the seeds (the independent replicates; each draw recomputes the
 * seed mean at every width, then interpolates). A draw below or beyond the grid sorts as −∞ / +∞,
 * so an interval end outside the grid is named rather than extrapolated.
 */
export function lazyWidth(inp: AnalysisInputs, level: number, boot: BootstrapSettings) {
  const bySeed = new Map<number, Map<number, number>>();
  for (const r of mainRuns(inp)) {
    const v = r.metrics.delta_theta;
    if (v == null || !Number.isFinite(v)) continue;
    if (!bySeed.has(r.key.seed)) bySeed.set(r.key.seed, new Map());
    bySeed.get(r.key.seed)!.set(r.key.width, v);
  }
  const seeds = [...bySeed.values()];
  const widths = [...new Set(seeds.flatMap((s) => [...s.keys()]))].sort((a, b) => a - b);
  const at = (draw: Array<Map<number, number>>) => {
    const means = widths.map((w) => {
      const v = draw.map((s) => s.get(w)).filter((x): x is number => x !== undefined);
      return v.length ? mean(v) : NaN;
    });
    return widthAtLevel(widths, means, level);
  };
  const point = at(seeds);
  if (seeds.length < 2) return { ...point, ci: null };
  const r = rng(boot.seed);
  const draws = Float64Array.from({ length: boot.resamples }, () => {
    const w = at(Array.from(seeds, () => seeds[r.int(seeds.length)]));
    return w.status === 'interpolated' ? w.width! : w.status === 'below the grid' ? -Infinity : Infinity;
  }).sort();
  const q = (p: number) => draws[Math.min(draws.length - 1, Math.max(0, Math.round(p * (draws.length - 1))))];
  return { ...point, ci: [outside(q(0.025)), outside(q(0.975))] as [WidthEnd, WidthEnd] };
}

/** The d sweep's rows (summary.json d_sweep): slopes, the predicted and measured Θ̂₀ constant (Holm over the d's), the 5 % width. */
export function dSweepRows(xs: SweepInput[], boot: BootstrapSettings): DSweepRow[] {
  const fits = xs.map((x) => initConstantFit(x.inp));
  const tested = fits.map((f, i) => ({ p: f?.p ?? null, i })).filter((t): t is { p: number; i: number } => t.p !== null);
  const adjusted = holm(tested.map((t) => t.p));
  const pHolm = new Map(tested.map((t, k) => [t.i, adjusted[k]]));
  return xs.map((x, i) => {
    const dt = seedSlopes(x.inp, (m) => m.delta_theta),
      ke = seedSlopes(x.inp, (m) => m.kernel_init_error);
    const f = fits[i];
    const lazy = lazyWidth(x.inp, LAZY_DELTA_THETA, boot);
    const ph = pHolm.get(i) ?? null;
    return {
      embedder: x.embedder,
      d: x.d,
      explained_variance: x.explainedVariance,
      krr: x.krr,
      widths: x.inp.mlp.summary.widths.map((r) => ({
        width: r.width,
        seeds: r.seeds,
        delta_theta_mean: r.delta_theta_mean,
        delta_theta_sd: r.delta_theta_sd,
        kernel_init_error_mean: r.kernel_init_error_mean,
        accuracy_mean: r.accuracy_mean,
        f1_mean: r.f1_mean,
      })),
      delta_theta_slope: dt?.mean ?? null,
      delta_theta_slope_ci95: ci95(dt),
      kernel_init_error_slope: ke?.mean ?? null,
      kernel_init_error_slope_ci95: ci95(ke),
      kernel_init_error_sqrt_m_predicted: f?.predicted ?? null,
      kernel_init_error_sqrt_m_measured: f?.measured ?? null,
      kernel_init_error_sqrt_m_ci95: f?.lo != null && f.hi != null ? [f.lo, f.hi] : null,
      kernel_init_error_sqrt_m_p: f?.p ?? null,
      kernel_init_error_sqrt_m_p_holm: ph,
      kernel_init_error_sqrt_m_agrees: ph === null ? null : ph > ALPHA,
      width_for_delta_theta_5pct: lazy.width,
      width_for_delta_theta_5pct_status: lazy.status,
      width_for_delta_theta_5pct_ci95: lazy.ci,
    };
  });
}

type Metrics = AnalysisInputs['mlp']['runs'][number]['metrics'];
const finite = (v: number | null | undefined): v is number => v != null && Number.isFinite(v);

export function dynamicsRows(xs: SweepInput[]): DynamicsRow[] {
  const out: DynamicsRow[] = [];
  for (const x of xs) {
    const runs = mainRuns(x.inp);
    for (const width of [...new Set(runs.map((r) => r.key.width))].sort((a, b) => a - b)) {
      const at = runs.filter((r) => r.key.width === width);
      const vals = (pick: (m: Metrics) => number | null | undefined) => at.map((r) => pick(r.metrics)).filter(finite);
      const avg = (v: number[]) => (v.length ? mean(v) : null);
      const e = vals((m) => m.dynamics_max_rel_dev_empirical),
        a = vals((m) => m.dynamics_max_rel_dev_analytic),
        b = vals((m) => m.dynamics_max_rel_dev_nngp);
      if (!e.length && !a.length) continue;
      out.push({
        embedder: x.embedder,
        d: x.d,
        width,
        seeds: at.length,
        max_rel_dev_analytic: avg(a),
        max_rel_dev_empirical: avg(e),
        max_rel_dev_nngp: avg(b),
        max_rel_dev_empirical_ci95: ci95(meanCi95(e)),
      });
    }
  }
  return out;
}

/**
 * Per input: the exponent of the Θ̂₀ deviation in m with its CI over seeds ("shrinks with width" iff
 * the CI lies below 0), and at the widest width the ratio dev(Θ̂₀)/dev(NNGP) per seed, a t-interval
 * on its logarithm ("beats the baseline" iff the ratio's CI lies below 1).
 */
export function dynamicsTests(xs: SweepInput[]): DynamicsTest[] {
  const out: DynamicsTest[] = [];
  for (const x of xs) {
    const runs = mainRuns(x.inp).filter((r) => finite(r.metrics.dynamics_max_rel_dev_empirical));
    if (!runs.length) continue;
    const se = seedSlopes(x.inp, (m) => m.dynamics_max_rel_dev_empirical),
      sa = seedSlopes(x.inp, (m) => m.dynamics_max_rel_dev_analytic);
    const widest = Math.max(...runs.map((r) => r.key.width));
    const logs = runs
      .filter((r) => r.key.width === widest && finite(r.metrics.dynamics_max_rel_dev_nngp) && r.metrics.dynamics_max_rel_dev_nngp > 0)
      .map((r) => Math.log(r.metrics.dynamics_max_rel_dev_empirical! / r.metrics.dynamics_max_rel_dev_nngp!));
    const lr = meanCi95(logs);
    out.push({
      embedder: x.embedder,
      d: x.d,
      empirical_slope: se?.mean ?? null,
      empirical_slope_ci95: ci95(se),
      analytic_slope: sa?.mean ?? null,
      analytic_slope_ci95: ci95(sa),
      shrinks: se ? se.hi < 0 : null,
      widest,
      ratio_to_nngp: logs.length ? Math.exp(mean(logs)) : null,
      ratio_to_nngp_ci95: lr && [Math.exp(lr.lo), Math.exp(lr.hi)],
      beats_baseline: lr ? lr.hi < 0 : null,
    });
  }
  return out;
}

/**
 * The d-exponent of q·√m at one width: per seed, the log-log slope of q(d)·√m across d; then the
 * mean and 95 % t-interval over seeds (seeds are the independent replicates, as in seedSlopes).
 */
export function dExponent(xs: SweepInput[], width: number, pick: (m: Metrics) => number | null) {
  const bySeed = new Map<number, Array<[number, number]>>();
  for (const x of xs)
    for (const r of mainRuns(x.inp)) {
      const v = r.key.width === width ? pick(r.metrics) : null;
      if (v !== null && Number.isFinite(v) && v > 0)
        bySeed.set(r.key.seed, [...(bySeed.get(r.key.seed) ?? []), [x.d, v * Math.sqrt(width)]]);
    }
  const slopes = [...bySeed.values()]
    .map((p) =>
      loglogSlope(
        p.map((q) => q[0]),
        p.map((q) => q[1]),
      ),
    )
    .filter((s): s is number => s !== null);
  return { slopes, ci: meanCi95(slopes) };
}

const pct = (v: number | null | undefined, digits = 2) =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : `${(100 * v).toFixed(digits)} %`;
const num = (v: number | null | undefined, digits = 3) =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toPrecision(digits);
const ciText = (v: number | null, c: Ci | null, f = (x: number) => x.toFixed(2)) =>
  v === null ? '—' : c ? `${f(v)} [${f(c[0])}, ${f(c[1])}]` : f(v);
const pText = (p: number | null) => (p === null ? '—' : p < 0.001 ? '< 0.001' : p.toFixed(3));
const widthEnd = (v: WidthEnd) => (typeof v === 'number' ? Math.round(v).toLocaleString('en') : v);
/** "m ≈ 911 [640, 1,330]" or the side of the grid. */
export function lazyWidthText(r: DSweepRow): string {
  if (r.width_for_delta_theta_5pct_status === null) return '—';
  if (r.width_for_delta_theta_5pct === null) return r.width_for_delta_theta_5pct_status;
  const c = r.width_for_delta_theta_5pct_ci95;
  return `${widthEnd(r.width_for_delta_theta_5pct)}${c ? ` [${widthEnd(c[0])}, ${widthEnd(c[1])}]` : ''}`;
}
const labelOf = (xs: SweepInput[]) => (x: { embedder: string; d: number }) =>
  new Set(xs.map((y) => y.embedder)).size > 1 ? `${x.embedder} d=${x.d}` : `d=${x.d}`;
const sortRows = <T extends { embedder: string; d: number }>(rows: T[]) =>
  [...rows].sort((a, b) => a.embedder.localeCompare(b.embedder) || a.d - b.d);

/** The sentences the d-sweep section states: the predicted-constant test, the 5 % widths, the d-exponent of ΔΘ·√m. */
export function dSweepVerdicts(xs: SweepInput[], rows: DSweepRow[]): string[] {
  const label = labelOf(xs);
  const out: string[] = [];
  const tested = rows.filter((r) => r.kernel_init_error_sqrt_m_agrees !== null);
  if (tested.length) {
    const agree = tested.filter((r) => r.kernel_init_error_sqrt_m_agrees);
    out.push(
      `Θ̂₀ error·√m against the constant predicted from each input's tracked rows (holds iff the Holm-adjusted p of every input's t-test over seeds is > ${ALPHA}, ${tested.length} tests): ` +
        `${agree.length === tested.length ? 'holds' : 'does NOT hold'} — ${agree.length} of ${tested.length} agree. ` +
        tested
          .map(
            (r) =>
              `${label(r)}: measured ${ciText(r.kernel_init_error_sqrt_m_measured, r.kernel_init_error_sqrt_m_ci95, (v) => v.toFixed(3))} vs predicted ${num(r.kernel_init_error_sqrt_m_predicted, 4)} (Holm p ${pText(r.kernel_init_error_sqrt_m_p_holm)})`,
          )
          .join('; ') +
        '.',
    );
  }
  const ds = [...new Set(rows.map((r) => r.d))];
  const pred = rows.filter((r) => r.kernel_init_error_sqrt_m_predicted !== null);
  if (ds.length >= 2 && pred.length >= 2) {
    const g = loglogSlope(
      pred.map((r) => r.d),
      pred.map((r) => r.kernel_init_error_sqrt_m_predicted!),
    );
    if (g !== null)
      out.push(
        `The predicted constant itself scales as d^${g.toFixed(3)} across d: that is what the changing geometry of the PCA features (norms and cosines of the tracked rows) does to the Θ̂₀ error at fixed m, computed rather than assumed.`,
      );
  }
  const w = sortRows(rows).filter((r) => r.width_for_delta_theta_5pct_status !== null);
  if (w.length)
    out.push(
      `Width where the seed-mean ΔΘ falls to ${100 * LAZY_DELTA_THETA} % (log-log interpolation between the bracketing widths; 95 % CI from a bootstrap of the seeds): ` +
        w.map((r) => `${label(r)}: ${lazyWidthText(r)}`).join('; ') +
        '.',
    );
  const widest = Math.max(...rows.flatMap((r) => r.widths.map((x) => x.width)));
  if (ds.length >= 2 && Number.isFinite(widest)) {
    const { slopes, ci } = dExponent(xs, widest, (m) => m.delta_theta);
    out.push(
      ci
        ? `ΔΘ·√m at m = ${widest} scales as d^${ci.mean.toFixed(2)} (95 % CI [${ci.lo.toFixed(2)}, ${ci.hi.toFixed(2)}] over ${slopes.length} seeds): reported, not tested — ΔΘ's constant depends on the labels and the geometry, and no closed form predicts it here.`
        : `ΔΘ·√m at m = ${widest}: too few seeds for an interval (exponents of d per seed: ${slopes.map((s) => s.toFixed(2)).join(', ') || 'none'}).`,
    );
  }
  const slopes = rows.map((r) => r.delta_theta_slope).filter((s): s is number => s !== null);
  if (slopes.length >= 2)
    out.push(`The fitted exponents of ΔΘ in m range over [${Math.min(...slopes).toFixed(2)}, ${Math.max(...slopes).toFixed(2)}] across d.`);
  return out;
}

/** The d × width cells the tables and figures show. */
function sweepCells(xs: SweepInput[], rows: DSweepRow[]) {
  const label = labelOf(xs);
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

function dSweepTables(xs: SweepInput[], rows: DSweepRow[]): string[] {
  const label = labelOf(xs);
  const perInput = htmlTable(
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
  const cells = htmlTable(
    ['input', 'width m', 'ΔΘ (mean over seeds)', 'Θ̂₀ error', '|acc(MLP) − acc(KRR NTK)|', 'ΔΘ·√m', 'Θ̂₀ error·√m'],
    sweepCells(xs, rows).map((c) => [
      c.input,
      String(c.width),
      pct(c.delta_theta),
      pct(c.init_error),
      pct(c.acc_gap),
      num(c.delta_theta_sqrt_m),
      num(c.init_error_sqrt_m),
    ]),
  );
  return [perInput, cells];
}

/** The figures over width (always) and over d (only when the profile has at least two d). */
function dSweepFigures(xs: SweepInput[], rows: DSweepRow[]): ReportSection['figures'] {
  const cells = sweepCells(xs, rows);
  const figures: ReportSection['figures'] = [
    {
      name: 'dsweep_delta_theta',
      caption: 'ΔΘ at the end of training vs width, one line per d (mean over seeds).',
      spec: logLogChart({
        title: 'ΔΘ vs width per d',
        rows: cells,
        x: 'width',
        y: 'delta_theta',
        xTitle: 'width m',
        yTitle: 'ΔΘ',
        series: 'series',
        reference: { slope: -0.5, label: 'm^-1/2' },
      }),
    },
    {
      name: 'dsweep_init_error',
      caption: 'Relative error of Θ̂₀ against the analytical NTK vs width, one line per d.',
      spec: logLogChart({
        title: 'Θ̂₀ error vs width per d',
        rows: cells.filter((s) => s.init_error !== null),
        x: 'width',
        y: 'init_error',
        xTitle: 'width m',
        yTitle: '‖Θ̂₀ − Θ‖/‖Θ‖',
        series: 'series',
        reference: { slope: -0.5, label: 'm^-1/2' },
      }),
    },
    {
      name: 'dsweep_acc_gap',
      caption: '|accuracy(MLP) − accuracy(KRR with the NTK)| on the eval rows vs width, per d.',
      spec: lineChart({
        title: '|acc(MLP m) − acc(KRR)| per d',
        rows: cells.filter((s) => s.acc_gap !== null),
        x: 'width',
        y: 'acc_gap',
        xTitle: 'width m',
        yTitle: '|Δ accuracy|',
        series: 'series',
        xLog: true,
      }),
    },
  ];
  if (new Set(rows.map((r) => r.d)).size < 2) return figures; // a chart "vs d" with one d is one dot
  const sorted = sortRows(rows);
  const byD = sorted.flatMap((r) => [
    ...(r.krr.ntk ? [{ d: r.d, kernel: `NTK ${r.embedder}`, accuracy: r.krr.ntk.accuracy, f1: r.krr.ntk.f1 }] : []),
    ...(r.krr.nngp ? [{ d: r.d, kernel: `NNGP ${r.embedder}`, accuracy: r.krr.nngp.accuracy, f1: r.krr.nngp.f1 }] : []),
  ]);
  const vsD = (
    name: string,
    caption: string,
    title: string,
    rs: Array<Record<string, number | string | null>>,
    y: string,
    yTitle: string,
    series: string,
    yLog = false,
  ) => ({
    name,
    caption,
    spec: lineChart({ title, rows: rs, x: 'd', y, xTitle: 'PCA dimension d', yTitle, series, xLog: true, yLog }),
  });
  const constant = sorted.flatMap((r) => [
    ...(r.kernel_init_error_sqrt_m_measured !== null
      ? [{ d: r.d, v: r.kernel_init_error_sqrt_m_measured, series: `measured ${r.embedder}` }]
      : []),
    ...(r.kernel_init_error_sqrt_m_predicted !== null
      ? [{ d: r.d, v: r.kernel_init_error_sqrt_m_predicted, series: `predicted ${r.embedder}` }]
      : []),
  ]);
  figures.push(
    vsD(
      'dsweep_krr_accuracy',
      'Kernel ridge accuracy on the eval rows vs d (NTK and NNGP).',
      'KRR accuracy vs d',
      byD,
      'accuracy',
      'eval accuracy',
      'kernel',
    ),
    vsD('dsweep_krr_f1', 'Kernel ridge F1 on the eval rows vs d (NTK and NNGP).', 'KRR F1 vs d', byD, 'f1', 'eval F1', 'kernel'),
    vsD(
      'dsweep_explained_variance',
      'Share of the embedding variance kept by the d PCA axes.',
      'PCA explained variance vs d',
      sorted.filter((r) => r.explained_variance !== null).map((r) => ({ d: r.d, explained: r.explained_variance, series: r.embedder })),
      'explained',
      'explained variance',
      'series',
    ),
    vsD(
      'dsweep_theory',
      'ΔΘ·√m vs d, one line per width (its d-exponent is reported, not tested).',
      'ΔΘ·√m vs d',
      cells.map((c) => ({ d: c.d, v: c.delta_theta_sqrt_m, series: `m=${c.width}` })),
      'v',
      'ΔΘ·√m',
      'series',
      true,
    ),
  );
  if (constant.length)
    figures.push(
      vsD(
        'dsweep_init_constant',
        'Θ̂₀ error·√m vs d: the RMS over runs (measured) and the constant predicted from the tracked rows alone.',
        'Θ̂₀ error·√m: measured vs predicted',
        constant,
        'v',
        'err·√m (RMS)',
        'series',
      ),
    );
  return figures;
}

/** How many 95 % intervals the d-sweep section states. */
function dSweepIntervals(rows: DSweepRow[], verdicts: string[]): number {
  const perRow = rows.reduce(
    (s, r) =>
      s +
      +(r.delta_theta_slope_ci95 !== null) +
      +(r.kernel_init_error_slope_ci95 !== null) +
      +(r.kernel_init_error_sqrt_m_ci95 !== null) +
      +(r.width_for_delta_theta_5pct_ci95 !== null),
    0,
  );
  return perRow + verdicts.filter((v) => v.startsWith('ΔΘ·√m') && v.includes('95 % CI')).length;
}

/** The report section answering "how does d affect the speed of convergence to the NTK limit?" (from dSweepRows). */
export function dSweepSection(xs: SweepInput[], rows: DSweepRow[]): ReportSection {
  const verdicts = dSweepVerdicts(xs, rows);
  const ds = [...new Set(rows.map((r) => r.d))].sort((a, b) => a - b);
  const tested = rows.filter((r) => r.kernel_init_error_sqrt_m_p_holm !== null).length;
  return {
    id: 'd-sweep',
    title:
      ds.length >= 2
        ? 'Input dimension d and the speed of convergence to the NTK limit'
        : `Convergence to the NTK limit at d = ${ds.join(', ')} (one d: the effect of d needs the dsweep profile)`,
    html: [
      `<p>${esc(
        'Theory: with h = relu(W1 x/√d) and inputs of norm √d the pre-activations are N(0,1) for every d, and Θ̂₀ is a mean of m i.i.d. per-neuron terms, so E[m·‖Θ̂₀ − Θ‖²_F/‖Θ‖²_F] = C² exactly, with C computed in closed form from the norms and cosines of the tracked rows (arc-cosine moments; @tangent/kernels ntk-relu2-variance.ts): a prediction the measured error can contradict, at each d. The change of a pre-activation during training is O(1/√m) independently of d, so ΔΘ falls as m^−1/2 or faster (Jacot et al. 2018; Lee et al. 2019; Dyer & Gur-Ari 2020).',
      )}</p>`,
      ...verdicts.map((v) => `<p class="verdict">${esc(v)}</p>`),
      ...dSweepTables(xs, rows),
    ].join('\n'),
    figures: dSweepFigures(xs, rows),
    intervals: dSweepIntervals(rows, verdicts),
    holm: tested >= 2 ? [`Θ̂₀ error·√m vs its predicted constant, one t-test per input (${tested} tests)`] : [],
  };
}

/** Per width and d: the worst relative deviation of the actual losses from the linearised prediction, against a baseline kernel. */
export function dynamicsSection(xs: SweepInput[], rows: DynamicsRow[], tests: DynamicsTest[]): ReportSection | null {
  if (!rows.length) return null;
  const label = labelOf(xs);
  const yes = (b: boolean | null, y: string, n: string) => (b === null ? 'n/a (needs ≥ 2 seeds)' : b ? y : n);
  const verdicts = tests.map((t) => {
    const at = rows.find((r) => r.embedder === t.embedder && r.d === t.d && r.width === t.widest);
    return (
      `${label(t)}: the deviation from the Θ̂₀ prediction scales as m^${ciText(t.empirical_slope, t.empirical_slope_ci95)} over seeds ` +
      `(from the analytical Θ: m^${ciText(t.analytic_slope, t.analytic_slope_ci95)}) — shrinks with width (CI below 0): ` +
      `${yes(t.shrinks, 'yes', 'NO')}. At m = ${t.widest}: ${pct(at?.max_rel_dev_empirical)} from Θ̂₀, ${pct(at?.max_rel_dev_analytic)} from Θ, ` +
      `${pct(at?.max_rel_dev_nngp)} from the NNGP baseline; Θ̂₀/NNGP = ${ciText(t.ratio_to_nngp, t.ratio_to_nngp_ci95, (v) => v.toPrecision(3))} ` +
      `— the network follows its own kernel, not a wrong one (ratio CI below 1): ${yes(t.beats_baseline, 'yes', 'NO')}.`
    );
  });
  const flat = rows.flatMap((r) => [
    ...(r.max_rel_dev_empirical !== null ? [{ width: r.width, dev: r.max_rel_dev_empirical, series: `${label(r)} Θ̂₀` }] : []),
    ...(r.max_rel_dev_analytic !== null ? [{ width: r.width, dev: r.max_rel_dev_analytic, series: `${label(r)} Θ` }] : []),
    ...(r.max_rel_dev_nngp !== null ? [{ width: r.width, dev: r.max_rel_dev_nngp, series: `${label(r)} NNGP (baseline)` }] : []),
  ]);
  const intervals =
    rows.filter((r) => r.max_rel_dev_empirical_ci95).length +
    tests.reduce(
      (s, t) => s + +(t.empirical_slope_ci95 !== null) + +(t.analytic_slope_ci95 !== null) + +(t.ratio_to_nngp_ci95 !== null),
      0,
    );
  return {
    id: 'dynamics',
    title: 'Predicted vs actual training dynamics',
    html: [
      `<p>${esc(
        'For every run the linearised model trained by the same full-batch GD, f_{t+1} = f_t − (η/n) Θ (f_t − y) from f₀ = 0 (the centred network), predicts the train loss and, through Θ(X_eval, X_fit), the eval loss at every epoch, with the network’s own Θ̂₀ and with the analytical Θ. The deviation is max over epochs of |L_pred − L| / L over both curves. Baseline: the same prediction, computed the same way (same η and epochs), from the NNGP — the infinite-width kernel of training the readout alone, i.e. a kernel that is wrong for this training by the first layer’s contribution; a deviation is small only relative to what a wrong kernel scores.',
      )}</p>`,
      ...verdicts.map((v) => `<p class="verdict">${esc(v)}</p>`),
      htmlTable(
        ['input', 'width m', 'seeds', 'max rel. deviation (Θ̂₀, 95 % CI)', 'max rel. deviation (Θ)', 'max rel. deviation (NNGP baseline)'],
        rows.map((r) => [
          label(r),
          String(r.width),
          String(r.seeds),
          `${pct(r.max_rel_dev_empirical, 3)}${r.max_rel_dev_empirical_ci95 ? ` [${pct(r.max_rel_dev_empirical_ci95[0], 3)}, ${pct(r.max_rel_dev_empirical_ci95[1], 3)}]` : ''}`,
          pct(r.max_rel_dev_analytic, 3),
          pct(r.max_rel_dev_nngp, 3),
        ]),
      ),
    ].join('\n'),
    figures: [
      ...dynamicsCurves(xs),
      {
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
          reference: { slope: -0.5, label: 'm^-1/2' },
        }),
      },
    ],
    intervals,
    holm: [],
  };
}

/** The curves themselves for one input and seed: actual vs predicted train loss, per width. */
function dynamicsCurves(xs: SweepInput[]): ReportSection['figures'] {
  const shown = xs.find((x) => mainRuns(x.inp).some((r) => r.history.some((h) => h.train_loss_pred_empirical != null)));
  if (!shown) return [];
  const runs = mainRuns(shown.inp);
  const seed = Math.min(...runs.map((r) => r.key.seed));
  const curves: Array<Record<string, number | string>> = [];
  for (const r of runs.filter((q) => q.key.seed === seed).sort((a, b) => a.key.width - b.key.width))
    for (const h of r.history) {
      curves.push({ epoch: h.epoch, loss: h.train_loss, series: `m=${r.key.width} actual` });
      if (h.train_loss_pred_empirical != null)
        curves.push({ epoch: h.epoch, loss: h.train_loss_pred_empirical, series: `m=${r.key.width} Θ̂₀` });
    }
  for (const h of runs.find((q) => q.key.seed === seed)?.history ?? [])
    if (h.train_loss_pred_analytic != null) curves.push({ epoch: h.epoch, loss: h.train_loss_pred_analytic, series: 'analytical Θ' });
  return [
    {
      name: 'dynamics_curves',
      caption: `Train loss over epochs, actual and predicted from Θ̂₀ per width and from the analytical Θ (${shown.embedder} d=${shown.d}, one seed).`,
      spec: lineChart({
        title: 'train loss: actual vs linearised',
        rows: curves,
        x: 'epoch',
        y: 'loss',
        xTitle: 'epoch',
        yTitle: 'train loss',
        series: 'series',
        yLog: true,
      }),
    },
  ];
}

/** Learning rates around the linearised bound c = 2 (η = 2n/λ_max(Θ̂₀)): which runs of each width diverged. */
export function lrBoundSection(xs: SweepInput[]): ReportSection | null {
  const cells: Array<{ input: string; width: number; lr: number; runs: number; diverged: number }> = [];
  for (const x of xs) {
    const byKey = new Map<string, { runs: number; diverged: number }>();
    const add = (width: number, lr: number, div: boolean) => {
      const k = `${width}/${lr}`;
      const c = byKey.get(k) ?? { runs: 0, diverged: 0 };
      c.runs++;
      if (div) c.diverged++;
      byKey.set(k, c);
    };
    for (const r of x.inp.mlp.runs) add(r.key.width, r.key.lr, false);
    for (const id of x.inp.mlp.diverged) {
      const m = /^w(\d+)-s\d+-lr([\d.e+-]+)$/.exec(id);
      if (m) add(+m[1], +m[2], true);
    }
    for (const [k, c] of byKey) {
      const [width, lr] = k.split('/').map(Number);
      cells.push({ input: `${x.embedder} d=${x.d}`, width, lr, ...c });
    }
  }
  if (!cells.some((c) => c.lr >= 2)) return null; // no rate at or above the bound was tried
  cells.sort((a, b) => a.input.localeCompare(b.input) || a.width - b.width || a.lr - b.lr);
  // only the widths where a rate at or above the bound was tried say anything about it
  const groups = [...new Set(cells.filter((c) => c.lr >= 2).map((c) => `${c.input}|${c.width}`))];
  const verdicts = groups.map((g) => {
    const at = cells.filter((c) => `${c.input}|${c.width}` === g);
    const ok = at.filter((c) => c.diverged === 0).map((c) => c.lr);
    const bad = at.filter((c) => c.diverged > 0).map((c) => c.lr);
    const maxOk = ok.length ? Math.max(...ok) : null,
      minBad = bad.length ? Math.min(...bad) : null;
    const [input, width] = g.split('|');
    let verdict: string;
    if (minBad === null)
      verdict = `no divergence up to c = ${maxOk}${maxOk !== null && maxOk > 2 ? ': stable above the linearised bound c = 2' : ''}`;
    else if (minBad < 2) verdict = `diverged at c = ${minBad} < 2: below the linearised bound`;
    else
      verdict = `stable up to c = ${maxOk ?? '—'}, diverged from c = ${minBad}: ${maxOk !== null && maxOk > 2 ? 'the divergence sets in above the bound c = 2' : 'consistent with the bound c = 2'}`;
    return `${input}, m = ${width}: ${verdict}.`;
  });
  return {
    id: 'lr-bound',
    title: 'The learning-rate bound η < 2n/λ_max(Θ̂₀)',
    html: [
      `<p>${esc('The linearised model f_{t+1} − y = (I − ηΘ̂₀/n)(f_t − y) converges iff η λ_max(Θ̂₀)/n = c < 2. Each run’s learning rate is given in these natural units c, so the bound is the same line c = 2 at every width; a run whose loss grows past train.divergenceFactor × its initial value is recorded as diverged.')}</p>`,
      ...verdicts.map((v) => `<p class="verdict">${esc(v)}</p>`),
      htmlTable(
        ['input', 'width m', 'c', 'runs', 'diverged'],
        cells.map((c) => [c.input, String(c.width), String(c.lr), String(c.runs), String(c.diverged)]),
      ),
    ].join('\n'),
    figures: [
      {
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
      },
    ],
    intervals: 0,
    holm: [],
  };
}
