import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSubmission, type KrrMetrics, type RunMetrics } from '@tangent/contracts';
import { krrMetricsFixture } from '@tangent/contracts/testing';
import { loglogSlope } from '@tangent/kernels';
import { rng } from '@tangent/linalg';
import { analyse, meanCi95, perSeedSlopes, t975, tTestP } from './analyse.ts';
import { renderSvg } from './charts.ts';
import { summariseRuns, type AnalysisInputs } from './collect.ts';
import { runId, type EvalCorrectness } from './paired-eval.ts';
import { renderReport } from './report.ts';

interface Synthetic {
  seeds?: number[];
  widths?: number[];
  /** Per-seed exponents of the init error and of ΔΘ: error_s(m) = C·m^initSlopes[s], ΔΘ_s(m) = 3·m^dtSlopes[s]. */
  initSlopes?: number[];
  dtSlopes?: number[];
  /** The constant C of the init error (default 2) and the one the runs record as predicted (default C). */
  initC?: number;
  predictedC?: number;
  /** Per-seed ΔΘ at the widest width, when set (overrides dtSlopes' scale there: ΔΘ_s(m) = widestDt[s]·(m/m_max)^slope). */
  widestDt?: number[];
  /** Per-seed eval accuracy of the widest width (the summary's figure). */
  widestAcc?: number[];
  krrAcc?: number;
  evalRows?: number;
  /**
   * Per-row correctness: KRR right on a fixed set of rows; every network seed equals KRR with `flip` of
   * KRR's right rows made wrong and `gain` of its wrong rows made right (random rows per seed).
   * widest: the widest width at the main rate; sweep: the extra rates (c = 0.5 and 1.5 at m = 16, 64).
   */
  widestFlip?: { flip: number; gain: number };
  sweepFlip?: Record<string, { flip: number; gain: number }>;
}

const N_EVAL = 400;
const SWEEP = [
  { width: 16, lr: 0.5 },
  { width: 16, lr: 1.5 },
  { width: 64, lr: 0.5 },
  { width: 64, lr: 1.5 },
];

/** KRR's correctness with `flip` right rows made wrong and `gain` wrong rows made right, at rows drawn by `seed`. */
function perturbed(krr: Uint8Array, o: { flip: number; gain: number }, seed: number): Uint8Array {
  const r = rng(seed);
  const out = Uint8Array.from(krr);
  const right = [...krr.keys()].filter((i) => krr[i]),
    wrong = [...krr.keys()].filter((i) => !krr[i]);
  r.shuffle(right);
  r.shuffle(wrong);
  for (const i of right.slice(0, o.flip)) out[i] = 0;
  for (const i of wrong.slice(0, o.gain)) out[i] = 1;
  return out;
}

/**
 * A synthetic pipeline outcome with known per-seed power laws and per-row correctness. The summary is
 * recomputed from the runs (mean and sd over seeds) by hand here; `summariseRuns` must agree (tested below).
 */
function inputs(o: Synthetic = {}): { inp: AnalysisInputs; ev: EvalCorrectness } {
  const widths = o.widths ?? [16, 64, 256, 1024, 4096];
  const seeds = o.seeds ?? [0, 1, 2];
  const mMax = Math.max(...widths);
  const initSlopes = o.initSlopes ?? seeds.map((_, i) => -0.5 + 0.02 * (i - 1));
  const dtSlopes = o.dtSlopes ?? seeds.map((_, i) => -1 + 0.02 * (i - 1));
  const widestAcc = o.widestAcc ?? seeds.map((_, i) => 0.805 + 0.002 * (i - 1));
  const C = o.initC ?? 2;
  const metrics = (width: number, seed: number, lr: number, s: number, acc: number, dt: number) =>
    ({
      width,
      seed,
      lr,
      kernel_init_error: C * width ** initSlopes[s],
      kernel_init_error_sqrt_m_predicted: o.predictedC ?? C,
      delta_theta: dt,
      eval_accuracy: acc,
      eval_f1: 0.76,
    }) as never as RunMetrics;
  const runs = widths.flatMap((width) =>
    seeds.map((seed, s) => {
      const dt = o.widestDt ? o.widestDt[s] * (width / mMax) ** dtSlopes[s] : 3 * width ** dtSlopes[s];
      const acc = width === mMax ? widestAcc[s] : 0.79;
      return {
        key: { width, seed, lr: 1 },
        metrics: metrics(width, seed, 1, s, acc, dt),
        history: [0, 1, 2].map((epoch) => ({
          epoch,
          train_loss: 1 / (epoch + 1),
          eval_accuracy: 0.8,
          delta_theta: epoch === 0 ? 0 : (epoch * dt) / 2,
        })),
      };
    }),
  );
  // The sweep's runs (their ΔΘ grows with width: they must not enter the slopes); seed 0 of m = 16, c = 1.5 diverged.
  const diverged = ['w16-s0-lr1.5'];
  for (const c of SWEEP)
    seeds.forEach((seed, s) => {
      if (runId(c.width, seed, c.lr) === diverged[0]) return;
      runs.push({ ...runs[0], key: { width: c.width, seed, lr: c.lr }, metrics: metrics(c.width, seed, c.lr, s, 0.79, 9) });
    });
  const sdOf = (v: number[]) => (v.length < 2 ? 0 : Math.sqrt(v.reduce((a, x) => a + (x - mean(v)) ** 2, 0) / (v.length - 1)));
  const mean = (v: number[]) => v.reduce((a, x) => a + x, 0) / v.length;
  const krrAcc = o.krrAcc ?? 0.81;
  // per-row correctness: truth alternates 0/1; KRR is right on the first 81 % of the rows
  const truth = Int8Array.from({ length: N_EVAL }, (_, i) => i % 2);
  const krr = Uint8Array.from({ length: N_EVAL }, (_, i) => +(i < 0.81 * N_EVAL));
  const ev: EvalCorrectness = { truth, krr, runs: new Map() };
  for (const r of runs) {
    const k = `${r.key.width}/${r.key.lr}`;
    const spec =
      r.key.lr === 1
        ? r.key.width === mMax
          ? (o.widestFlip ?? { flip: 3, gain: 3 })
          : { flip: 20, gain: 0 }
        : (o.sweepFlip?.[k] ?? { flip: 8, gain: 8 });
    ev.runs.set(runId(r.key.width, r.key.seed, r.key.lr), perturbed(krr, spec, 1000 * r.key.width + 10 * r.key.seed + r.key.lr));
  }
  const inp: AnalysisInputs = {
    input: 'demo-d8',
    krr: {
      metrics: krrMetrics(krrAcc, o.evalRows ?? 1522),
      cv: [1e-3, 1e-2, 1e-1, 1].map((lambda, i) => ({
        lambda,
        accuracy_mean: 0.7 + 0.03 * i,
        accuracy_sd: 0.01,
        f1_mean: 0.6,
        f1_sd: 0.01,
        loo_accuracy: null,
        selected: i === 2,
      })),
    },
    mlp: {
      summary: {
        ntk_accuracy: krrAcc,
        ntk_f1: 0.77,
        widths: widths.map((width) => {
          const rs = runs.filter((r) => r.key.width === width && r.key.lr === 1).map((r) => r.metrics);
          return {
            width,
            seeds: rs.length,
            delta_theta_mean: mean(rs.map((m) => m.delta_theta!)),
            delta_theta_sd: sdOf(rs.map((m) => m.delta_theta!)),
            accuracy_mean: mean(rs.map((m) => m.eval_accuracy!)),
            accuracy_sd: sdOf(rs.map((m) => m.eval_accuracy!)),
            f1_mean: 0.76,
            kernel_init_error_mean: mean(rs.map((m) => m.kernel_init_error!)),
          };
        }),
        delta_theta_loglog_slope: -1,
        diverged_runs: [],
      },
      mainLr: 1,
      diverged,
      runs,
    },
    hybrid: [],
    submissions: [{ file: 'ntk-krr.csv', rows: 3, positives: 1 }],
  };
  return { inp, ev };
}

const BOOT = { resamples: 500, seed: 7 };
/** analyse() on a synthetic outcome, with its per-row correctness. */
const run = (o: Synthetic = {}) => {
  const { inp, ev } = inputs(o);
  return analyse(inp, { eval: ev, bootstrap: BOOT });
};

/** The ntk stage's metrics.json (contracts' KrrMetrics) of the synthetic outcome. */
const krrMetrics = (accuracy: number, evalRows: number): KrrMetrics =>
  krrMetricsFixture({ input: 'demo-d8', accuracy, f1: 0.77, evalRows, loo: true });

/** t(0.975, df = 2), from tables: the 95 % interval of a mean of three seeds is mean ± T2·sd/√3. */
const T2 = 4.302653;
const byClaim = (a: ReturnType<typeof analyse>, s: string) => {
  const c = a.checks.find((x) => x.claim.includes(s));
  if (!c) throw new Error(`no check mentioning '${s}'`);
  return c;
};
/** Three per-seed slopes with mean mu and sd 0.1·spread: mean ± T2·0.1·spread/√3 is the CI. */
const three = (mu: number, spread: number) => [mu - 0.1 * spread, mu, mu + 0.1 * spread];
const EPS = 1e-4;

describe('t975 and meanCi95', () => {
  it('match the t tables and tend to the normal quantile', () => {
    expect(t975(2)).toBeCloseTo(T2, 3);
    expect(t975(10)).toBeCloseTo(2.228139, 3);
    expect(t975(60)).toBeCloseTo(2.000298, 3); // Cornish–Fisher branch
    expect(t975(1e6)).toBeCloseTo(1.959964, 5);
    expect(t975(0)).toBeNaN();
  });
  it('gives mean ± t·sd/√n, and nothing for one replicate', () => {
    const ci = meanCi95([1, 2, 3])!; // sd 1
    expect(ci.mean).toBe(2);
    expect(ci.lo).toBeCloseTo(2 - T2 / Math.sqrt(3), 5);
    expect(ci.hi).toBeCloseTo(2 + T2 / Math.sqrt(3), 5);
    expect(meanCi95([1])).toBeNull();
  });
});

describe('perSeedSlopes', () => {
  it('fits each seed on its own points, drops a seed without two usable ones, and takes the t-interval over seeds', () => {
    const p = (seed: number, x: number, y: number) => ({ seed, x, y });
    const { perSeed, ci } = perSeedSlopes([
      p(2, 1, 1),
      p(0, 1, 2),
      p(1, 1, 1),
      p(2, 10, 0.1),
      p(0, 4, 1),
      p(1, 10, 0),
      p(3, 2, 1),
      p(3, 8, 8),
    ]);
    expect(perSeed.map((s) => s.seed)).toEqual([0, 2, 3]); // seed 1's second point has y = 0: no slope
    expect(perSeed[0].slope).toBeCloseTo(-0.5, 14);
    expect(perSeed[1].slope).toBeCloseTo(-1, 14);
    expect(perSeed[2].slope).toBeCloseTo(1.5, 14);
    expect(ci!.mean).toBeCloseTo(0, 14);
    expect(ci!.hi).toBeCloseTo((T2 * Math.sqrt(1.75)) / Math.sqrt(3), 5); // sd² = (0.25 + 1 + 2.25)/2
    expect(perSeedSlopes([p(0, 1, 1), p(0, 2, 2)]).ci).toBeNull(); // one seed: no spread to estimate
  });
});

/** The sweep's m = 16 and 64 at c = 1.5 each gain 40 rows (+10 points) over KRR in every seed. */
const SWEEP_WINS = { '16/1.5': { flip: 0, gain: 40 }, '64/1.5': { flip: 0, gain: 40 } };

describe('analyse', () => {
  it('fits the slopes per seed at the main learning rate and judges the expected observations', () => {
    const a = run({ initSlopes: [-0.45, -0.5, -0.55], dtSlopes: [-1, -0.9, -1.1], sweepFlip: SWEEP_WINS });
    expect(a.slopes.kernelInitError!.perSeed.map((p) => p.slope.toFixed(6))).toEqual(['-0.450000', '-0.500000', '-0.550000']);
    expect(a.slopes.kernelInitError!.mean).toBeCloseTo(-0.5, 10);
    expect(a.slopes.kernelInitError!.hi).toBeCloseTo(-0.5 + (T2 * 0.05) / Math.sqrt(3), 5);
    expect(a.slopes.deltaTheta!.mean).toBeCloseTo(-1, 10); // the sweep's runs (ΔΘ = 9) are left out
    expect(a.slopes.deltaTheta!.lo).toBeCloseTo(-1 - (T2 * 0.1) / Math.sqrt(3), 5);
    expect(a.checks).toHaveLength(6);
    for (const c of a.checks) expect(c.holds, c.claim).toBe(true);
    for (const c of a.checks) expect(c.criterion, c.claim).toMatch(/^holds iff .*;/);
    expect(a.checks.reduce((s, c) => s + c.intervals, 0)).toBe(4 + 1 + 4 + 4); // slopes, constant, lazy, widest; sweep 4 + 4
    expect(a.comparison).toHaveLength(6);
    expect(a.comparison[0].accuracy_mean).toBe(0.81);
  });

  it('Θ̂₀ check flips as −1/2 leaves the slope CI, and as the CI reaches 0', () => {
    const half = (T2 * 0.1 * 0.1) / Math.sqrt(3); // spread 0.1: sd 0.01
    const init = (mu: number, spread = 0.1) => byClaim(run({ initSlopes: three(mu, spread) }), 'Θ̂₀ → Θ').holds;
    expect(init(-0.5 + half - EPS)).toBe(true); // lower end just below −1/2
    expect(init(-0.5 + half + EPS)).toBe(false); // just above: the data reject −1/2 (too flat)
    expect(init(-0.5 - half + EPS)).toBe(true);
    expect(init(-0.5 - half - EPS)).toBe(false); // too steep
    const wide = (T2 * 0.1 * 3) / Math.sqrt(3); // spread 3: a CI wide enough to reach 0
    expect(init(-wide - EPS, 3)).toBe(true);
    expect(init(-wide + EPS, 3)).toBe(false); // CI upper end above 0: no evidence the error falls
  });

  it('the Θ̂₀ constant check flips as the predicted C² leaves the t-CI of the per-seed mean of m·err²', () => {
    const slopes = three(-0.5, 0.3),
      C = 2,
      widths = [16, 64, 256, 1024, 4096];
    // y_s = mean over widths of m·(C m^slope_s)²: the replicate per seed, computed independently here
    const y = slopes.map((b) => widths.reduce((s, m) => s + m * (C * m ** b) ** 2, 0) / widths.length);
    const ci = meanCi95(y)!;
    const constant = (pred: number) => run({ initSlopes: slopes, initC: C, predictedC: pred });
    const inside = constant(Math.sqrt(ci.hi) * (1 - EPS));
    expect(byClaim(inside, 'predicted from the data').holds).toBe(true);
    expect(inside.initConstant!.measured).toBeCloseTo(Math.sqrt(ci.mean), 12);
    expect(inside.initConstant!.hi).toBeCloseTo(Math.sqrt(ci.hi), 12);
    expect(inside.initConstant!.p!).toBeGreaterThan(0.05);
    expect(inside.initConstant!.p!).toBeCloseTo(0.05, 3); // the t-test and the t-interval agree at the edge
    const outside = constant(Math.sqrt(ci.hi) * (1 + EPS));
    expect(byClaim(outside, 'predicted from the data').holds).toBe(false);
    expect(byClaim(constant(C), 'predicted from the data').holds).toBe(true);
    expect(byClaim(constant(1.5 * C), 'predicted from the data').measured).toMatch(/predicted 3\.000/);
    expect(tTestP([1, 2, 3], 2)).toBe(1);
  });

  it('ΔΘ slope check needs the whole CI at or below −1/2: it flips at upper end = −1/2', () => {
    const dt = (mu: number, spread: number) => byClaim(run({ dtSlopes: three(mu, spread) }), 'ΔΘ falls').holds;
    const h = (spread: number) => (T2 * 0.1 * spread) / Math.sqrt(3);
    expect(dt(-0.5 - h(0.1) - EPS, 0.1)).toBe(true);
    expect(dt(-0.5 - h(0.1) + EPS, 0.1)).toBe(false); // the upper end crosses −1/2
    // the old criterion (lower end ≤ −1/2, upper end < 0) passed a slope of −0.3 with a wide CI; this one does not
    expect(-0.3 - h(1)).toBeLessThan(-0.5);
    expect(-0.3 + h(1)).toBeLessThan(0);
    expect(dt(-0.3, 1)).toBe(false);
    expect(dt(-2, 0)).toBe(true); // steeper than the bound is consistent with it
  });

  it('lazy-training check flips as the upper CI end of ΔΘ at the widest width crosses 5 %', () => {
    const upperOverMean = 1 + (T2 * 0.1) / Math.sqrt(3); // seeds at 0.9, 1, 1.1 × A
    const lazy = (A: number) => byClaim(run({ widestDt: [0.9 * A, A, 1.1 * A] }), 'Lazy').holds;
    expect(lazy((0.05 / upperOverMean) * (1 - EPS))).toBe(true);
    expect(lazy((0.05 / upperOverMean) * (1 + EPS))).toBe(false);
    expect(lazy(0.045)).toBe(false); // mean below 5 % but the CI is not
  });

  it('widest MLP vs KRR is paired on the eval rows: 3 discordant rows each way hold, 12 lost rows per seed flip it', () => {
    const same = run({ widestFlip: { flip: 3, gain: 3 } });
    const c = byClaim(same, 'matches kernel');
    expect(c.holds).toBe(true);
    expect(same.widestVsKrr!.mean).toBe(0);
    // pairing: the resolution is far finer than two unpaired binomial accuracies on 400 rows (±5.4 points)
    const resolution = Number(/resolution ±([\d.]+) points/.exec(c.measured)![1]);
    expect(resolution).toBeLessThan(1.5);
    expect(resolution).toBeLessThan((100 * 1.96 * Math.sqrt((2 * 0.81 * 0.19) / N_EVAL)) / 3);
    const worse = run({ widestFlip: { flip: 12, gain: 0 } }); // −3 points in every seed
    expect(worse.widestVsKrr!.mean).toBeCloseTo(-12 / N_EVAL, 12);
    expect(worse.widestVsKrr!.hi).toBeLessThan(0);
    expect(byClaim(worse, 'matches kernel').holds).toBe(false);
    // a diverged seed is a failure (the all-negative network: 50 % here), not a dropped sample: with three seeds the
    // seed-level resampling then spans "no failed seed" to "all failed", and the resolution says so
    const { inp, ev } = inputs();
    inp.mlp.runs = inp.mlp.runs.filter((r) => !(r.key.width === 4096 && r.key.seed === 2));
    inp.mlp.diverged.push('w4096-s2-lr1');
    const dropped = analyse(inp, { eval: ev, bootstrap: BOOT });
    expect(dropped.widestVsKrr!.mean).toBeCloseTo((0.5 - 0.81) / 3, 12);
    expect(dropped.widestVsKrr!.lo).toBeLessThan(-0.2);
    expect(Number(/resolution ±([\d.]+) points/.exec(byClaim(dropped, 'matches kernel').measured)![1])).toBeGreaterThan(10);
  });

  it('the learning-rate sweep: paired CIs against KRR and the main rate, Holm over the sweep; the check flips with the gain', () => {
    const a = run({ sweepFlip: SWEEP_WINS });
    expect(a.lrSweep.map((r) => [r.width, r.lr, r.seeds, r.diverged])).toEqual([
      [16, 0.5, 3, 0],
      [16, 1.5, 3, 1],
      [64, 0.5, 3, 0],
      [64, 1.5, 3, 0],
    ]);
    const r16 = a.lrSweep[1],
      r64 = a.lrSweep[3];
    expect(r16.accuracy_mean).toBeCloseTo((0.5 + 0.91 + 0.91) / 3, 12); // the diverged seed as the all-negative net
    expect(r64.vs_krr.mean).toBeCloseTo(0.1, 12);
    expect(r64.vs_main_lr!.mean).toBeCloseTo(0.15, 12); // vs m = 64 at c = 1, 20 rows below KRR, paired by seed
    // Holm: the smallest p is multiplied by the family size (4)
    const ps = a.lrSweep.map((r) => r.vs_krr.p);
    const k = ps.indexOf(Math.min(...ps));
    expect(a.lrSweep[k].vs_krr.p_holm).toBeCloseTo(Math.min(1, 4 * ps[k]), 12);
    const check = byClaim(a, 'higher learning rate');
    expect(check.holds).toBe(true);
    expect(check.holm).toHaveLength(2);
    expect(check.measured).toContain('m=16 c=1.5 (1 of 3 seeds diverged)');
    // mutation: the faster-trained small nets only trade rows with KRR (no gain): the check flips
    expect(byClaim(run(), 'higher learning rate').holds).toBe(false);
    // a net gain of 2 rows out of 14 discordant ones per seed is not a finding either
    expect(byClaim(run({ sweepFlip: { '64/1.5': { flip: 6, gain: 8 } } }), 'higher learning rate').holds).toBe(false);
  });

  it('says n/a rather than a verdict without two seeds or without stored predictions', () => {
    const a = run({ seeds: [0], initSlopes: [-0.5], dtSlopes: [-1], widestAcc: [0.805] });
    expect(a.slopes.kernelInitError).toBeNull();
    expect(byClaim(a, 'Θ̂₀ → Θ').holds).toBeNull();
    expect(byClaim(a, 'predicted from the data').holds).toBeNull();
    expect(byClaim(a, 'ΔΘ falls').holds).toBeNull();
    expect(byClaim(a, 'Lazy').holds).toBeNull();
    const none = analyse(inputs().inp, { eval: null, bootstrap: BOOT });
    expect(byClaim(none, 'matches kernel').holds).toBeNull();
    expect(byClaim(none, 'higher learning rate').holds).toBeNull();
    expect(none.lrSweep).toEqual([]);
  });

  it('renders every figure to SVG and the report carries the numbers, the criteria, the sweep and the multiplicity note', async () => {
    const { inp, ev } = inputs({ sweepFlip: SWEEP_WINS });
    const a = analyse(inp, { eval: ev, bootstrap: BOOT });
    expect(a.figures.map((f) => f.name)).toEqual([
      'krr_lambda',
      'kernel_init_error',
      'delta_theta_width',
      'delta_theta_epochs',
      'eval_accuracy_epochs',
    ]);
    const svgs: Record<string, string> = {};
    for (const f of a.figures) svgs[f.name] = await renderSvg(f.spec);
    for (const s of Object.values(svgs)) expect(s.startsWith('<svg')).toBe(true);
    expect(svgs.kernel_init_error).toContain('relative Frobenius error');
    const html = renderReport(inp, a, svgs, '2026-01-01T00:00:00Z', '<p class="verdict">the answers</p>');
    expect(html).toContain('the answers');
    expect(html).toContain('81.00'); // KRR eval accuracy
    expect(html).toContain('80.50 ± 0.20'); // widest MLP
    expect(html).toContain('<th>criterion</th>');
    const cells = [...html.matchAll(/<td>(holds iff [^<]*)<\/td>/g)].map((x) =>
      x[1]
        .replace(/&quot;/g, '"')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&'),
    );
    expect(cells).toEqual(a.checks.map((c) => c.criterion));
    expect(html).toContain('<h2>Learning-rate sweep</h2>');
    expect(html).toContain('+10.00 [');
    expect(html).toMatch(/this page states 13 95 % confidence intervals/);
    expect(html).toContain('Holm');
    expect(html).toContain('ntk-krr.csv');
    expect(html).toContain('Diverged runs (recorded, excluded from the means): w16-s0-lr1.5');
    expect((html.match(/<svg/g) ?? []).length).toBe(a.figures.length);
  });
});

describe('summariseRuns', () => {
  it('is the width-by-width mean and sd over seeds at the main lr, other lrs left out, diverged main-lr runs listed', () => {
    const { inp } = inputs({ dtSlopes: [-1, -0.9, -1.1] });
    const got = summariseRuns(inp.mlp.runs, ['w16-s0-lr1.5', 'w64-s2-lr1'], 1, inp.krr.metrics);
    const want = inp.mlp.summary;
    expect(Object.keys(got)).toEqual(['ntk_accuracy', 'ntk_f1', 'widths', 'delta_theta_loglog_slope', 'diverged_runs']);
    expect(got.ntk_accuracy).toBe(0.81);
    expect(got.ntk_f1).toBe(0.77);
    expect(got.diverged_runs).toEqual(['w64-s2-lr1']);
    expect(got.widths.map((w) => w.width)).toEqual(want.widths.map((w) => w.width));
    got.widths.forEach((w, i) => {
      expect(Object.keys(w)).toEqual(Object.keys(want.widths[i]));
      for (const k of Object.keys(w) as Array<keyof typeof w>)
        expect(w[k] as number, `${w.width} ${k}`).toBeCloseTo(want.widths[i][k] as number, 12);
    });
    // the sweep's runs (ΔΘ = 9 at m = 64) are not in the m = 64 mean
    expect(got.widths[1].delta_theta_mean).toBeLessThan(1);
    expect(got.delta_theta_loglog_slope).toBeCloseTo(
      loglogSlope(
        want.widths.map((w) => w.width),
        want.widths.map((w) => w.delta_theta_mean),
      )!,
      12,
    );
  });
});

describe('checkSubmission', () => {
  const ids = Int32Array.from([0, 2, 3]);
  const check = (body: string) => {
    const p = join(mkdtempSync(join(tmpdir(), 'sub-')), 's.csv');
    writeFileSync(p, body);
    return checkSubmission(p, body, ids);
  };
  it('accepts a well-formed file and counts positives', () => {
    expect(check('id,target\n0,1\n2,0\n3,1\n')).toEqual({ file: 's.csv', rows: 3, positives: 2 });
  });
  it('rejects wrong length, order, target values and header with one line each', () => {
    expect(() => check('id,target\n0,1\n2,0\n')).toThrow(/2 rows, Kaggle expects 3/);
    expect(() => check('id,target\n0,1\n3,0\n2,1\n')).toThrow(/row 3 has id 3, expected 2/);
    expect(() => check('id,target\n0,1\n2,0.7\n3,1\n')).toThrow(/target '0.7', expected 0 or 1/);
    expect(() => check('id,label\n0,1\n2,0\n3,1\n')).toThrow(/header must be 'id,target'/);
  });
});
