import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { KrrMetrics, RunMetrics } from '@tangent/contracts';
import { renderSvg } from './charts.ts';
import { summariseRuns, type AnalysisInputs, type RunRecord } from './collect.ts';
import {
  dExponent,
  dSweepRows,
  dSweepSection,
  dynamicsRows,
  dynamicsSection,
  loglogFit,
  lrBoundSection,
  widthAtLevel,
  type SweepInput,
} from './d-sweep.ts';
import { renderOverview } from './overview-report.ts';

const WIDTHS = [16, 64, 256, 1024, 4096];
const SEEDS = [0, 1, 2];
const DS = [16, 64, 256];
/** ΔΘ_s(m, d) = A·d^GAMMA·m^−1/2·(1 + 0.01 s); Θ̂₀ error_s(m) = B·m^−1/2·(1 + 0.02 s), flat in d. */
const A = 0.4,
  B = 2,
  GAMMA = 0.25;
const dt = (m: number, d: number, s: number) => A * d ** GAMMA * m ** -0.5 * (1 + 0.01 * s);

function krr(accuracy: number, kernel: 'ntk' | 'nngp' = 'ntk'): KrrMetrics {
  return {
    input: 'x',
    kernel,
    depth: 2,
    sigma_w: 1,
    sigma_b: 0,
    label_coding: 'pm1',
    select_by: 'f1',
    chosen_lambda: 0.1,
    cv: { solver: 'eigh', folds: 5, accuracy: { mean: 0.8, sd: 0.01 }, f1: { mean: 0.75, sd: 0.01 } },
    loo: { computed: false, accuracy: null, f1: null, mse: null },
    eval: { rows: 1500, accuracy, f1: 0.75, fit_rows: 6000 },
    test: { rows: 3263, predicted_positive: 1200, refit_rows: 7613 },
    timings: {},
    backend: {},
  };
}

function sweepInput(d: number, extra: { runs?: RunRecord[]; diverged?: string[]; input?: string } = {}): SweepInput {
  const runs: RunRecord[] = WIDTHS.flatMap((width) =>
    SEEDS.map((seed) => ({
      key: { width, seed, lr: 1 },
      metrics: {
        width,
        seed,
        delta_theta: dt(width, d, seed),
        kernel_init_error: B * width ** -0.5 * (1 + 0.02 * seed),
        eval_accuracy: 0.8 - 0.1 / width,
        eval_f1: 0.7,
        dynamics_max_rel_dev_analytic: 0.3 * width ** -0.5,
        dynamics_max_rel_dev_empirical: 0.5 / width,
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
  runs.push(...(extra.runs ?? []));
  const k = krr(0.8);
  const diverged = extra.diverged ?? [];
  const inp: AnalysisInputs = {
    input: extra.input ?? `use-lite-d${d}`,
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

describe('d sweep', () => {
  it('loglogFit recovers a power law; widthAtLevel inverts it', () => {
    const f = loglogFit(
      [16, 64, 256],
      [16, 64, 256].map((m) => 0.8 * m ** -0.5),
    )!;
    expect(f.slope).toBeCloseTo(-0.5, 12);
    expect(widthAtLevel(f, 0.05)).toBeCloseTo((0.8 / 0.05) ** 2, 8); // 256
    expect(widthAtLevel({ slope: 0.1, intercept: 0 }, 0.05)).toBeNull(); // a rising ΔΘ never reaches 5 %
  });

  it('summary rows: per-d slopes, the 5 % width from the fit, KRR and explained variance', () => {
    const rows = dSweepRows(DS.map((d) => sweepInput(d)));
    expect(rows.map((r) => r.d)).toEqual(DS);
    for (const r of rows) {
      expect(r.delta_theta_slope).toBeCloseTo(-0.5, 10);
      expect(r.kernel_init_error_slope).toBeCloseTo(-0.5, 10);
      // mean over seeds of ΔΘ = A d^γ m^−1/2 · 1.01 → crosses 0.05 at m = (1.01 A d^γ / 0.05)²
      expect(r.width_for_delta_theta_5pct!).toBeCloseTo(((1.01 * A * r.d ** GAMMA) / 0.05) ** 2, 6);
      expect(r.widths.map((w) => w.width)).toEqual(WIDTHS);
      expect(r.widths[0].delta_theta_mean).toBeCloseTo(A * r.d ** GAMMA * 16 ** -0.5 * 1.01, 12);
      expect(r.krr.nngp!.accuracy).toBe(0.78);
      expect(r.explained_variance).toBeCloseTo(1 - 1 / r.d, 12);
    }
  });

  it('the theory test: the d-exponent of ΔΘ·√m is found (γ), the flat Θ̂₀ error·√m is declared d-independent', () => {
    const xs = DS.map((d) => sweepInput(d));
    const e = dExponent(xs, 4096, (m) => m.delta_theta);
    expect(e.slopes).toHaveLength(3);
    for (const s of e.slopes) expect(s).toBeCloseTo(GAMMA, 10);
    const html = dSweepSection(xs).html;
    expect(html).toContain(`ΔΘ·√m at m = 4096 scales as d^${GAMMA.toFixed(2)}`);
    expect(html).toMatch(/Θ̂₀ error·√m at m = 4096 scales as d\^-?0\.00 .*consistent with the predicted independence of d/);
  });

  it('dynamics rows average the seeds; the section fits the exponent in m', () => {
    const xs = [sweepInput(16)];
    const rows = dynamicsRows(xs);
    expect(rows).toHaveLength(WIDTHS.length);
    expect(rows[2]).toEqual({ embedder: 'use-lite', d: 16, width: 256, max_rel_dev_analytic: 0.3 / 16, max_rel_dev_empirical: 0.5 / 256 });
    expect(dynamicsSection(xs)!.html).toContain('scales as m^-1.00, from the analytical Θ as m^-0.50');
    const none = sweepInput(16);
    for (const r of none.inp.mlp.runs)
      r.metrics = { ...r.metrics, dynamics_max_rel_dev_analytic: null, dynamics_max_rel_dev_empirical: null };
    expect(dynamicsSection([none])).toBeNull();
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
});

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`d-sweep.test: ${CHROMIUM} not found (apt-get install chromium); skipping the headless render test`);

describe.skipIf(!hasChromium)('the overview report in headless Chromium', () => {
  it('draws every figure with a non-zero size, logs no console error, and escapes text', async () => {
    const evil = 'use-lite-d16 <script>window.__pwned = 1</script>';
    const xs = [sweepInput(16, { input: evil, runs: [], diverged: ['w16-s0-lr2.5'] }), sweepInput(64), sweepInput(256)];
    const sections = [dSweepSection(xs), dynamicsSection(xs)!, lrBoundSection(xs)!];
    const svgs: Record<string, string> = {};
    for (const s of sections) for (const f of s.figures) svgs[f.name] = await renderSvg(f.spec);
    const file = join(mkdtempSync(join(tmpdir(), 'overview-')), 'report.html');
    writeFileSync(file, renderOverview(sections, svgs, { inputs: xs.map((x) => x.inp.input), createdAt: 'now' }));
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
