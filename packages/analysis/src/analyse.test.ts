import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSubmission, type KrrMetrics, type RunMetrics } from '@tangent/contracts';
import { loglogSlope } from '@tangent/kernels';
import { analyse, meanCi95, t975 } from './analyse.ts';
import { renderSvg } from './charts.ts';
import { summariseRuns, type AnalysisInputs } from './collect.ts';
import { renderReport } from './report.ts';

interface Synthetic {
  seeds?: number[];
  widths?: number[];
  /** Per-seed exponents of the init error and of ΔΘ: error_s(m) = 2·m^initSlopes[s], ΔΘ_s(m) = 3·m^dtSlopes[s]. */
  initSlopes?: number[];
  dtSlopes?: number[];
  /** Per-seed ΔΘ at the widest width, when set (overrides dtSlopes' scale there: ΔΘ_s(m) = widestDt[s]·(m/m_max)^slope). */
  widestDt?: number[];
  /** Per-seed eval accuracy of the widest width. */
  widestAcc?: number[];
  krrAcc?: number;
  evalRows?: number;
}

/**
 * A synthetic pipeline outcome with known per-seed power laws. The summary is recomputed from the runs
 * (mean and sd over seeds) by hand here; `summariseRuns` must agree (tested below).
 */
function inputs(o: Synthetic = {}): AnalysisInputs {
  const widths = o.widths ?? [16, 64, 256, 1024, 4096];
  const seeds = o.seeds ?? [0, 1, 2];
  const mMax = Math.max(...widths);
  const initSlopes = o.initSlopes ?? seeds.map((_, i) => -0.5 + 0.02 * (i - 1));
  const dtSlopes = o.dtSlopes ?? seeds.map((_, i) => -1 + 0.02 * (i - 1));
  const widestAcc = o.widestAcc ?? seeds.map((_, i) => 0.805 + 0.002 * (i - 1));
  const runs = widths.flatMap((width) =>
    seeds.map((seed, s) => {
      const dt = o.widestDt ? o.widestDt[s] * (width / mMax) ** dtSlopes[s] : 3 * width ** dtSlopes[s];
      const acc = width === mMax ? widestAcc[s] : 0.79;
      return {
        key: { width, seed, lr: 1 },
        metrics: {
          width,
          seed,
          lr: 1,
          kernel_init_error: 2 * width ** initSlopes[s],
          delta_theta: dt,
          eval_accuracy: acc,
          eval_f1: 0.76,
        } as never as RunMetrics,
        history: [0, 1, 2].map((epoch) => ({
          epoch,
          train_loss: 1 / (epoch + 1),
          eval_accuracy: 0.8,
          delta_theta: epoch === 0 ? 0 : (epoch * dt) / 2,
        })),
      };
    }),
  );
  // A run at another learning rate that must not enter the slopes (its ΔΘ grows with width).
  runs.push({ ...runs[0], key: { width: 64, seed: 0, lr: 1.5 }, metrics: { ...runs[0].metrics, width: 64, delta_theta: 9 } });
  const sdOf = (v: number[]) => (v.length < 2 ? 0 : Math.sqrt(v.reduce((a, x) => a + (x - mean(v)) ** 2, 0) / (v.length - 1)));
  const mean = (v: number[]) => v.reduce((a, x) => a + x, 0) / v.length;
  const krrAcc = o.krrAcc ?? 0.81;
  return {
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
      diverged: ['w16-s0-lr1.5'],
      runs,
    },
    hybrid: [],
    submissions: [{ file: 'ntk-krr.csv', rows: 3, positives: 1 }],
  };
}

/** The ntk stage's metrics.json (contracts' KrrMetrics) of the synthetic outcome. */
function krrMetrics(accuracy: number, evalRows: number): KrrMetrics {
  return {
    input: 'demo-d8',
    kernel: 'ntk',
    depth: 2,
    sigma_w: 1,
    sigma_b: 0,
    label_coding: 'pm1',
    select_by: 'f1',
    chosen_lambda: 0.1,
    cv: { solver: 'eigh', folds: 5, accuracy: { mean: 0.8, sd: 0.01 }, f1: { mean: 0.75, sd: 0.01 } },
    loo: { computed: true, accuracy: 0.8, f1: 0.75, mse: 0.3 },
    eval: { rows: evalRows, accuracy, f1: 0.77, fit_rows: 6000 },
    test: { rows: 3263, predicted_positive: 1200, refit_rows: 7613 },
    timings: {},
    backend: {},
  };
}

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

describe('loglogSlope', () => {
  it('recovers the exponent of a power law exactly', () => {
    const x = [2, 8, 32, 128];
    expect(
      loglogSlope(
        x,
        x.map((v) => 5 * v ** -0.5),
      ),
    ).toBeCloseTo(-0.5, 12);
    expect(
      loglogSlope(
        x,
        x.map((v) => 0.1 * v ** 1.25),
      ),
    ).toBeCloseTo(1.25, 12);
  });
  it('ignores non-positive points and needs two', () => {
    expect(loglogSlope([1, 10, 100], [1, 0, 0.01])).toBeCloseTo(-1, 12);
    expect(loglogSlope([1], [1])).toBeNull();
  });
});

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

describe('analyse', () => {
  it('fits the slopes per seed at the main learning rate and judges the expected observations', () => {
    const a = analyse(inputs({ initSlopes: [-0.45, -0.5, -0.55], dtSlopes: [-1, -0.9, -1.1] }));
    expect(a.slopes.kernelInitError!.perSeed.map((p) => p.slope.toFixed(6))).toEqual(['-0.450000', '-0.500000', '-0.550000']);
    expect(a.slopes.kernelInitError!.mean).toBeCloseTo(-0.5, 10);
    expect(a.slopes.kernelInitError!.hi).toBeCloseTo(-0.5 + (T2 * 0.05) / Math.sqrt(3), 5);
    expect(a.slopes.deltaTheta!.mean).toBeCloseTo(-1, 10); // the lr = 1.5 run (ΔΘ = 9 at m = 64) is left out
    expect(a.slopes.deltaTheta!.lo).toBeCloseTo(-1 - (T2 * 0.1) / Math.sqrt(3), 5);
    for (const c of a.checks) expect(c.holds, c.claim).toBe(true);
    for (const c of a.checks) expect(c.criterion, c.claim).toMatch(/^holds iff .*;/);
    expect(a.comparison).toHaveLength(6);
    expect(a.comparison[0].accuracy_mean).toBe(0.81);
  });

  it('Θ̂₀ check flips as −1/2 leaves the slope CI, and as the CI reaches 0', () => {
    const half = (T2 * 0.1 * 0.1) / Math.sqrt(3); // spread 0.1: sd 0.01
    const init = (mu: number, spread = 0.1) => byClaim(analyse(inputs({ initSlopes: three(mu, spread) })), 'Θ̂₀ → Θ').holds;
    expect(init(-0.5 + half - EPS)).toBe(true); // lower end just below −1/2
    expect(init(-0.5 + half + EPS)).toBe(false); // just above: the data reject −1/2 (too flat)
    expect(init(-0.5 - half + EPS)).toBe(true);
    expect(init(-0.5 - half - EPS)).toBe(false); // too steep
    const wide = (T2 * 0.1 * 3) / Math.sqrt(3); // spread 3: a CI wide enough to reach 0
    expect(init(-wide - EPS, 3)).toBe(true);
    expect(init(-wide + EPS, 3)).toBe(false); // CI upper end above 0: no evidence the error falls
  });

  it('ΔΘ slope check flips at lower end = −1/2 and at upper end = 0', () => {
    const dt = (mu: number, spread: number) => byClaim(analyse(inputs({ dtSlopes: three(mu, spread) })), 'ΔΘ falls').holds;
    const h = (spread: number) => (T2 * 0.1 * spread) / Math.sqrt(3);
    expect(dt(-0.5 + h(0.1) - EPS, 0.1)).toBe(true);
    expect(dt(-0.5 + h(0.1) + EPS, 0.1)).toBe(false); // slope significantly flatter than −1/2
    expect(dt(-h(3) - EPS, 3)).toBe(true);
    expect(dt(-h(3) + EPS, 3)).toBe(false); // CI reaches 0
    expect(dt(-2, 0)).toBe(true); // steeper than the bound is consistent with it
  });

  it('lazy-training check flips as the upper CI end of ΔΘ at the widest width crosses 5 %', () => {
    const upperOverMean = 1 + (T2 * 0.1) / Math.sqrt(3); // seeds at 0.9, 1, 1.1 × A
    const lazy = (A: number) => byClaim(analyse(inputs({ widestDt: [0.9 * A, A, 1.1 * A] })), 'Lazy').holds;
    expect(lazy((0.05 / upperOverMean) * (1 - EPS))).toBe(true);
    expect(lazy((0.05 / upperOverMean) * (1 + EPS))).toBe(false);
    expect(lazy(0.045)).toBe(false); // mean below 5 % but the CI is not
  });

  it('accuracy check flips as |gap| crosses 1.96·SE (eval rows and seed spread)', () => {
    // MLP seeds 0.778, 0.780, 0.782 (sd 0.002) vs KRR 0.81: gap −3 points. Solve for the n at which 1.96·SE = 3 points.
    const pM = 0.78,
      pK = 0.81,
      sd = 0.002;
    const n = (pM * (1 - pM) + pK * (1 - pK)) / ((0.03 / 1.959964) ** 2 - sd ** 2 / 3); // ≈ 1442
    const acc = (rows: number) =>
      byClaim(analyse(inputs({ widestAcc: [pM - sd, pM, pM + sd], krrAcc: pK, evalRows: rows })), 'matches kernel').holds;
    expect(acc(Math.floor(n))).toBe(true);
    expect(acc(Math.ceil(n))).toBe(false); // one more eval row shrinks the CI past the gap
    expect(acc(1522)).toBe(false);
    expect(acc(200)).toBe(true);
    // seed spread widens the CI: at n = ceil(n) a larger sd brings 0 back in
    expect(
      byClaim(analyse(inputs({ widestAcc: [pM - 0.02, pM, pM + 0.02], krrAcc: pK, evalRows: Math.ceil(n) })), 'matches kernel').holds,
    ).toBe(true);
  });

  it('says n/a rather than a verdict without two seeds', () => {
    const a = analyse(inputs({ seeds: [0], initSlopes: [-0.5], dtSlopes: [-1], widestAcc: [0.805] }));
    expect(a.slopes.kernelInitError).toBeNull();
    expect(byClaim(a, 'Θ̂₀ → Θ').holds).toBeNull();
    expect(byClaim(a, 'ΔΘ falls').holds).toBeNull();
    expect(byClaim(a, 'Lazy').holds).toBeNull();
  });

  it('renders every figure to SVG and the report carries the numbers and the criteria', async () => {
    const inp = inputs();
    const a = analyse(inp);
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
    const html = renderReport(inp, a, svgs, '2026-01-01T00:00:00Z');
    expect(html).toContain('81.00'); // KRR eval accuracy
    expect(html).toContain('80.50 ± 0.20'); // widest MLP
    expect(html).toContain('<th>criterion</th>');
    const cells = [...html.matchAll(/<td>(holds iff [^<]*)<\/td>/g)].map((x) => x[1].replace(/&quot;/g, '"').replace(/&lt;/g, '<'));
    expect(cells).toEqual(a.checks.map((c) => c.criterion));
    expect(html).toContain('ntk-krr.csv');
    expect(html).toContain('Diverged runs (recorded, excluded from the means): w16-s0-lr1.5');
    expect((html.match(/<svg/g) ?? []).length).toBe(a.figures.length);
  });
});

describe('summariseRuns', () => {
  it('is the width-by-width mean and sd over seeds at the main lr, other lrs left out, diverged main-lr runs listed', () => {
    const inp = inputs({ dtSlopes: [-1, -0.9, -1.1] });
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
    // the lr = 1.5 run (ΔΘ = 9 at m = 64) is not in the m = 64 mean
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
