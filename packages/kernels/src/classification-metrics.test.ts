import { describe, expect, it } from 'vitest';
import { mat64, rng } from '@tangent/linalg';
import {
  argmaxLabels,
  binaryMetrics,
  classificationScores,
  confusionMatrix,
  encodeLabels,
  encodeOneHot,
  multiclassMetrics,
} from './classification-metrics.ts';

/** Brute force, one class at a time by filtering rows (no confusion matrix): scikit-learn's macro rule. */
function bruteForce(pred: number[], truth: number[], K: number) {
  const f1s: number[] = [],
    recall: number[] = [];
  for (let c = 0; c < K; c++) {
    const tp = pred.filter((p, i) => p === c && truth[i] === c).length;
    const fp = pred.filter((p, i) => p === c && truth[i] !== c).length;
    const fn = pred.filter((p, i) => p !== c && truth[i] === c).length;
    recall.push(tp + fn ? tp / (tp + fn) : NaN);
    if (tp + fp + fn) f1s.push((2 * tp) / (2 * tp + fp + fn));
  }
  return {
    accuracy: pred.filter((p, i) => p === truth[i]).length / pred.length,
    macroF1: f1s.reduce((a, b) => a + b, 0) / f1s.length,
    recall,
  };
}

describe('multi-class metrics', () => {
  it('a worked example: accuracy 4/6, recalls 2/3, 1/2, 1, macro-F1 (4/5 + 1/2 + 2/3)/3', () => {
    const truth = [0, 0, 0, 1, 1, 2],
      pred = [0, 0, 1, 1, 2, 2];
    const m = multiclassMetrics(pred, truth, 3);
    expect(m.accuracy).toBeCloseTo(4 / 6, 15);
    expect(m.perClassRecall).toEqual([2 / 3, 1 / 2, 1]);
    expect(m.perClassF1).toEqual([4 / 5, 2 / 4, 2 / 3]);
    expect(m.macroF1).toBeCloseTo((4 / 5 + 1 / 2 + 2 / 3) / 3, 15);
    expect(Array.from(confusionMatrix(pred, truth, 3))).toEqual([2, 1, 0, 0, 1, 1, 0, 0, 1]);
  });

  it('a class neither labelled nor predicted is left out of macro-F1; one predicted but never labelled counts 0', () => {
    const truth = [0, 0, 1, 1],
      pred = [0, 1, 1, 1];
    const three = multiclassMetrics(pred, truth, 3); // class 2: absent from both
    expect(three.macroF1).toBeCloseTo((2 / 3 + 4 / 5) / 2, 15);
    expect(three.perClassRecall[2]).toBeNaN();
    const spurious = multiclassMetrics([0, 2, 1, 1], truth, 3); // class 2 predicted once, never true
    expect(spurious.perClassF1[2]).toBe(0);
    expect(spurious.macroF1).toBeCloseTo((2 / 3 + 1 + 0) / 3, 15);
  });

  it('equals a brute-force count on random labels, K = 2..7', () => {
    const r = rng(11);
    for (let trial = 0; trial < 40; trial++) {
      const K = 2 + (trial % 6);
      const n = 1 + Math.floor(r.uniform() * 90);
      const truth = Array.from({ length: n }, () => Math.floor(r.uniform() * K));
      // mostly right, so that every regime (perfect, absent, spurious classes) occurs
      const pred = truth.map((t) => (r.uniform() < 0.6 ? t : Math.floor(r.uniform() * K)));
      const m = multiclassMetrics(pred, truth, K);
      const b = bruteForce(pred, truth, K);
      expect(m.accuracy).toBeCloseTo(b.accuracy, 14);
      expect(m.macroF1).toBeCloseTo(b.macroF1, 14);
      m.perClassRecall.forEach((v, c) => (Number.isNaN(b.recall[c]) ? expect(v).toBeNaN() : expect(v).toBeCloseTo(b.recall[c], 14)));
    }
  });

  it('two classes: macro-F1 is the mean of the F1 of class 1 and of class 0 (labels flipped); f1 stays class 1’s', () => {
    const r = rng(3);
    const truth = Array.from({ length: 57 }, () => (r.uniform() < 0.3 ? 1 : 0));
    const pred = truth.map((t) => (r.uniform() < 0.75 ? t : 1 - t));
    const pos = binaryMetrics(pred, truth);
    const neg = binaryMetrics(
      pred.map((p) => 1 - p),
      truth.map((t) => 1 - t),
    );
    const s = classificationScores(pred, truth, 2);
    expect(s.macroF1).toBeCloseTo((pos.f1 + neg.f1) / 2, 15);
    expect(s.f1).toBe(pos.f1);
    expect(s.accuracy).toBe(pos.accuracy);
    expect(classificationScores(pred, truth, 3).f1).toBe(classificationScores(pred, truth, 3).macroF1);
  });

  it('one-hot targets: ±1 or 0/1 per class, two classes are the binary coding and its negation; argmax picks the class', () => {
    const t = [2, 0, 1, 1];
    expect(Array.from(encodeOneHot(t, 3).data)).toEqual([-1, -1, 1, 1, -1, -1, -1, 1, -1, -1, 1, -1]);
    expect(Array.from(encodeOneHot(t, 3, '01').data)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 1, 0]);
    const two = encodeOneHot([0, 1, 1], 2);
    const y = encodeLabels([0, 1, 1]);
    for (let i = 0; i < 3; i++) expect([two.data[2 * i], two.data[2 * i + 1]]).toEqual([-y[i], y[i]]);
    expect(() => encodeOneHot([0, 3], 3)).toThrow(/target at row 1 is 3; expected a class index 0\.\.2/);
    // blocks of K columns (c·K + k): block 1 is the second K-column group; ties go to the lower class
    const S = mat64(2, 6, [0.1, 0.5, 0.2, 9, -1, -2, 0.3, 0.3, 0.1, -5, -4, -3]);
    expect(Array.from(argmaxLabels(S, 3, 0))).toEqual([1, 0]);
    expect(Array.from(argmaxLabels(S, 3, 1))).toEqual([0, 2]);
  });
});
