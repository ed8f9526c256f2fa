import { fail } from '@tangent/base';

/**
 * Label coding for regressing a binary target with squared loss. 'pm1' (default): y = 2t − 1 ∈
 * {−1, +1}, predict 1 when the score ≥ 0 — symmetric, so the decision threshold does not depend
 * on λ shrinking scores toward 0. '01': y = t, threshold 0.5 (shrinkage biases it toward class 0).
 */
export type LabelCoding = 'pm1' | '01';

export function encodeLabels(t: ArrayLike<number>, coding: LabelCoding = 'pm1'): Float64Array {
  const y = new Float64Array(t.length);
  for (let i = 0; i < t.length; i++) {
    if (t[i] !== 0 && t[i] !== 1) fail(`labels: target at row ${i} is ${t[i]}; expected 0 or 1`);
    y[i] = coding === 'pm1' ? 2 * t[i] - 1 : t[i];
  }
  return y;
}

export const decisionThreshold = (coding: LabelCoding): number => (coding === 'pm1' ? 0 : 0.5);

export function decideLabels(scores: ArrayLike<number>, coding: LabelCoding = 'pm1'): Int8Array {
  const th = decisionThreshold(coding);
  const out = new Int8Array(scores.length);
  for (let i = 0; i < scores.length; i++) out[i] = scores[i] >= th ? 1 : 0;
  return out;
}

/** Accuracy and F1 of the positive class (F1 = 2TP / (2TP + FP + FN); 0 when there is no positive at all). */
export function binaryMetrics(pred: ArrayLike<number>, truth: ArrayLike<number>): { accuracy: number; f1: number } {
  if (pred.length !== truth.length) fail(`metrics: ${pred.length} predictions for ${truth.length} labels`);
  let tp = 0,
    fp = 0,
    fn = 0,
    ok = 0;
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i],
      t = truth[i];
    if (p === t) ok++;
    if (p === 1 && t === 1) tp++;
    else if (p === 1) fp++;
    else if (t === 1) fn++;
  }
  const den = 2 * tp + fp + fn;
  return { accuracy: pred.length ? ok / pred.length : NaN, f1: den ? (2 * tp) / den : 0 };
}

/**
 * Accuracy and F1 of real-valued outputs f against ±1 labels y, with the one decision rule of
 * the project (f ≥ 0 → class 1, as `decideLabels` for 'pm1'): the MLP stage and kernel ridge
 * regression score the same way.
 */
export function binaryScores(f: ArrayLike<number>, y: ArrayLike<number>): { accuracy: number; f1: number } {
  if (f.length !== y.length) fail(`metrics: ${f.length} predictions for ${y.length} labels`);
  const truth = Int8Array.from({ length: y.length }, (_, i) => (y[i] > 0 ? 1 : 0));
  return binaryMetrics(decideLabels(f, 'pm1'), truth);
}
