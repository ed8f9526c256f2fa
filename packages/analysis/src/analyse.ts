import { loglogSlope, mean, sd } from '@tangent/kernels';
import type { RunMetrics } from '@tangent/contracts';
import type { TopLevelSpec } from 'vega-lite';
import { barChart, lineChart, logLogChart } from './charts.ts';
import type { AnalysisInputs } from './collect.ts';

export interface ComparisonRow {
  method: string;
  width: number | null;
  seeds: number;
  accuracy_mean: number;
  accuracy_sd: number;
  f1_mean: number | null;
  delta_theta_mean: number | null;
  kernel_init_error_mean: number | null;
}

/** One expected observation of the NTK theory, checked against the measured figures by a stated criterion. */
export interface Check {
  claim: string;
  /** The exact test the code applies, in words, with its derivation (shown in the report). */
  criterion: string;
  measured: string;
  holds: boolean | null;
}

/** A power-law exponent fitted per seed (log-log least squares across widths), with a t-interval over seeds. */
export interface SlopeFit {
  /** Mean of the per-seed slopes. */
  mean: number;
  /** 95 % confidence interval of the mean slope (t-distribution, seeds − 1 degrees of freedom). */
  lo: number;
  hi: number;
  perSeed: Array<{ seed: number; slope: number }>;
}

export interface Analysis {
  comparison: ComparisonRow[];
  checks: Check[];
  slopes: { kernelInitError: SlopeFit | null; deltaTheta: SlopeFit | null };
  figures: Array<{ name: string; caption: string; spec: TopLevelSpec }>;
}

const pct = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : `${(100 * v).toFixed(2)} %`);
const f2 = (v: number) => (v === Infinity ? '∞' : v === -Infinity ? '−∞' : v.toFixed(2));

// 97.5 % quantiles of Student's t for 1..30 degrees of freedom (to 6 decimals, as scipy.stats.t.ppf(0.975, df)
// gives them); above 30 the Cornish–Fisher expansion around z = 1.959964 is accurate to 1e-3.
const T975 = [
  12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139, 2.200985, 2.178813, 2.160369,
  2.144787, 2.13145, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831,
  2.048407, 2.04523, 2.042272,
];
const Z975 = 1.959964;

/** The 0.975 quantile of Student's t with `df` degrees of freedom (two-sided 95 % intervals). */
export function t975(df: number): number {
  if (!(df >= 1)) return NaN;
  if (df <= 30) return T975[Math.floor(df) - 1];
  const z = Z975;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2);
}

/** Mean and 95 % t-interval of independent replicates (null below two replicates: no spread to estimate). */
export function meanCi95(v: readonly number[]): { mean: number; lo: number; hi: number; halfWidth: number } | null {
  if (v.length < 2) return null;
  const m = mean(v);
  const h = (t975(v.length - 1) * sd(v)) / Math.sqrt(v.length);
  return { mean: m, lo: m - h, hi: m + h, halfWidth: h };
}

/**
 * The log-log slope of `pick(run)` against width, fitted separately for each seed over that seed's runs at
 * the main learning rate, then averaged over seeds with a 95 % t-interval. Seeds are independent
 * initialisations, so their slopes are i.i.d. replicates; the widths within one seed are not (they share the
 * data), which is why the interval is over seeds and not over the width points of one regression.
 */
export function seedSlopes(inp: AnalysisInputs, pick: (m: RunMetrics) => number | null): SlopeFit | null {
  const bySeed = new Map<number, Array<[number, number]>>();
  for (const r of inp.mlp.runs) {
    if (r.key.lr !== inp.mlp.mainLr) continue;
    const v = pick(r.metrics);
    if (v === null || !Number.isFinite(v)) continue;
    bySeed.set(r.key.seed, [...(bySeed.get(r.key.seed) ?? []), [r.key.width, v]]);
  }
  const perSeed = [...bySeed.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([seed, pts]) => ({
      seed,
      slope: loglogSlope(
        pts.map((p) => p[0]),
        pts.map((p) => p[1]),
      ),
    }))
    .filter((s): s is { seed: number; slope: number } => s.slope !== null);
  const ci = meanCi95(perSeed.map((s) => s.slope));
  return ci && { mean: ci.mean, lo: ci.lo, hi: ci.hi, perSeed };
}

/**
 * Criteria of the theory checks. Each is derived in the comment next to it and quoted in the report.
 *
 * Θ̂₀ − Θ: for fixed inputs Θ̂₀ = (1/m) Σ_k ξ_k is a mean of m i.i.d. per-neuron terms with mean Θ
 * (ntk-relu2.ts), so E‖Θ̂₀ − Θ‖²_F = tr Cov(ξ)/m and the relative Frobenius error scales as m^−1/2: slope −1/2
 * exactly, not a bound. The check is that −1/2 is inside the 95 % CI of the per-seed slopes (the data do not
 * reject the exponent) and the CI lies below 0 (the error does fall).
 */
export const INIT_SLOPE = -0.5;
/**
 * ΔΘ = ‖Θ̂_T − Θ̂₀‖_F/‖Θ̂₀‖_F: Jacot et al. (2018) and Lee et al. (2019, thm 2.1) bound it by O(m^−1/2) uniformly
 * in t; for two layers with the 1/√m output many works observe ~1/m (Dyer & Gur-Ari 2020). The theory
 * therefore predicts a slope ≤ −1/2 (a bound, so anything steeper is consistent). The check: the 95 % CI's
 * upper end is below 0 (ΔΘ significantly falls with width) and its lower end is ≤ −1/2 (the data do not
 * reject a slope at or below −1/2).
 */
export const DELTA_THETA_SLOPE_BOUND = -0.5;
/**
 * "Lazy" has no theoretical threshold: ΔΘ → 0 only as m → ∞. The report uses the convention ΔΘ < 5 % and
 * requires the upper end of the 95 % t-interval over seeds at the widest width to be below it, so that the
 * verdict does not hang on a lucky seed.
 */
export const LAZY_DELTA_THETA = 0.05;

/** Turn the collected stage outputs into the comparison table, theory checks and figures. */
export function analyse(inp: AnalysisInputs): Analysis {
  const { krr, mlp } = inp;
  const widths = [...mlp.summary.widths].sort((a, b) => a.width - b.width);
  const comparison: ComparisonRow[] = [
    {
      method: `${krr.metrics.kernel.toUpperCase()} kernel ridge (depth ${krr.metrics.depth}, λ=${krr.metrics.chosen_lambda.toPrecision(3)})`,
      width: null,
      seeds: 1,
      accuracy_mean: krr.metrics.eval.accuracy,
      accuracy_sd: 0,
      f1_mean: krr.metrics.eval.f1,
      delta_theta_mean: null,
      kernel_init_error_mean: null,
    },
    ...widths.map((w) => ({
      method: `MLP m=${w.width}`,
      width: w.width,
      seeds: w.seeds,
      accuracy_mean: w.accuracy_mean,
      accuracy_sd: w.accuracy_sd,
      f1_mean: w.f1_mean,
      delta_theta_mean: w.delta_theta_mean,
      kernel_init_error_mean: w.kernel_init_error_mean,
    })),
  ];

  const initSlope = seedSlopes(inp, (m) => m.kernel_init_error);
  const dtSlope = seedSlopes(inp, (m) => m.delta_theta);
  const slopeText = (s: SlopeFit | null) =>
    s === null
      ? 'n/a (needs ≥ 2 seeds with ≥ 2 widths each)'
      : `mean slope over ${s.perSeed.length} seeds ${f2(s.mean)}, 95 % CI [${f2(s.lo)}, ${f2(s.hi)}] (per seed: ${s.perSeed
          .map((p) => p.slope.toFixed(2))
          .join(', ')})`;
  const widest = widths[widths.length - 1];
  const checks: Check[] = [];
  if (widest) {
    checks.push({
      claim: 'Θ̂₀ → Θ as m grows: the relative error ‖Θ̂₀ − Θ‖_F/‖Θ‖_F falls like m^-1/2',
      criterion:
        'holds iff the 95 % t-CI (over seeds) of the per-seed log-log slope contains −1/2 and lies below 0; ' +
        'Θ̂₀ is a mean of m i.i.d. per-neuron terms with mean Θ, so its error has variance ∝ 1/m: exponent −1/2 exactly',
      measured: `${slopeText(initSlope)}; ${pct(widest.kernel_init_error_mean)} at m=${widest.width}`,
      holds: initSlope === null ? null : initSlope.hi < 0 && initSlope.lo <= INIT_SLOPE && INIT_SLOPE <= initSlope.hi,
    });
    const lazy =
      Number.isFinite(widest.delta_theta_mean) && widest.seeds >= 2
        ? widest.delta_theta_mean + (t975(widest.seeds - 1) * widest.delta_theta_sd) / Math.sqrt(widest.seeds)
        : null;
    checks.push({
      claim: `Lazy training: ΔΘ at the end of training below ${100 * LAZY_DELTA_THETA} % at m=${widest.width}`,
      criterion: `holds iff the upper end of the 95 % t-CI over seeds of ΔΘ at m=${widest.width} is < ${100 * LAZY_DELTA_THETA} %; the 5 % is a convention for "lazy" (theory only gives ΔΘ → 0 as m → ∞)`,
      measured: `${pct(widest.delta_theta_mean)} over ${widest.seeds} seeds, 95 % CI upper end ${lazy === null ? 'n/a (needs ≥ 2 seeds)' : pct(lazy)}`,
      holds: lazy === null ? null : lazy < LAZY_DELTA_THETA,
    });
    checks.push({
      claim: 'ΔΘ falls with width at least as fast as m^-1/2 (log-log slope ≤ −1/2)',
      criterion:
        'holds iff the 95 % t-CI (over seeds) of the per-seed log-log slope of ΔΘ lies below 0 and its lower end is ≤ −1/2; ' +
        'Jacot 2018 / Lee et al. 2019 bound ΔΘ by O(m^-1/2) (slope ≤ −1/2), two-layer nets often show ~1/m (slope −1)',
      measured: slopeText(dtSlope),
      holds: dtSlope === null ? null : dtSlope.hi < 0 && dtSlope.lo <= DELTA_THETA_SLOPE_BOUND,
    });
    const n = krr.metrics.eval.rows;
    const pM = widest.accuracy_mean,
      pK = krr.metrics.eval.accuracy;
    const gap = pM - pK;
    // SE of the gap: binomial sampling of the n eval rows for each accuracy, taken as independent (the two
    // share the rows, so positively correlated errors make the true SE smaller: this errs towards "holds"),
    // plus the spread of the MLP's seeds around their mean (sd²/seeds). Per-row MLP predictions are not stored,
    // so a paired test (McNemar / paired bootstrap over rows) is not possible here.
    const se = Math.sqrt((pM * (1 - pM)) / n + (pK * (1 - pK)) / n + widest.accuracy_sd ** 2 / Math.max(widest.seeds, 1));
    const half = Z975 * se;
    checks.push({
      claim: `The widest MLP (m=${widest.width}) matches kernel regression on the eval split (no detectable accuracy gap)`,
      criterion:
        `holds iff the 95 % CI of acc(MLP) − acc(KRR), gap ± 1.96·SE, contains 0; SE² = p₁(1−p₁)/n + p₂(1−p₂)/n + sd²_seeds/k ` +
        `with n = ${n} eval rows (unpaired binomial, conservative) and k = ${widest.seeds} seeds; a non-rejection, so the ± in the measured column is the smallest gap this split can detect. Theory: as m → ∞ gradient descent trains the network's linearisation, a kernel predictor (Lee et al. 2019); KRR with the CV-chosen λ is its closest stationary counterpart, not the identical predictor`,
      measured: `${pct(pM)} vs ${pct(pK)}: gap ${(100 * gap).toFixed(2)} ± ${(100 * half).toFixed(2)} points`,
      holds: Number.isFinite(gap) && Number.isFinite(half) ? Math.abs(gap) <= half : null,
    });
  }

  const figures: Analysis['figures'] = [];
  figures.push({
    name: 'krr_lambda',
    caption: `Kernel ridge regression: ${krr.metrics.cv.folds}-fold CV accuracy (±1 sd) over λ; the red line marks the chosen λ.`,
    spec: lineChart({
      title: 'CV accuracy vs ridge λ',
      rows: krr.cv.map((r) => ({
        lambda: r.lambda,
        accuracy: r.accuracy_mean,
        lo: r.accuracy_mean - r.accuracy_sd,
        hi: r.accuracy_mean + r.accuracy_sd,
      })),
      x: 'lambda',
      y: 'accuracy',
      xTitle: 'λ',
      yTitle: 'accuracy',
      xLog: true,
      band: { lower: 'lo', upper: 'hi' },
      marker: { value: krr.metrics.chosen_lambda, label: 'chosen' },
    }),
  });
  const initRows = widths
    .filter((w) => w.kernel_init_error_mean !== null)
    .map((w) => ({ width: w.width, error: w.kernel_init_error_mean }));
  if (initRows.length)
    figures.push({
      name: 'kernel_init_error',
      caption: '‖Θ̂₀ − Θ‖_F / ‖Θ‖_F on the tracked subset, mean over seeds; dashed: slope −1/2.',
      spec: logLogChart({
        title: 'Empirical NTK at init vs analytical NTK',
        rows: initRows,
        x: 'width',
        y: 'error',
        xTitle: 'width m',
        yTitle: 'relative Frobenius error',
        reference: { slope: -0.5, label: 'm^-1/2' },
      }),
    });
  figures.push({
    name: 'delta_theta_width',
    caption: 'Relative kernel change ΔΘ = ‖Θ̂_T − Θ̂₀‖_F / ‖Θ̂₀‖_F at the end of training, mean over seeds; dashed: slope −1/2.',
    spec: logLogChart({
      title: 'Kernel movement vs width',
      rows: widths.map((w) => ({ width: w.width, delta: w.delta_theta_mean })),
      x: 'width',
      y: 'delta',
      xTitle: 'width m',
      yTitle: 'ΔΘ at end',
      reference: { slope: -0.5, label: 'm^-1/2' },
    }),
  });
  const firstSeed = Math.min(...mlp.runs.map((q) => q.key.seed));
  const mainRuns = mlp.runs.filter((r) => r.key.seed === firstSeed && r.key.lr === mlp.mainLr);
  const traj = mainRuns.flatMap((r) =>
    r.history
      .filter((h) => h.delta_theta !== null && h.epoch > 0)
      .map((h) => ({ epoch: h.epoch, delta: h.delta_theta, width: `m=${r.metrics.width}` })),
  );
  if (traj.length)
    figures.push({
      name: 'delta_theta_epochs',
      caption: `ΔΘ(t) during training, one line per width (seed ${firstSeed}, natural learning rate ${mlp.mainLr}).`,
      spec: lineChart({
        title: 'Kernel movement during training',
        rows: traj,
        x: 'epoch',
        y: 'delta',
        xTitle: 'epoch',
        yTitle: 'ΔΘ(t)',
        series: 'width',
        yLog: true,
      }),
    });
  const accRows = mainRuns.flatMap((r) =>
    r.history
      .filter((h) => h.eval_accuracy !== null)
      .map((h) => ({ epoch: h.epoch, accuracy: h.eval_accuracy, width: `m=${r.metrics.width}` })),
  );
  if (accRows.length)
    figures.push({
      name: 'eval_accuracy_epochs',
      caption: 'Eval-split accuracy during training; the dashed line is kernel ridge regression on the same split.',
      spec: lineChart({
        title: 'Eval accuracy during training',
        rows: accRows,
        x: 'epoch',
        y: 'accuracy',
        xTitle: 'epoch',
        yTitle: 'accuracy',
        series: 'width',
        rule: { value: krr.metrics.eval.accuracy, label: 'KRR' },
      }),
    });
  for (const h of inp.hybrid) {
    const rows = Object.entries(h.summary)
      .filter(([, s]) => s)
      .map(([method, s]) => ({ method, value: s!.test_metric.mean, sd: s!.test_metric.sd }));
    figures.push({
      name: `hybrid_${h.name}`,
      caption: `Hybrid SGD→NTK on ${h.name}: test ${h.metric} per method (mean ± sd over seeds).`,
      spec: barChart({ title: `${h.name}: test ${h.metric}`, rows, method: 'method', y: 'value', sd: 'sd', yTitle: h.metric }),
    });
  }
  return { comparison, checks, slopes: { kernelInitError: initSlope, deltaTheta: dtSlope }, figures };
}
