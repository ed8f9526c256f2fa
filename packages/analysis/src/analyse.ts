import { loglogSlope } from '@tangent/kernels';
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

/** One expected observation of the NTK theory, checked against the measured figures. */
export interface Check {
  claim: string;
  measured: string;
  holds: boolean | null;
}

export interface Analysis {
  comparison: ComparisonRow[];
  checks: Check[];
  slopes: { kernelInitError: number | null; deltaTheta: number | null };
  figures: Array<{ name: string; caption: string; spec: TopLevelSpec }>;
}

const pct = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : `${(100 * v).toFixed(2)} %`);

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

  const initSlope = loglogSlope(
    widths.map((w) => w.width),
    widths.map((w) => w.kernel_init_error_mean ?? NaN),
  );
  const dtSlope = loglogSlope(
    widths.map((w) => w.width),
    widths.map((w) => w.delta_theta_mean),
  );
  const widest = widths[widths.length - 1];
  const checks: Check[] = [];
  if (widest) {
    checks.push({
      claim: 'Θ̂₀ → Θ as m grows: relative error falls like m^-1/2',
      measured: `log-log slope ${initSlope?.toFixed(2) ?? 'n/a'}; ${pct(widest.kernel_init_error_mean)} at m=${widest.width}`,
      holds: initSlope === null ? null : initSlope < -0.35 && initSlope > -0.65,
    });
    checks.push({
      claim: `Lazy training: ΔΘ at the end of training below 5 % at m=${widest.width}`,
      measured: pct(widest.delta_theta_mean),
      holds: Number.isFinite(widest.delta_theta_mean) ? widest.delta_theta_mean < 0.05 : null,
    });
    checks.push({
      claim: 'ΔΘ falls with width (log-log slope ≤ −1/2; −1/2 from the O(m^-1/2) bound, −1 from the O(1/m) rate of Dyer & Gur-Ari)',
      measured: `slope ${dtSlope?.toFixed(2) ?? 'n/a'}`,
      holds: dtSlope === null ? null : dtSlope < -0.35,
    });
    const gap = widest.accuracy_mean - krr.metrics.eval.accuracy;
    checks.push({
      claim: `The widest MLP (m=${widest.width}) is within about one point of kernel regression on the eval split`,
      measured: `${pct(widest.accuracy_mean)} vs ${pct(krr.metrics.eval.accuracy)} (gap ${(100 * gap).toFixed(2)} points)`,
      holds: Math.abs(gap) <= 0.0125,
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
