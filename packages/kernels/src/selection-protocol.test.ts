import { describe, expect, it } from 'vitest';
import { mat64, rng } from '@tangent/linalg';
import { binaryMetrics, decideLabels } from './classification-metrics.ts';
import { crossValidateRidge, subKernel } from './cross-validate-ridge.ts';
import { kernelRidgeFit, kernelRidgePredict } from './kernel-ridge-fit.ts';
import { ntkGram } from './ntk-gram.ts';
import {
  DIVERGED_F1,
  chooseBest,
  configurationScore,
  earlyStoppingEpoch,
  foldSplit,
  nestedLambda,
  SELECTION_FOLD,
} from './selection-protocol.ts';

describe('nested λ: chosen on folds 1..k−1, scored on fold 0', () => {
  it('matches a brute-force loop, and ignores fold 0 when choosing (the 5-fold choice differs here)', () => {
    const lambdas = [0.01, 0.1, 1];
    // [fold][λ]: fold 0 alone favours λ = 0.01; folds 1..3 favour λ = 1
    const f1 = [
      [0.9, 0.5, 0.4],
      [0.5, 0.55, 0.6],
      [0.5, 0.5, 0.62],
      [0.52, 0.5, 0.58],
    ].map((r) => Float64Array.from(r));
    const acc = f1.map((r) => r.map((v) => v / 2));
    const got = nestedLambda(lambdas, f1, { f1, accuracy: acc });
    let best = -1,
      bestMean = -Infinity;
    for (let c = 0; c < 3; c++) {
      const m = (f1[1][c] + f1[2][c] + f1[3][c]) / 3;
      if (m >= bestMean) ((best = c), (bestMean = m)); // ties to the larger λ
    }
    expect(got).toEqual({ index: best, lambda: 1, f1: 0.4, accuracy: 0.2 });
    // the all-folds mean (the ntk stage's eval λ) would pick λ = 0.01: fold 0 decided it
    const all = [0, 1, 2].map((c) => f1.reduce((s, r) => s + r[c], 0) / 4);
    expect(all.indexOf(Math.max(...all))).toBe(0);
    // the criterion may differ from the score: choose by accuracy, report fold-0 F1
    expect(nestedLambda(lambdas, acc, { f1, accuracy: acc }).index).toBe(2);
  });

  it('its fold-0 score is that of kernel ridge fitted on folds 1..k−1 at that λ (refit independently)', () => {
    const r = rng(4),
      n = 48,
      d = 3;
    const X = mat64(
      n,
      d,
      Float64Array.from({ length: n * d }, () => r.normal()),
    );
    const t = Int8Array.from({ length: n }, (_, i) => (X.data[i * d] + 0.7 * r.normal() > 0 ? 1 : 0));
    const y = Float64Array.from(t, (v) => 2 * v - 1);
    const fold = Int8Array.from({ length: n }, (_, i) => i % 4);
    const K = ntkGram(X, undefined, { depth: 2 });
    const lambdas = [1e-3, 0.03, 1, 30];
    const cv = crossValidateRidge(K, y, t, fold, { lambdas, solver: 'cholesky' });
    const got = nestedLambda(lambdas, cv.f1, cv);
    const { held, rest } = foldSplit(fold, SELECTION_FOLD);
    const alpha = kernelRidgeFit(
      subKernel(K, rest, rest),
      Float64Array.from(rest, (i) => y[i]),
      got.lambda,
    );
    const s = kernelRidgePredict(subKernel(K, held, rest), alpha);
    const m = binaryMetrics(
      decideLabels(s),
      Array.from(held, (i) => t[i]),
    );
    expect(got.f1).toBeCloseTo(m.f1, 12);
    expect(got.accuracy).toBeCloseTo(m.accuracy, 12);
  });

  it('refuses a single fold or ragged scores', () => {
    const one = [Float64Array.from([1, 2])];
    expect(() => nestedLambda([1, 2], one, { f1: one, accuracy: one })).toThrowError(/at least 2 CV folds/);
    const ragged = [Float64Array.from([1, 2]), Float64Array.from([1])];
    expect(() => nestedLambda([1, 2], ragged, { f1: ragged, accuracy: ragged })).toThrowError(/not 2 folds × 2 λ/);
  });
});

describe('the protocol’s other pieces', () => {
  it('foldSplit: held-out rows and the rest, in row order; an empty side is an error', () => {
    expect(foldSplit([0, 1, 0, 2, 1], 1)).toEqual({ held: [1, 4], rest: [0, 2, 3] });
    expect(() => foldSplit([0, 0], 1)).toThrowError(/fold 1 holds 0 of 2 fit rows/);
  });

  it('early stopping: the first epoch ≥ 1 with the best F1; epoch 0 never wins', () => {
    const curve = [0.9, 0.4, 0.7, 0.7, 0.6].map((f1, epoch) => ({ epoch, f1 }));
    expect(earlyStoppingEpoch(curve)).toBe(2);
    expect(earlyStoppingEpoch([{ epoch: 0, f1: 0.3 }])).toBe(0);
  });

  it('a diverged seed scores the worst F1, it is not dropped', () => {
    expect(DIVERGED_F1).toBe(0);
    expect(configurationScore([0.8, null, 0.7])).toBeCloseTo(0.5, 15);
    expect(configurationScore([0.8, 0.7])).toBeCloseTo(0.75, 15);
    // dropping the diverged seed would have ranked the unstable configuration first
    const cands = [
      { name: 'unstable', s: [0.8, null, 0.79] },
      { name: 'stable', s: [0.7, 0.71, 0.72] },
    ];
    expect(chooseBest(cands, (c) => configurationScore(c.s))).toMatchObject({ best: { name: 'stable' }, index: 1, tried: 2 });
  });

  it('chooseBest: ties go to the first candidate', () => {
    expect(chooseBest([3, 5, 5, 1], (v) => v)).toEqual({ best: 5, index: 1, tried: 4 });
  });
});
