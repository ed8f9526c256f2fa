import { describe, expect, it } from 'vitest';
import { t975 } from './analyse.ts';
import {
  bestOverall,
  configRow,
  ensembles,
  featureLearningSection,
  pairedBootstrap,
  selectConfig,
  verdict,
  type Config,
} from './feature-learning.ts';

const cfg = (over: Partial<Config>): Config => ({
  regime: 'mup',
  config: 'w64-lr1',
  evalScores: [],
  testScores: [],
  cvF1: null,
  selectedBy: 'validation',
  deltaTheta: [],
  alignment: [],
  lambdaMaxRatio: [],
  diverged: 0,
  ...over,
});

describe('paired bootstrap over eval rows', () => {
  it('a constant difference has a zero-width interval at that value', () => {
    expect(pairedBootstrap(new Float64Array(50).fill(0.25), { resamples: 500, seed: 1 })).toEqual({ mean: 0.25, lo: 0.25, hi: 0.25 });
  });

  it('matches the normal-theory interval of a mean, mean ± 1.96 sd/√n, for many rows', () => {
    // d ∈ {−1, 0, +1} with probabilities 0.1, 0.7, 0.2: mean 0.1, variance 0.3 − 0.01 = 0.29
    const n = 4000,
      d = new Float64Array(n);
    for (let i = 0; i < n; i++) d[i] = i % 10 === 0 ? -1 : i % 10 < 3 ? 1 : 0;
    const b = pairedBootstrap(d, { resamples: 4000, seed: 7 });
    expect(b.mean).toBeCloseTo(0.1, 12);
    const half = (1.96 * Math.sqrt(0.29)) / Math.sqrt(n); // 0.0167
    expect((b.hi - b.lo) / 2).toBeGreaterThan(0.9 * half);
    expect((b.hi - b.lo) / 2).toBeLessThan(1.1 * half);
    expect((b.lo + b.hi) / 2).toBeCloseTo(0.1, 2);
    expect(pairedBootstrap(d, { resamples: 4000, seed: 7 })).toEqual(b); // seeded
  });
});

describe('the feature-learning table', () => {
  // 10 eval rows, truth 1 on the first 4; the reference (NTK-KRR) is wrong on rows 0 and 9
  const truth = Int8Array.from([1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
  const right = (wrong: number[]) => Float64Array.from(truth, (t, i) => ((t === 1) !== wrong.includes(i) ? 0.5 : -0.5));
  const reference = right([0, 9]);

  it('seed means, t-intervals over seeds and the paired accuracy difference are exact', () => {
    const c = cfg({ evalScores: [right([5]), right([])], deltaTheta: [0.2, 0.4], cvF1: 0.8 });
    const r = configRow('toy', c, truth, reference, { resamples: 1000, seed: 0 });
    expect(r.accuracy_mean).toBeCloseTo(0.95, 12);
    const h = (t975(1) * Math.sqrt(0.005)) / Math.sqrt(2); // sd of {0.9, 1.0}
    expect(r.accuracy_ci95![0]).toBeCloseTo(0.95 - h, 12);
    expect(r.accuracy_ci95![1]).toBeCloseTo(0.95 + h, 12);
    // F1: seed A has tp 4, fp 1 → 8/9; seed B 1
    expect(r.f1_mean).toBeCloseTo((8 / 9 + 1) / 2, 12);
    expect(r.delta_vs_ntk_krr).toBeCloseTo(0.95 - 0.8, 12);
    expect(r.delta_ci95[0]).toBeLessThanOrEqual(r.delta_vs_ntk_krr);
    expect(r.delta_ci95[1]).toBeGreaterThanOrEqual(r.delta_vs_ntk_krr);
    expect(r.delta_theta_mean).toBeCloseTo(0.3, 12);
    expect(r.seeds).toBe(2);
  });

  it('ensembles: floor(S/K) disjoint means of centred outputs, in seed order', () => {
    const s = [0, 1, 2, 3, 4].map((k) => Float64Array.from([k, -k]));
    const es = ensembles(cfg({ regime: 'lazy', evalScores: s, testScores: s }), [1, 2, 4, 8]);
    expect(es.map((e) => e.config)).toEqual(['lazy/w64-lr1/K1', 'lazy/w64-lr1/K2', 'lazy/w64-lr1/K4']);
    expect(es[1].evalScores.map((a) => Array.from(a))).toEqual([
      [0.5, -0.5],
      [2.5, -2.5],
    ]);
    expect(es[2].evalScores.map((a) => Array.from(a))).toEqual([[1.5, -1.5]]);
    expect(es.every((e) => e.regime === 'ensemble' && e.cvF1 === null)).toBe(true);
  });

  it('selection uses the fit-rows score only; the verdict follows the CI of the chosen regime', () => {
    const a = cfg({ config: 'w64-lr1', cvF1: 0.7 }),
      b = cfg({ config: 'w256-lr1', cvF1: 0.75 });
    expect(selectConfig([a, b]).config).toBe('w256-lr1');
    expect(() => selectConfig([cfg({}), cfg({ config: 'x' })])).toThrowError(/no fit-rows score.*mlp\.train\.validation: score/);
    const row = (regime: string, cv: number, d: number, lo: number, hi: number) => ({
      ...configRow('toy', cfg({ regime, evalScores: [reference], cvF1: cv }), truth, reference, { resamples: 100, seed: 0 }),
      delta_vs_ntk_krr: d,
      delta_ci95: [lo, hi] as [number, number],
    });
    expect(verdict([row('mup', 0.8, 0.02, 0.01, 0.03), row('lazy', 0.9, 0, 0, 0)], ['mup'])).toMatch(
      /^Feature learning helps on this task: mup \(w64-lr1, 1 seed\) beats NTK kernel regression by 2\.00 accuracy points \(95 % CI 1\.00 to 3\.00\)/,
    );
    expect(verdict([row('mup', 0.8, -0.02, -0.03, -0.01)], ['mup'])).toMatch(/does not help.*trails .* by 2\.00/);
    expect(verdict([row('mup', 0.8, 0.001, -0.01, 0.012), row('sgd', 0.7, 0.05, 0.04, 0.06)], ['mup', 'sgd'])).toMatch(
      /does not measurably help.*mup.*includes 0/,
    );
    const rows = [row('mup', 0.8, 0, 0, 0), row('ntk-krr', 0.85, 0, 0, 0)];
    expect(bestOverall(rows)).toMatchObject({ input: 'toy', regime: 'ntk-krr', cv_f1: 0.85 });
    const sec = featureLearningSection([{ rows, chosen: [], verdict: 'V', testIds: [] }]);
    expect(sec.id).toBe('feature-learning');
    expect(sec.html).toContain('<b>V</b>');
    expect(sec.html.match(/<tr><td>toy/g)).toHaveLength(2);
  });
});
