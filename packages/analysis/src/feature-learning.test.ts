import { describe, expect, it } from 'vitest';
import { holm } from '@tangent/kernels';
import { t975 } from './analyse.ts';
import type { Candidate, FeatureLearningData } from './feature-learning-inputs.ts';
import {
  bestOverall,
  chooseConfiguration,
  ensembles,
  featureLearning,
  featureLearningSection,
  verdict,
  type FeatureLearningRow,
} from './feature-learning.ts';

// 10 eval rows, truth 1 on the first 4; the reference (NTK-KRR) is wrong on rows 0 and 9
const truth = Int8Array.from([1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
const right = (wrong: number[]) => Float64Array.from(truth, (t, i) => ((t === 1) !== wrong.includes(i) ? 0.5 : -0.5));
const reference = right([0, 9]);
const seed = (wrong: number[]) => ({ ev: right(wrong), te: Float64Array.from([1, -1]) });
const zeros = () => ({ ev: new Float64Array(10), te: new Float64Array(2) });

const cand = (over: Partial<Candidate>): Candidate => ({
  regime: 'mup',
  config: 'w64-lr1',
  scores: [seed([])],
  diverged: 0,
  selection: [0.7],
  inner: null,
  deltaTheta: [],
  alignment: [],
  lambdaMaxRatio: [],
  ...over,
});
const krr = cand({ regime: 'ntk-krr', config: 'λ=0.1', scores: [{ ev: reference, te: Float64Array.from([1, 1]) }], selection: [0.6] });
const data = (cs: Candidate[]): FeatureLearningData => ({
  input: 'toy',
  frame: { evalIds: [...truth.keys()], testIds: [100, 101], truth },
  reference,
  folds: 5,
  candidates: [...cs, krr],
});
const opts = { ensembleOf: 'lazy', ks: [1, 2, 4], resamples: 400, seed: 0 };

describe('choosing a configuration under the selection protocol', () => {
  it('the best mean fold-0 F1 over seeds, a diverged seed scoring 0, ties to the first; configs tried counted', () => {
    const a = cand({ config: 'w64-lr1', selection: [0.8, null], diverged: 1 }); // 0.4: the divergence counts
    const b = cand({ config: 'w256-lr1', selection: [0.7, 0.72] });
    const c = cand({ config: 'w1024-lr1', selection: [0.71, 0.71] });
    expect(chooseConfiguration([a, b, c])).toMatchObject({ candidate: { config: 'w256-lr1' }, tried: 3 });
    expect(chooseConfiguration([a, b, c]).score).toBeCloseTo(0.71, 15);
    expect(chooseConfiguration([c, b]).candidate.config).toBe('w1024-lr1'); // 0.71 = 0.71: the first
    expect(chooseConfiguration([cand({ selection: null })])).toMatchObject({ score: null, tried: 1 });
    expect(() => chooseConfiguration([b, cand({ config: 'x', selection: null })])).toThrowError(
      /regime mup: 2 configurations but x has no fit-rows score.*mlp\.train\.validation: score/,
    );
  });

  it('ensembles: floor(S/K) disjoint means of centred outputs, in seed order, without a fold-0 score', () => {
    const s = [0, 1, 2, 3, 4].map((k) => ({ ev: Float64Array.from([k, -k]), te: Float64Array.from([k]) }));
    const es = ensembles(cand({ regime: 'lazy', scores: s }), [1, 2, 4, 8]);
    expect(es.map((e) => e.config)).toEqual(['lazy/w64-lr1/K1', 'lazy/w64-lr1/K2', 'lazy/w64-lr1/K4']);
    expect(es[1].scores.map((a) => Array.from(a.ev))).toEqual([
      [0.5, -0.5],
      [2.5, -2.5],
    ]);
    expect(es[2].scores.map((a) => Array.from(a.te))).toEqual([[1.5]]);
    expect(es.every((e) => e.regime === 'ensemble' && e.selection === null)).toBe(true);
  });
});

describe('the feature-learning table', () => {
  it('seed means, t-intervals, the paired difference and the selection record are exact', () => {
    const c = cand({
      scores: [seed([5]), seed([])],
      selection: [0.8, 0.6],
      deltaTheta: [0.2, 0.4],
      inner: { parameter: 'epoch', candidates: null, folds: [1] },
    });
    const r = featureLearning(data([c]), opts).rows.find((x) => x.regime === 'mup')!;
    expect(r.accuracy_mean).toBeCloseTo(0.95, 12);
    const h = (t975(1) * Math.sqrt(0.005)) / Math.sqrt(2); // sd of {0.9, 1.0}
    expect(r.accuracy_ci95![0]).toBeCloseTo(0.95 - h, 12);
    expect(r.accuracy_ci95![1]).toBeCloseTo(0.95 + h, 12);
    expect(r.f1_mean).toBeCloseTo((8 / 9 + 1) / 2, 12); // seed A: tp 4, fp 1
    expect(r.delta_vs_ntk_krr).toBeCloseTo(0.95 - 0.8, 12);
    expect(r.delta_ci95[0]).toBeLessThanOrEqual(r.delta_vs_ntk_krr);
    expect(r.delta_ci95[1]).toBeGreaterThanOrEqual(r.delta_vs_ntk_krr);
    expect(r.delta_theta_mean).toBeCloseTo(0.3, 12);
    expect(r.selection).toEqual({
      rule: 'fold0-f1',
      rows: 'fit',
      folds: { scored: 0, of: 5, inner: [1] },
      score: 0.7,
      configs_tried: 1,
      diverged: 0,
      inner: { parameter: 'epoch', candidates: null },
    });
  });

  it('a diverged seed counts as a network that predicts no positive (every row negative), not a dropped sample', () => {
    const c = cand({ scores: [seed([]), zeros()], selection: [0.9, null], diverged: 1 });
    const r = featureLearning(data([c]), opts).rows.find((x) => x.regime === 'mup')!;
    expect(r.seeds).toBe(2);
    expect(r.diverged).toBe(2 - 1);
    expect(r.accuracy_mean).toBeCloseTo((1 + 0.6) / 2, 12); // the failed seed is right on the 6 negatives
    expect(r.f1_mean).toBeCloseTo(0.5, 12);
    expect(r.selection.score).toBeCloseTo(0.45, 15);
    expect(r.delta_vs_ntk_krr).toBeCloseTo(0.8 - 0.8, 12);
  });

  it('the family: every row but NTK-KRR against it, Holm-adjusted; ensembles after the chosen rows', () => {
    const lazy = [0, 1, 2, 3].map((s) => seed(s % 2 ? [1] : []));
    const cs = [
      cand({ regime: 'lazy', config: 'w64-lr1', scores: lazy, selection: [0.7, 0.7, 0.7, 0.7] }),
      cand({ regime: 'lazy', config: 'w256-lr1', scores: lazy, selection: [0.6, 0.6, 0.6, 0.6] }),
      cand({ regime: 'mup', scores: [seed([4, 5, 6]), seed([4, 5])] }),
    ];
    const res = featureLearning(data(cs), opts);
    expect(res.rows.map((r) => `${r.regime} ${r.config}`)).toEqual([
      'lazy w64-lr1',
      'mup w64-lr1',
      'ntk-krr λ=0.1',
      'ensemble lazy/w64-lr1/K4',
      'ensemble lazy/w64-lr1/K1',
      'ensemble lazy/w64-lr1/K2',
    ]);
    expect(res.rows[0].selection.configs_tried).toBe(2);
    expect(res.rows[3].selection).toMatchObject({ score: null, configs_tried: 2 }); // inherits the lazy choice
    const krrRow = res.rows[2];
    expect([krrRow.delta_vs_ntk_krr, krrRow.delta_p, krrRow.delta_p_holm]).toEqual([0, null, null]);
    const fam = res.rows.filter((r) => r.delta_p !== null);
    expect(fam).toHaveLength(5);
    const adj = holm(fam.map((r) => r.delta_p!));
    fam.forEach((r, i) => expect(r.delta_p_holm).toBeCloseTo(adj[i], 15));
    // the mup row is worse than the reference on 3 rows: its p is small, and stays ≤ 1 after adjustment
    expect(res.rows[1].delta_vs_ntk_krr).toBeCloseTo(-0.05, 12);
    expect(res.chosen.map((c) => c.row.regime)).toEqual(['lazy', 'mup', 'ntk-krr', 'ensemble']);
    expect(res.chosen[0].testScores).toHaveLength(4);
  });

  it('the verdict follows the Holm-adjusted p of the regime with the best selection score', () => {
    const row = (regime: string, score: number, d: number, p: number): FeatureLearningRow =>
      ({
        input: 'toy',
        regime,
        config: 'w64-lr1',
        seeds: 1,
        selection: { score, configs_tried: 3 },
        delta_vs_ntk_krr: d,
        delta_ci95: [d - 0.01, d + 0.01],
        delta_p: p,
        delta_p_holm: p,
      }) as FeatureLearningRow;
    expect(verdict([row('mup', 0.8, 0.02, 0.01), row('lazy', 0.9, 0, 1)], ['mup'])).toMatch(
      /^Feature learning helps on this task: mup \(w64-lr1, 1 seed, chosen among 3 by fold-0 F1\) beats NTK kernel regression by 2\.00 accuracy points \(95 % CI 1\.00 to 3\.00; Holm-adjusted p = 0\.010 over 2 comparisons\)/,
    );
    expect(verdict([row('mup', 0.8, -0.02, 0.01)], ['mup'])).toMatch(/does not help.*trails .* by 2\.00/);
    // the regime with the better selection score decides, whatever its eval result
    expect(verdict([row('mup', 0.8, 0.001, 0.6), row('sgd', 0.7, 0.05, 0.001)], ['mup', 'sgd'])).toMatch(/does not measurably help.*mup/);
    expect(verdict([row('mup', 0.8, 0.03, 0.06)], ['mup'])).toMatch(/does not measurably help/); // Δ > 0 but not at 5 %
  });

  it('best: the highest selection score across rows, its configs_tried summed over every candidate row; the section states the rule and family', () => {
    const cs = [
      cand({ regime: 'lazy', selection: [0.7] }),
      cand({ regime: 'catapult', selection: [0.75] }),
      cand({ regime: 'catapult', config: 'w256-lr1', selection: [0.65] }),
    ];
    const res = featureLearning(data(cs), opts);
    const best = bestOverall(res.rows)!;
    expect(best).toMatchObject({ input: 'toy', regime: 'catapult', config: 'w64-lr1', selection_f1: 0.75 });
    // lazy 1 + catapult 2 + ntk-krr 1; the ensemble row carries no score
    expect(best.selection).toMatchObject({ rule: 'fold0-f1', rows: 'fit', configs_tried: 4, rows_compared: 3 });
    const sec = featureLearningSection([res]);
    expect(sec.id).toBe('feature-learning');
    expect(sec.html).toContain(`<b>${res.verdict}</b>`);
    expect(sec.html.match(/<tr><td>toy/g)).toHaveLength(res.rows.length);
    expect(sec.html).toMatch(/Family of comparisons.*Holm/s);
    expect(sec.html).toContain('<td>75.00</td><td>2</td>'); // catapult: fold-0 F1, configs tried
  });
});
