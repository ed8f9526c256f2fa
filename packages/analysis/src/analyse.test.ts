import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loglogSlope } from '@tangent/kernels';
import { analyse } from './analyse.ts';
import { renderSvg } from './charts.ts';
import { checkSubmission, type AnalysisInputs } from './collect.ts';
import { renderReport } from './report.ts';

/** A synthetic pipeline outcome with known slopes: error = 2·m^-1/2, ΔΘ = 3·m^-1. */
function inputs(): AnalysisInputs {
  const widths = [16, 64, 256, 1024, 4096];
  return {
    input: 'demo-d8',
    krr: {
      metrics: {
        kernel: 'ntk',
        depth: 2,
        chosenLambda: 0.1,
        cv: { solver: 'eigh', folds: 5, accuracy: { mean: 0.8, sd: 0.01 }, f1: { mean: 0.75, sd: 0.01 } },
        loo: { computed: true, accuracy: 0.8, f1: 0.75 },
        eval: { rows: 100, accuracy: 0.81, f1: 0.77, fitRows: 400 },
        timings: {},
      },
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
        ntk_accuracy: 0.81,
        ntk_f1: 0.77,
        widths: widths.map((width) => ({
          width,
          seeds: 2,
          delta_theta_mean: 3 / width,
          delta_theta_sd: 0,
          accuracy_mean: 0.805,
          accuracy_sd: 0.002,
          f1_mean: 0.76,
          kernel_init_error_mean: 2 / Math.sqrt(width),
        })),
        delta_theta_loglog_slope: -1,
        diverged_runs: [],
      },
      mainLr: 1,
      diverged: ['w16-s0-lr1.5'],
      runs: widths.map((width) => ({
        key: { width, seed: 0, lr: 1 },
        metrics: { width, seed: 0 } as never,
        history: [0, 1, 2].map((epoch) => ({
          epoch,
          train_loss: 1 / (epoch + 1),
          eval_accuracy: 0.8,
          delta_theta: epoch === 0 ? 0 : (epoch * 3) / width,
        })),
      })),
    },
    hybrid: [],
    submissions: [{ file: 'ntk-krr.csv', rows: 3, positives: 1 }],
    files: [],
  };
}

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

describe('analyse', () => {
  it('measures the slopes and judges the expected observations', () => {
    const a = analyse(inputs());
    expect(a.slopes.kernelInitError).toBeCloseTo(-0.5, 10);
    expect(a.slopes.deltaTheta).toBeCloseTo(-1, 10);
    const byClaim = (s: string) => a.checks.find((c) => c.claim.includes(s))!;
    expect(byClaim('m^-1/2').holds).toBe(true);
    expect(byClaim('below 5 %').holds).toBe(true); // 3/4096 = 0.07 %
    expect(byClaim('one point').holds).toBe(true); // 80.5 vs 81.0
    expect(a.comparison).toHaveLength(6);
    expect(a.comparison[0].accuracy_mean).toBe(0.81);
  });

  it('flags a widest network far from kernel regression', () => {
    const inp = inputs();
    inp.mlp.summary.widths[4].accuracy_mean = 0.7;
    expect(analyse(inp).checks.find((c) => c.claim.includes('one point'))!.holds).toBe(false);
  });

  it('renders every figure to SVG and the report carries the numbers', async () => {
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
    expect(html).toContain('ntk-krr.csv');
    expect(html).toContain('Diverged runs (recorded, excluded from the means): w16-s0-lr1.5');
    expect((html.match(/<svg/g) ?? []).length).toBe(a.figures.length);
  });
});

describe('checkSubmission', () => {
  const ids = Int32Array.from([0, 2, 3]);
  const file = (body: string) => {
    const p = join(mkdtempSync(join(tmpdir(), 'sub-')), 's.csv');
    writeFileSync(p, body);
    return p;
  };
  it('accepts a well-formed file and counts positives', () => {
    expect(checkSubmission(file('id,target\n0,1\n2,0\n3,1\n'), ids)).toEqual({ file: 's.csv', rows: 3, positives: 2 });
  });
  it('rejects wrong length, order, target values and header with one line each', () => {
    expect(() => checkSubmission(file('id,target\n0,1\n2,0\n'), ids)).toThrow(/2 rows, Kaggle expects 3/);
    expect(() => checkSubmission(file('id,target\n0,1\n3,0\n2,1\n'), ids)).toThrow(/row 3 has id 3, expected 2/);
    expect(() => checkSubmission(file('id,target\n0,1\n2,0.7\n3,1\n'), ids)).toThrow(/target '0.7', expected 0 or 1/);
    expect(() => checkSubmission(file('id,label\n0,1\n2,0\n3,1\n'), ids)).toThrow(/header must be 'id,target'/);
  });
});
