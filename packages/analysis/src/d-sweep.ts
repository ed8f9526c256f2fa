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
 * This file is the statistics: pure functions from the inputs to typed rows (summary.json) and the
 * findings the prose states. The words are in d-sweep-text.ts, the figures in d-sweep-charts.ts,
 * the HTML sections in d-sweep-report.ts.
 */
import { holm, loglogSlope, mean } from '@tangent/kernels';
import { rng } from '@tangent/linalg';
import { ALPHA, initConstantFit, LAZY_DELTA_THETA, meanCi95, perSeedSlopes, seedSlopes, type SlopeFit } from './analyse.ts';
import type { AnalysisInputs, SweepInput } from './collect.ts';
import { parseRunId, type BootstrapSettings } from './paired-eval.ts';

/** Where the width at which ΔΘ = 5 % lies relative to the grid of widths. */
export type GridPosition = 'interpolated' | 'below the grid' | 'beyond the grid';
/** An interval end: a width, or the side of the grid it lies outside. */
export type WidthEnd = number | 'below the grid' | 'beyond the grid';
export type Ci = [number, number];

/** summary.json `d_sweep[].widths[]`: the seed summaries of one width at the main rate. */
export interface DSweepWidthRow {
  width: number;
  seeds: number;
  delta_theta_mean: number;
  delta_theta_sd: number;
  kernel_init_error_mean: number | null;
  accuracy_mean: number;
  f1_mean: number;
}

/** summary.json `d_sweep[]`, one per (embedder, d). */
export interface DSweepRow {
  embedder: string;
  d: number;
  explained_variance: number | null;
  krr: SweepInput['krr'];
  widths: DSweepWidthRow[];
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

/** What the d-sweep section states beyond its rows (not in summary.json): computed here, worded in d-sweep-text.ts. */
export interface DSweepFindings {
  /** How many distinct d the rows span. */
  dCount: number;
  /** The log-log slope of the predicted constant C against d (with ≥ 2 d and ≥ 2 predictions). */
  predictedExponent: number | null;
  /** With ≥ 2 d: the d-exponent of ΔΘ·√m at the widest width, per seed and its 95 % t-CI over seeds (null: too few seeds). */
  deltaThetaDExponent: { width: number; slopes: number[]; ci: { mean: number; lo: number; hi: number } | null } | null;
  /** The smallest and largest fitted exponent of ΔΘ in m across the rows (with ≥ 2 fits). */
  slopeRange: [number, number] | null;
}

/** Runs in one learning-rate cell of the lr-bound section: how many ran, how many diverged. */
export interface LrBoundCell {
  /** The input's label, `embedder d=…` (the cells sort by it). */
  input: string;
  width: number;
  /** The learning rate in natural units c = η λ_max(Θ̂₀)/n. */
  lr: number;
  runs: number;
  diverged: number;
}

/** Per (input, width) where a rate c ≥ 2 was tried: the largest rate with no divergence and the smallest with one. */
export interface LrBoundGroup {
  input: string;
  width: number;
  maxStable: number | null;
  minDiverged: number | null;
}

type Metrics = AnalysisInputs['mlp']['runs'][number]['metrics'];

/** The runs at the main learning rate, the ones the sweep's rows summarise. */
export const mainRuns = (inp: AnalysisInputs) => inp.mlp.runs.filter((r) => r.key.lr === inp.mlp.mainLr);
/** A bootstrap draw's width, or the side of the grid it fell outside (±∞ in the sorted draws). */
const outside = (v: number): WidthEnd => (v === -Infinity ? 'below the grid' : v === Infinity ? 'beyond the grid' : v);
const ci95 = (s: SlopeFit | { lo: number; hi: number } | null): Ci | null => (s ? [s.lo, s.hi] : null);
const finite = (v: number | null | undefined): v is number => v != null && Number.isFinite(v);

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

/** Per seed (in the order the runs list them), ΔΘ at each width of the main-rate runs; non-finite values left out. */
function deltaThetaBySeed(inp: AnalysisInputs): Array<Map<number, number>> {
  const bySeed = new Map<number, Map<number, number>>();
  for (const r of mainRuns(inp)) {
    const v = r.metrics.delta_theta;
    if (v == null || !Number.isFinite(v)) continue;
    if (!bySeed.has(r.key.seed)) bySeed.set(r.key.seed, new Map());
    bySeed.get(r.key.seed)!.set(r.key.width, v);
  }
  return [...bySeed.values()];
}

/**
 * widthAtLevel of the seed-mean ΔΘ(m) at the main rate, with a 95 % percentile interval from
 * `resamples` bootstrap draws of the seeds (the independent replicates; each draw recomputes the
 * seed mean at every width, then interpolates). A draw below or beyond the grid sorts as −∞ / +∞,
 * so an interval end outside the grid is named rather than extrapolated.
 */
export function lazyWidth(inp: AnalysisInputs, level: number, boot: BootstrapSettings) {
  const seeds = deltaThetaBySeed(inp);
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

/** Each input's Θ̂₀-constant fit (null: not recorded) and its Holm-adjusted p over the inputs that have one. */
function constantFits(xs: SweepInput[]) {
  const fits = xs.map((x) => initConstantFit(x.inp));
  const tested = fits.map((f, i) => ({ p: f?.p ?? null, i })).filter((t): t is { p: number; i: number } => t.p !== null);
  const adjusted = holm(tested.map((t) => t.p));
  const pHolm = new Map(tested.map((t, k) => [t.i, adjusted[k]]));
  return fits.map((fit, i) => ({ fit, pHolm: pHolm.get(i) ?? null }));
}

const widthRow = (r: AnalysisInputs['mlp']['summary']['widths'][number]): DSweepWidthRow => ({
  width: r.width,
  seeds: r.seeds,
  delta_theta_mean: r.delta_theta_mean,
  delta_theta_sd: r.delta_theta_sd,
  kernel_init_error_mean: r.kernel_init_error_mean,
  accuracy_mean: r.accuracy_mean,
  f1_mean: r.f1_mean,
});

/** One input's row: its slopes, its Θ̂₀ constant against the prediction (p Holm-adjusted by the caller), its 5 % width. */
function dSweepRow(x: SweepInput, c: ReturnType<typeof constantFits>[number], boot: BootstrapSettings): DSweepRow {
  const dt = seedSlopes(x.inp, (m) => m.delta_theta),
    ke = seedSlopes(x.inp, (m) => m.kernel_init_error);
  const { fit: f, pHolm: ph } = c;
  const lazy = lazyWidth(x.inp, LAZY_DELTA_THETA, boot);
  return {
    embedder: x.embedder,
    d: x.d,
    explained_variance: x.explainedVariance,
    krr: x.krr,
    widths: x.inp.mlp.summary.widths.map(widthRow),
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
}

/** The d sweep's rows (summary.json d_sweep): slopes, the predicted and measured Θ̂₀ constant (Holm over the d's), the 5 % width. */
export function dSweepRows(xs: SweepInput[], boot: BootstrapSettings): DSweepRow[] {
  const fits = constantFits(xs);
  return xs.map((x, i) => dSweepRow(x, fits[i], boot));
}

/** The d-exponent of q·√m at one width: perSeedSlopes of q(d)·√m against d, one point per input. */
export function dExponent(xs: SweepInput[], width: number, pick: (m: Metrics) => number | null) {
  const points = xs.flatMap((x) =>
    mainRuns(x.inp)
      .filter((r) => r.key.width === width)
      .map((r) => ({ seed: r.key.seed, x: x.d, y: pick(r.metrics) }))
      .filter((p): p is { seed: number; x: number; y: number } => p.y !== null && Number.isFinite(p.y) && p.y > 0)
      .map((p) => ({ ...p, y: p.y * Math.sqrt(width) })),
  );
  const { perSeed, ci } = perSeedSlopes(points);
  return { slopes: perSeed.map((s) => s.slope), ci };
}

/** The findings across d: how the predicted constant and ΔΘ·√m move with d, and the spread of the ΔΘ exponents. */
export function dSweepFindings(xs: SweepInput[], rows: DSweepRow[]): DSweepFindings {
  const dCount = new Set(rows.map((r) => r.d)).size;
  const pred = rows.filter((r) => r.kernel_init_error_sqrt_m_predicted !== null);
  const predictedExponent =
    dCount >= 2 && pred.length >= 2
      ? loglogSlope(
          pred.map((r) => r.d),
          pred.map((r) => r.kernel_init_error_sqrt_m_predicted!),
        )
      : null;
  const widest = Math.max(...rows.flatMap((r) => r.widths.map((x) => x.width)));
  const deltaThetaDExponent =
    dCount >= 2 && Number.isFinite(widest) ? { width: widest, ...dExponent(xs, widest, (m) => m.delta_theta) } : null;
  const slopes = rows.map((r) => r.delta_theta_slope).filter((s): s is number => s !== null);
  const slopeRange: [number, number] | null = slopes.length >= 2 ? [Math.min(...slopes), Math.max(...slopes)] : null;
  return { dCount, predictedExponent, deltaThetaDExponent, slopeRange };
}

/** One (d, width) of the dynamics table: the seed means of each kernel's deviation, null where no run recorded it. */
function dynamicsRow(x: SweepInput, width: number, at: ReturnType<typeof mainRuns>): DynamicsRow | null {
  const vals = (pick: (m: Metrics) => number | null | undefined) => at.map((r) => pick(r.metrics)).filter(finite);
  const avg = (v: number[]) => (v.length ? mean(v) : null);
  const e = vals((m) => m.dynamics_max_rel_dev_empirical),
    a = vals((m) => m.dynamics_max_rel_dev_analytic),
    b = vals((m) => m.dynamics_max_rel_dev_nngp);
  if (!e.length && !a.length) return null;
  return {
    embedder: x.embedder,
    d: x.d,
    width,
    seeds: at.length,
    max_rel_dev_analytic: avg(a),
    max_rel_dev_empirical: avg(e),
    max_rel_dev_nngp: avg(b),
    max_rel_dev_empirical_ci95: ci95(meanCi95(e)),
  };
}

/** summary.json dynamics: one row per input and width (ascending) with a recorded deviation. */
export function dynamicsRows(xs: SweepInput[]): DynamicsRow[] {
  return xs.flatMap((x) => {
    const runs = mainRuns(x.inp);
    const widths = [...new Set(runs.map((r) => r.key.width))].sort((a, b) => a - b);
    return widths
      .map((w) =>
        dynamicsRow(
          x,
          w,
          runs.filter((r) => r.key.width === w),
        ),
      )
      .filter((r): r is DynamicsRow => r !== null);
  });
}

/** One input's test (null: no run recorded the Θ̂₀ deviation). */
function dynamicsTest(x: SweepInput): DynamicsTest | null {
  const runs = mainRuns(x.inp).filter((r) => finite(r.metrics.dynamics_max_rel_dev_empirical));
  if (!runs.length) return null;
  const se = seedSlopes(x.inp, (m) => m.dynamics_max_rel_dev_empirical),
    sa = seedSlopes(x.inp, (m) => m.dynamics_max_rel_dev_analytic);
  const widest = Math.max(...runs.map((r) => r.key.width));
  const logs = runs
    .filter((r) => r.key.width === widest && finite(r.metrics.dynamics_max_rel_dev_nngp) && r.metrics.dynamics_max_rel_dev_nngp > 0)
    .map((r) => Math.log(r.metrics.dynamics_max_rel_dev_empirical! / r.metrics.dynamics_max_rel_dev_nngp!));
  const lr = meanCi95(logs);
  return {
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
  };
}

/**
 * Per input: the exponent of the Θ̂₀ deviation in m with its CI over seeds ("shrinks with width" iff
 * the CI lies below 0), and at the widest width the ratio dev(Θ̂₀)/dev(NNGP) per seed, a t-interval
 * on its logarithm ("beats the baseline" iff the ratio's CI lies below 1).
 */
export function dynamicsTests(xs: SweepInput[]): DynamicsTest[] {
  return xs.map(dynamicsTest).filter((t): t is DynamicsTest => t !== null);
}

/** Every run of every input, finished or diverged, counted per (input, width, c); sorted by input label, width, c. */
export function lrBoundCells(xs: SweepInput[]): LrBoundCell[] {
  const cells: LrBoundCell[] = [];
  for (const x of xs) {
    const input = `${x.embedder} d=${x.d}`;
    const byWidth = new Map<number, Map<number, LrBoundCell>>();
    const add = (width: number, lr: number, diverged: boolean) => {
      const byLr = byWidth.get(width) ?? byWidth.set(width, new Map()).get(width)!;
      const c = byLr.get(lr) ?? byLr.set(lr, { input, width, lr, runs: 0, diverged: 0 }).get(lr)!;
      c.runs++;
      if (diverged) c.diverged++;
    };
    for (const r of x.inp.mlp.runs) add(r.key.width, r.key.lr, false);
    for (const id of x.inp.mlp.diverged) {
      const k = parseRunId(id);
      if (k) add(k.width, k.lr, true);
    }
    for (const byLr of byWidth.values()) cells.push(...byLr.values());
  }
  return cells.sort((a, b) => a.input.localeCompare(b.input) || a.width - b.width || a.lr - b.lr);
}

/** The (input, width) groups where a rate at or above the bound c = 2 was tried: only they say anything about it. */
export function lrBoundGroups(cells: LrBoundCell[]): LrBoundGroup[] {
  const groups: LrBoundGroup[] = [];
  for (const c of cells.filter((q) => q.lr >= 2)) {
    if (groups.some((g) => g.input === c.input && g.width === c.width)) continue;
    const at = cells.filter((q) => q.input === c.input && q.width === c.width);
    const ok = at.filter((q) => q.diverged === 0).map((q) => q.lr);
    const bad = at.filter((q) => q.diverged > 0).map((q) => q.lr);
    groups.push({
      input: c.input,
      width: c.width,
      maxStable: ok.length ? Math.max(...ok) : null,
      minDiverged: bad.length ? Math.min(...bad) : null,
    });
  }
  return groups;
}
