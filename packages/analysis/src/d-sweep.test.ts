import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { KrrMetrics, RunMetrics } from '@tangent/contracts';
import { krrMetricsFixture } from '@tangent/contracts/testing';
import { renderSvg } from './charts.ts';
import { summariseRuns, type AnalysisInputs, type RunRecord, type SweepInput } from './collect.ts';
import { researchAnswers } from './answers.ts';
import { dExponent, dSweepRows, dynamicsRows, dynamicsTests, widthAtLevel } from './d-sweep.ts';
import { dSweepSection, dynamicsSection, lrBoundSection } from './d-sweep-report.ts';
import { renderOverview } from './overview-report.ts';

const WIDTHS = [16, 64, 256, 1024, 4096];
const SEEDS = [0, 1, 2];
const DS = [16, 64, 256];
/** ΔΘ_s(m, d) = A·d^GAMMA·m^−1/2·(1 + 0.01 s); Θ̂₀ error_s(m) = B·m^−1/2·(1 + 0.02 s), flat in d. */
const A = 0.4,
  B = 2,
  GAMMA = 0.25;
const dt = (m: number, d: number, s: number) => A * d ** GAMMA * m ** -0.5 * (1 + 0.01 * s);
const BOOT = { resamples: 500, seed: 3 };

const krr = (accuracy: number, kernel: 'ntk' | 'nngp' = 'ntk'): KrrMetrics => krrMetricsFixture({ kernel, accuracy });

interface SweepOptions {
  runs?: RunRecord[];
  diverged?: string[];
  input?: string;
  /** The constant the runs record as predicted (default B: the truth of the synthetic errors). */
  predicted?: number;
  /** ΔΘ multiplier (moves the 5 % width) and the seeds' per-seed multipliers of ΔΘ. */
  dtScale?: number;
  dtSeed?: (s: number) => number;
  /** The deviations: Θ̂₀'s as a function of (m, s), and the NNGP baseline's. */
  devEmpirical?: (m: number, s: number) => number;
  devNngp?: (m: number, s: number) => number;
}

function sweepInput(d: number, o: SweepOptions = {}): SweepInput {
  const runs: RunRecord[] = WIDTHS.flatMap((width) =>
    SEEDS.map((seed) => ({
      key: { width, seed, lr: 1 },
      metrics: {
        width,
        seed,
        delta_theta: dt(width, d, seed) * (o.dtScale ?? 1) * (o.dtSeed?.(seed) ?? 1),
        kernel_init_error: B * width ** -0.5 * (1 + 0.02 * seed),
        kernel_init_error_sqrt_m_predicted: o.predicted ?? B,
        eval_accuracy: 0.8 - 0.1 / width,
        eval_f1: 0.7,
        dynamics_max_rel_dev_analytic: 0.3 * width ** -0.5,
        dynamics_max_rel_dev_empirical: o.devEmpirical ? o.devEmpirical(width, seed) : (0.5 / width) * (1 + 0.1 * seed),
        dynamics_max_rel_dev_nngp: o.devNngp ? o.devNngp(width, seed) : 0.2,
      } as never as RunMetrics,
      history: Array.from({ length: 6 }, (_, epoch) => ({
        epoch,
        train_loss: 0.5 * 0.9 ** epoch,
        eval_accuracy: 0.8,
        delta_theta: null,
        train_loss_pred_empirical: 0.5 * 0.9 ** epoch * (1 + 0.5 / width),
        train_loss_pred_analytic: 0.5 * 0.88 ** epoch,
      })),
    })),
  );
  runs.push(...(o.runs ?? []));
  const k = krr(0.8);
  const diverged = o.diverged ?? [];
  const inp: AnalysisInputs = {
    input: o.input ?? `use-lite-d${d}`,
    krr: { metrics: k, cv: [] },
    mlp: { summary: summariseRuns(runs, diverged, 1, k), mainLr: 1, runs, diverged },
    hybrid: [],
    submissions: [],
  };
  return {
    embedder: 'use-lite',
    d,
    explainedVariance: 1 - 1 / d,
    krr: { ntk: { accuracy: 0.8, f1: 0.75 }, nngp: { accuracy: 0.78, f1: 0.7 } },
    inp,
  };
}

describe('the width where ΔΘ = 5 %', () => {
  it('log-log interpolation is exact for a power law and follows a bent curve between its bracketing widths', () => {
    const pl = WIDTHS.map((m) => 0.8 * m ** -0.5);
    expect(widthAtLevel(WIDTHS, pl, 0.05)).toEqual({ width: expect.closeTo((0.8 / 0.05) ** 2, 8), status: 'interpolated' }); // 256
    // a bending curve: one power law through all points would miss; the interpolation uses (256, 0.08) and (1024, 0.02)
    const bent = [0.5, 0.25, 0.08, 0.02, 0.015];
    const want = Math.exp(Math.log(256) + ((Math.log(0.05) - Math.log(0.08)) / (Math.log(0.02) - Math.log(0.08))) * Math.log(4));
    expect(widthAtLevel(WIDTHS, bent, 0.05).width).toBeCloseTo(want, 8);
    expect(widthAtLevel(WIDTHS, bent, 0.05).width).toBeCloseTo(256 * 4 ** (Math.log(0.625) / Math.log(0.25)), 8);
    expect(widthAtLevel(WIDTHS, [0.04, 0.03, 0.02, 0.01, 0.005], 0.05)).toEqual({ width: null, status: 'below the grid' });
    expect(widthAtLevel(WIDTHS, [0.9, 0.5, 0.3, 0.2, 0.1], 0.05)).toEqual({ width: null, status: 'beyond the grid' });
    expect(widthAtLevel([16, 64], [NaN, 0], 0.05)).toEqual({ width: null, status: null });
  });

  it('the seed bootstrap gives a CI around the interpolated width, and names the grid edge it crosses', () => {
    // seeds at ×0.8, ×1, ×1.25: the bootstrap's extreme draws use one seed thrice
    const spread = (s: number) => [0.8, 1, 1.25][s];
    const at = (scale: number) => dSweepRows([sweepInput(16, { dtScale: scale, dtSeed: spread })], BOOT)[0];
    const r = at(1);
    const mean = (m: number) => (dt(m, 16, 0) * 0.8 + dt(m, 16, 1) + dt(m, 16, 2) * 1.25) / 3;
    expect(r.width_for_delta_theta_5pct).toBeCloseTo(widthAtLevel(WIDTHS, WIDTHS.map(mean), 0.05).width!, 8);
    const [lo, hi] = r.width_for_delta_theta_5pct_ci95! as [number, number];
    expect(lo).toBeLessThan(r.width_for_delta_theta_5pct!);
    expect(hi).toBeGreaterThan(r.width_for_delta_theta_5pct!);
    // no bootstrap draw can go below the all-lowest seed or above the all-highest one
    const only = (k: number) =>
      widthAtLevel(
        WIDTHS,
        WIDTHS.map((m) => dt(m, 16, k) * spread(k)),
        0.05,
      ).width!;
    expect(lo).toBeGreaterThanOrEqual(only(0) * (1 - 1e-9));
    expect(hi).toBeLessThanOrEqual(only(2) * (1 + 1e-9));
    // scaled so that the highest seed alone stays above 5 % at m = 4096: the CI's upper end is beyond the grid
    const edge = at((0.05 / dt(4096, 16, 2) / 1.25) * 1.01);
    expect(edge.width_for_delta_theta_5pct_status).toBe('interpolated');
    expect(edge.width_for_delta_theta_5pct_ci95![1]).toBe('beyond the grid');
    expect(at(100).width_for_delta_theta_5pct_status).toBe('beyond the grid');
    expect(at(100).width_for_delta_theta_5pct).toBeNull();
    expect(at(0.01).width_for_delta_theta_5pct_ci95).toEqual(['below the grid', 'below the grid']);
  });
});

describe('d sweep', () => {
  it('summary rows: per-d slopes with CIs, the predicted and measured Θ̂₀ constant, the 5 % width with its CI', () => {
    const rows = dSweepRows(
      DS.map((d) => sweepInput(d)),
      BOOT,
    );
    expect(rows.map((r) => r.d)).toEqual(DS);
    // y_s = m·err² = B²(1 + 0.02 s)² at every width: its mean and t-interval over the three seeds
    const y = SEEDS.map((s) => (B * (1 + 0.02 * s)) ** 2);
    const my = y.reduce((a, v) => a + v, 0) / 3;
    for (const r of rows) {
      expect(r.delta_theta_slope).toBeCloseTo(-0.5, 10);
      expect(r.delta_theta_slope_ci95![0]).toBeCloseTo(-0.5, 10);
      expect(r.kernel_init_error_slope).toBeCloseTo(-0.5, 10);
      // mean over seeds of ΔΘ = A d^γ m^−1/2 · 1.01 → crosses 0.05 at m = (1.01 A d^γ / 0.05)² (exact: a power law)
      expect(r.width_for_delta_theta_5pct!).toBeCloseTo(((1.01 * A * r.d ** GAMMA) / 0.05) ** 2, 6);
      expect(r.width_for_delta_theta_5pct_ci95).toHaveLength(2);
      expect(r.kernel_init_error_sqrt_m_predicted).toBe(B);
      expect(r.kernel_init_error_sqrt_m_measured).toBeCloseTo(Math.sqrt(my), 12);
      expect(r.kernel_init_error_sqrt_m_agrees).toBe(true);
      expect(r.widths.map((w) => w.width)).toEqual(WIDTHS);
      expect(r.widths[0].delta_theta_mean).toBeCloseTo(A * r.d ** GAMMA * 16 ** -0.5 * 1.01, 12);
      expect(r.krr.nngp!.accuracy).toBe(0.78);
      expect(r.explained_variance).toBeCloseTo(1 - 1 / r.d, 12);
    }
    // Holm over the three d's: the smallest p times 3
    const ps = rows.map((r) => r.kernel_init_error_sqrt_m_p!);
    const k = ps.indexOf(Math.min(...ps));
    expect(rows[k].kernel_init_error_sqrt_m_p_holm).toBeCloseTo(Math.min(1, 3 * ps[k]), 12);
  });

  it('the theory test can fail: a d whose measured Θ̂₀ constant misses its prediction flips the verdict', () => {
    const ok = DS.map((d) => sweepInput(d));
    const okText = dSweepSection(ok, dSweepRows(ok, BOOT)).html;
    expect(okText).toContain('holds — 3 of 3 agree');
    const bad = DS.map((d) => sweepInput(d, d === 64 ? { predicted: 1.2 * B } : {}));
    const rows = dSweepRows(bad, BOOT);
    expect(rows.map((r) => r.kernel_init_error_sqrt_m_agrees)).toEqual([true, false, true]);
    const html = dSweepSection(bad, rows).html;
    expect(html).toContain('does NOT hold — 2 of 3 agree');
    expect(html).toContain('predicted 2.400');
    // the prediction's own d-exponent is reported (here the d = 64 prediction bends it)
    expect(html).toMatch(/The predicted constant itself scales as d\^/);
  });

  it('the d-exponent of ΔΘ·√m is found (γ) and reported as descriptive; vs-d charts only with two or more d', () => {
    const xs = DS.map((d) => sweepInput(d));
    const e = dExponent(xs, 4096, (m) => m.delta_theta);
    expect(e.slopes).toHaveLength(3);
    for (const s of e.slopes) expect(s).toBeCloseTo(GAMMA, 10);
    const sec = dSweepSection(xs, dSweepRows(xs, BOOT));
    expect(sec.html).toContain(`ΔΘ·√m at m = 4096 scales as d^${GAMMA.toFixed(2)}`);
    expect(sec.html).toContain('reported, not tested');
    expect(sec.figures.map((f) => f.name)).toContain('dsweep_krr_accuracy');
    expect(sec.figures.map((f) => f.name)).toContain('dsweep_init_constant');
    expect(sec.holm).toHaveLength(1);
    expect(sec.intervals).toBe(3 * 4 + 1);
    const one = [sweepInput(128)];
    const single = dSweepSection(one, dSweepRows(one, BOOT));
    expect(single.figures.map((f) => f.name)).toEqual(['dsweep_delta_theta', 'dsweep_init_error', 'dsweep_acc_gap']);
    expect(single.title).toContain('one d');
    expect(single.html).not.toContain('scales as d^');
  });

  it('dynamics: rows average the seeds with a CI; the slope CI and the NNGP baseline give verdicts that flip', () => {
    const xs = [sweepInput(16)];
    const rows = dynamicsRows(xs);
    expect(rows).toHaveLength(WIDTHS.length);
    expect(rows[2]).toMatchObject({ width: 256, seeds: 3, max_rel_dev_analytic: 0.3 / 16, max_rel_dev_nngp: expect.closeTo(0.2, 14) });
    expect(rows[2].max_rel_dev_empirical).toBeCloseTo((0.5 / 256) * 1.1, 14);
    const [t] = dynamicsTests(xs);
    expect(t.empirical_slope).toBeCloseTo(-1, 10);
    expect(t.shrinks).toBe(true);
    expect(t.ratio_to_nngp).toBeCloseTo(((0.5 / 4096) * Math.cbrt(1 * 1.1 * 1.2)) / 0.2, 10);
    expect(t.beats_baseline).toBe(true);
    const html = dynamicsSection(xs, rows, [t])!.html;
    expect(html).toContain('shrinks with width (CI below 0): yes');
    expect(html).toContain('ratio CI below 1): yes');
    // mutation 1: a deviation that grows with width in one seed and is flat in another: the slope CI reaches 0
    const grow = [sweepInput(16, { devEmpirical: (m, s) => 0.01 * m ** [-0.5, 0.3, 0][s] })];
    expect(dynamicsTests(grow)[0].shrinks).toBe(false);
    // mutation 2: the wrong kernel predicts as well as the network's own: the baseline verdict flips
    const wrong = [sweepInput(16, { devNngp: (m, s) => (0.5 / m) * (1 + 0.1 * s) * [0.9, 0.95, 0.85][s] })];
    const w = dynamicsTests(wrong)[0];
    expect(w.ratio_to_nngp!).toBeGreaterThan(1);
    expect(w.beats_baseline).toBe(false);
    expect(dynamicsSection(wrong, dynamicsRows(wrong), [w])!.html).toContain('ratio CI below 1): NO');
    const none = sweepInput(16);
    for (const r of none.inp.mlp.runs)
      r.metrics = { ...r.metrics, dynamics_max_rel_dev_analytic: null, dynamics_max_rel_dev_empirical: null };
    expect(dynamicsSection([none], dynamicsRows([none]), dynamicsTests([none]))).toBeNull();
  });

  it('the lr-bound verdict comes from which rates converged and diverged', () => {
    const base = sweepInput(16);
    const r19 = { ...base.inp.mlp.runs[0], key: { width: 16, seed: 0, lr: 1.9 } };
    const x = sweepInput(16, { runs: [r19], diverged: ['w16-s0-lr2.5', 'w16-s0-lr4'] });
    expect(lrBoundSection(x ? [x] : [])!.html).toContain(
      'use-lite d=16, m = 16: stable up to c = 1.9, diverged from c = 2.5: consistent with the bound c = 2.',
    );
    expect(lrBoundSection([base])).toBeNull(); // no rate at or above 2 was tried
  });

  it('the answers paragraph: one d points to the dsweep profile; several d answer from the rows', () => {
    const one = [sweepInput(128)];
    const single = researchAnswers({ rows: dSweepRows(one, BOOT), analyses: [], featureVerdicts: null });
    expect(single).toContain('This profile has one d');
    expect(single).toContain('npm start -- -c dsweep');
    expect(single).toContain('npm start -- -c features');
    const xs = DS.map((d) => sweepInput(d));
    const many = researchAnswers({ rows: dSweepRows(xs, BOOT), analyses: [], featureVerdicts: ['Feature learning does not help.'] });
    expect(many).toContain('This profile runs d ∈ {16, 64, 256}');
    expect(many).toContain('at every input (Holm over 3)');
    expect(many).toContain('Feature learning does not help.');
  });
});

/**
 * The sections and the summary rows of a fixed sweep, against golden files captured from the code
 * before it was split into statistics, prose, charts and HTML (d-sweep*.ts): the split must not
 * change a byte of report.html (the figures' SVG is a function of their specs) or summary.json.
 * The input takes most branches of the text: two embedders, a failed constant test, an input
 * name to escape, and lr-bound cells that diverge below, at and above c = 2 or never.
 * Regenerate only for an intended change: GOLDEN_WRITE=1 npx vitest run packages/analysis/src/d-sweep.test.ts
 */
describe('golden output of the d-sweep, dynamics and lr-bound sections', () => {
  const golden = (name: string, text: string) => {
    const file = join(import.meta.dirname, 'test-fixtures', 'd-sweep', name);
    if (process.env.GOLDEN_WRITE) writeFileSync(file, text);
    expect(text).toBe(readFileSync(file, 'utf8'));
  };
  const lrRun = (width: number, lr: number): RunRecord => {
    const r = sweepInput(16).inp.mlp.runs.find((q) => q.key.width === width)!;
    return { ...r, key: { width, seed: 0, lr } };
  };
  const sweep = (): SweepInput[] => [
    sweepInput(16, {
      input: 'use-lite-d16 <b>&"</b>',
      runs: [lrRun(16, 1.9), lrRun(16, 2.5), lrRun(256, 2.5), lrRun(256, 3)],
      diverged: ['w16-s0-lr4', 'w64-s0-lr1.5', 'w64-s1-lr2.5', 'w1024-s2-lr2.5'],
    }),
    sweepInput(64, { dtSeed: (s) => [0.8, 1, 1.25][s] }),
    sweepInput(256, { dtScale: 20 }),
    {
      ...sweepInput(64, { predicted: 1.2 * B, input: 'minilm-d64', devNngp: (m, s) => (0.5 / m) * (1 + 0.1 * s) * 0.9 }),
      embedder: 'minilm',
    },
  ];

  it('report.html and summary.json are byte-identical to the captured ones', () => {
    const cases: Array<[string, SweepInput[]]> = [
      ['sweep', sweep()],
      ['single', [sweepInput(128)]],
    ];
    for (const [name, xs] of cases) {
      const rows = dSweepRows(xs, BOOT),
        dynRows = dynamicsRows(xs),
        dynTests = dynamicsTests(xs);
      const sections = [dSweepSection(xs, rows), dynamicsSection(xs, dynRows, dynTests), lrBoundSection(xs)].filter((s) => s !== null);
      const answers = researchAnswers({ rows, analyses: [], featureVerdicts: null });
      const svgs = Object.fromEntries(sections.flatMap((s) => s.figures.map((f) => [f.name, `<svg>${f.name}</svg>`])));
      golden(
        `${name}.report.html.txt`,
        renderOverview(sections, svgs, { inputs: xs.map((x) => x.inp.input), createdAt: 'fixed', answers }),
      );
      const specs = sections.flatMap((s) => s.figures.map((f) => ({ name: f.name, spec: f.spec })));
      const sectionsMeta = sections.map((s) => ({ id: s.id, title: s.title, intervals: s.intervals, holm: s.holm }));
      golden(
        `${name}.summary.json.txt`,
        `${JSON.stringify({ d_sweep: rows, dynamics: dynRows, dynamics_tests: dynTests, sections: sectionsMeta, specs }, null, 2)}\n`,
      );
    }
  });
});

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`d-sweep.test: ${CHROMIUM} not found (apt-get install chromium); skipping the headless render test`);

describe.skipIf(!hasChromium)('the overview report in headless Chromium', () => {
  it('draws every figure with a non-zero size, logs no console error, and escapes text', async () => {
    const evil = 'use-lite-d16 <script>window.__pwned = 1</script>';
    const xs = [sweepInput(16, { input: evil, runs: [], diverged: ['w16-s0-lr2.5'] }), sweepInput(64), sweepInput(256)];
    const rows = dSweepRows(xs, BOOT);
    const sections = [dSweepSection(xs, rows), dynamicsSection(xs, dynamicsRows(xs), dynamicsTests(xs))!, lrBoundSection(xs)!];
    const svgs: Record<string, string> = {};
    for (const s of sections) for (const f of s.figures) svgs[f.name] = await renderSvg(f.spec);
    const file = join(mkdtempSync(join(tmpdir(), 'overview-')), 'report.html');
    const answers = researchAnswers({ rows, analyses: [], featureVerdicts: null });
    writeFileSync(file, renderOverview(sections, svgs, { inputs: xs.map((x) => x.inp.input), createdAt: 'now', answers }));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`file://${file}`);
      const sizes = await page.$$eval('figure[data-figure]', (fs) =>
        fs.map((f) => {
          const svg = f.querySelector('svg');
          const r = svg?.getBoundingClientRect();
          return {
            name: f.getAttribute('data-figure'),
            w: r?.width ?? 0,
            h: r?.height ?? 0,
            marks: svg?.querySelectorAll('path,line,circle,rect').length ?? 0,
          };
        }),
      );
      expect(sizes.map((s) => s.name).sort()).toEqual(sections.flatMap((s) => s.figures.map((f) => f.name)).sort());
      for (const s of sizes) {
        expect(s.w, s.name!).toBeGreaterThan(50);
        expect(s.h, s.name!).toBeGreaterThan(50);
        expect(s.marks, s.name!).toBeGreaterThan(3);
      }
      expect(errors).toEqual([]);
      expect(await page.evaluate('typeof globalThis.__pwned')).toBe('undefined');
      expect(await page.textContent('body')).toContain('<script>window.__pwned = 1</script>');
    } finally {
      await browser.close();
    }
  }, 60_000);
});
