/**
 * Binary classification scores of real-valued outputs against ±1 labels: the predicted class is
 * sign(f) (f > 0 → +1, the "disaster" class), matching kernel regression on ±1 targets.
 */
import { fail } from '@tangent/arrow-io';

export interface BinaryScores {
  accuracy: number;
  /** F1 of the positive class (+1). */
  f1: number;
}

export function binaryScores(f: ArrayLike<number>, y: ArrayLike<number>): BinaryScores {
  if (f.length !== y.length) fail(`binaryScores: ${f.length} predictions for ${y.length} labels`);
  let tp = 0, fp = 0, fn = 0, correct = 0;
  for (let i = 0; i < f.length; i++) {
    const p = f[i] > 0, t = y[i] > 0;
    if (p === t) correct++;
    if (p && t) tp++;
    else if (p && !t) fp++;
    else if (!p && t) fn++;
  }
  const f1 = tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn); // F1 = 2TP / (2TP + FP + FN)
  return { accuracy: f.length ? correct / f.length : NaN, f1 };
}
