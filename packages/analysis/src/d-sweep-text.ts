/**
 * The words of the d-sweep, dynamics and learning-rate-bound sections: number formats, the theory
 * paragraphs, and the verdicts, each a sentence computed from the typed rows and findings of
 * d-sweep.ts (plain text; d-sweep-report.ts escapes it into HTML).
 */
import { ALPHA, LAZY_DELTA_THETA } from './analyse.ts';
import type { SweepInput } from './collect.ts';
import type { Ci, DSweepFindings, DSweepRow, DynamicsRow, DynamicsTest, LrBoundGroup, WidthEnd } from './d-sweep.ts';

export const pct = (v: number | null | undefined, digits = 2) =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : `${(100 * v).toFixed(digits)} %`;
export const num = (v: number | null | undefined, digits = 3) =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toPrecision(digits);
export const ciText = (v: number | null, c: Ci | null, f = (x: number) => x.toFixed(2)) =>
  v === null ? '—' : c ? `${f(v)} [${f(c[0])}, ${f(c[1])}]` : f(v);
export const pText = (p: number | null) => (p === null ? '—' : p < 0.001 ? '< 0.001' : p.toFixed(3));
const widthEnd = (v: WidthEnd) => (typeof v === 'number' ? Math.round(v).toLocaleString('en') : v);

/** "m ≈ 911 [640, 1,330]" or the side of the grid. */
export function lazyWidthText(r: DSweepRow): string {
  if (r.width_for_delta_theta_5pct_status === null) return '—';
  if (r.width_for_delta_theta_5pct === null) return r.width_for_delta_theta_5pct_status;
  const c = r.width_for_delta_theta_5pct_ci95;
  return `${widthEnd(r.width_for_delta_theta_5pct)}${c ? ` [${widthEnd(c[0])}, ${widthEnd(c[1])}]` : ''}`;
}

/** An input's label: `d=64`, or `minilm d=64` when the sweep has several embedders. */
export type Label = (x: { embedder: string; d: number }) => string;
export const labelOf =
  (xs: SweepInput[]): Label =>
  (x) =>
    new Set(xs.map((y) => y.embedder)).size > 1 ? `${x.embedder} d=${x.d}` : `d=${x.d}`;
export const sortRows = <T extends { embedder: string; d: number }>(rows: T[]) =>
  [...rows].sort((a, b) => a.embedder.localeCompare(b.embedder) || a.d - b.d);

export const D_SWEEP_THEORY =
  'Theory: with h = relu(W1 x/√d) and inputs of norm √d the pre-activations are N(0,1) for every d, and Θ̂₀ is a mean of m i.i.d. per-neuron terms, so E[m·‖Θ̂₀ − Θ‖²_F/‖Θ‖²_F] = C² exactly, with C computed in closed form from the norms and cosines of the tracked rows (arc-cosine moments; @tangent/kernels ntk-relu2-variance.ts): a prediction the measured error can contradict, at each d. The change of a pre-activation during training is O(1/√m) independently of d, so ΔΘ falls as m^−1/2 or faster (Jacot et al. 2018; Lee et al. 2019; Dyer & Gur-Ari 2020).';

export const DYNAMICS_METHOD =
  'For every run the linearised model trained by the same full-batch GD, f_{t+1} = f_t − (η/n) Θ (f_t − y) from f₀ = 0 (the centred network), predicts the train loss and, through Θ(X_eval, X_fit), the eval loss at every epoch, with the network’s own Θ̂₀ and with the analytical Θ. The deviation is max over epochs of |L_pred − L| / L over both curves. Baseline: the same prediction, computed the same way (same η and epochs), from the NNGP — the infinite-width kernel of training the readout alone, i.e. a kernel that is wrong for this training by the first layer’s contribution; a deviation is small only relative to what a wrong kernel scores.';

export const LR_BOUND_THEORY =
  'The linearised model f_{t+1} − y = (I − ηΘ̂₀/n)(f_t − y) converges iff η λ_max(Θ̂₀)/n = c < 2. Each run’s learning rate is given in these natural units c, so the bound is the same line c = 2 at every width; a run whose loss grows past train.divergenceFactor × its initial value is recorded as diverged.';

/** The predicted-constant test over every tested input (null: none was tested). */
function constantVerdict(rows: DSweepRow[], label: Label): string | null {
  const tested = rows.filter((r) => r.kernel_init_error_sqrt_m_agrees !== null);
  if (!tested.length) return null;
  const agree = tested.filter((r) => r.kernel_init_error_sqrt_m_agrees);
  const each = (r: DSweepRow) =>
    `${label(r)}: measured ${ciText(r.kernel_init_error_sqrt_m_measured, r.kernel_init_error_sqrt_m_ci95, (v) => v.toFixed(3))} vs predicted ${num(r.kernel_init_error_sqrt_m_predicted, 4)} (Holm p ${pText(r.kernel_init_error_sqrt_m_p_holm)})`;
  return (
    `Θ̂₀ error·√m against the constant predicted from each input's tracked rows (holds iff the Holm-adjusted p of every input's t-test over seeds is > ${ALPHA}, ${tested.length} tests): ` +
    `${agree.length === tested.length ? 'holds' : 'does NOT hold'} — ${agree.length} of ${tested.length} agree. ` +
    tested.map(each).join('; ') +
    '.'
  );
}

/** The 5 % widths, input by input (null: no input has one). */
function lazyWidthVerdict(rows: DSweepRow[], label: Label): string | null {
  const w = sortRows(rows).filter((r) => r.width_for_delta_theta_5pct_status !== null);
  if (!w.length) return null;
  return (
    `Width where the seed-mean ΔΘ falls to ${100 * LAZY_DELTA_THETA} % (log-log interpolation between the bracketing widths; 95 % CI from a bootstrap of the seeds): ` +
    w.map((r) => `${label(r)}: ${lazyWidthText(r)}`).join('; ') +
    '.'
  );
}

/** ΔΘ·√m's d-exponent: reported with its interval, not tested. */
function dExponentVerdict(e: NonNullable<DSweepFindings['deltaThetaDExponent']>): string {
  const { width, slopes, ci } = e;
  return ci
    ? `ΔΘ·√m at m = ${width} scales as d^${ci.mean.toFixed(2)} (95 % CI [${ci.lo.toFixed(2)}, ${ci.hi.toFixed(2)}] over ${slopes.length} seeds): reported, not tested — ΔΘ's constant depends on the labels and the geometry, and no closed form predicts it here.`
    : `ΔΘ·√m at m = ${width}: too few seeds for an interval (exponents of d per seed: ${slopes.map((s) => s.toFixed(2)).join(', ') || 'none'}).`;
}

/** The sentences the d-sweep section states: the predicted-constant test, the 5 % widths, the d-exponent of ΔΘ·√m. */
export function dSweepVerdicts(rows: DSweepRow[], f: DSweepFindings, label: Label): string[] {
  const g = f.predictedExponent;
  return [
    constantVerdict(rows, label),
    g === null
      ? null
      : `The predicted constant itself scales as d^${g.toFixed(3)} across d: that is what the changing geometry of the PCA features (norms and cosines of the tracked rows) does to the Θ̂₀ error at fixed m, computed rather than assumed.`,
    lazyWidthVerdict(rows, label),
    f.deltaThetaDExponent && dExponentVerdict(f.deltaThetaDExponent),
    f.slopeRange && `The fitted exponents of ΔΘ in m range over [${f.slopeRange[0].toFixed(2)}, ${f.slopeRange[1].toFixed(2)}] across d.`,
  ].filter((v): v is string => v !== null);
}

const yes = (b: boolean | null, y: string, n: string) => (b === null ? 'n/a (needs ≥ 2 seeds)' : b ? y : n);

/** One input's dynamics verdict: the deviation's exponent in m, and the deviations at the widest width against the baseline. */
export function dynamicsVerdict(t: DynamicsTest, at: DynamicsRow | undefined, label: Label): string {
  return (
    `${label(t)}: the deviation from the Θ̂₀ prediction scales as m^${ciText(t.empirical_slope, t.empirical_slope_ci95)} over seeds ` +
    `(from the analytical Θ: m^${ciText(t.analytic_slope, t.analytic_slope_ci95)}) — shrinks with width (CI below 0): ` +
    `${yes(t.shrinks, 'yes', 'NO')}. At m = ${t.widest}: ${pct(at?.max_rel_dev_empirical)} from Θ̂₀, ${pct(at?.max_rel_dev_analytic)} from Θ, ` +
    `${pct(at?.max_rel_dev_nngp)} from the NNGP baseline; Θ̂₀/NNGP = ${ciText(t.ratio_to_nngp, t.ratio_to_nngp_ci95, (v) => v.toPrecision(3))} ` +
    `— the network follows its own kernel, not a wrong one (ratio CI below 1): ${yes(t.beats_baseline, 'yes', 'NO')}.`
  );
}

/** One (input, width)'s verdict on the bound c = 2, from the largest stable and the smallest diverged rate. */
export function lrBoundVerdict(g: LrBoundGroup): string {
  const { maxStable: maxOk, minDiverged: minBad } = g;
  let verdict: string;
  if (minBad === null)
    verdict = `no divergence up to c = ${maxOk}${maxOk !== null && maxOk > 2 ? ': stable above the linearised bound c = 2' : ''}`;
  else if (minBad < 2) verdict = `diverged at c = ${minBad} < 2: below the linearised bound`;
  else
    verdict = `stable up to c = ${maxOk ?? '—'}, diverged from c = ${minBad}: ${maxOk !== null && maxOk > 2 ? 'the divergence sets in above the bound c = 2' : 'consistent with the bound c = 2'}`;
  return `${g.input}, m = ${g.width}: ${verdict}.`;
}
