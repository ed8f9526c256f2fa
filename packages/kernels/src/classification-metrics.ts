import { fail } from '@tangent/base';
import { mat64, type Mat64, type Matrix } from '@tangent/linalg';

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

/**
 * K-class targets as K right-hand sides (one-vs-rest regression, predict the argmax; Rifkin &
 * Klautau 2004, JMLR 5): row i of the n × K matrix codes "class k vs the rest" for every k.
 * 'pm1' (default): +1 for the row's class t_i ∈ {0..K−1}, −1 for every other (each column is the
 * binary ±1 coding of its own one-vs-rest problem, so MSEs compare with the binary stage's); '01':
 * 1 / 0 (the plain one-hot). The argmax is the same for both: Y_pm1 = 2·Y_01 − 1 1ᵀ and kernel
 * ridge is linear in Y, so f_pm1(x) = 2·f_01(x) − g(x)·1 with g(x) = k(x)ᵀ(K + λI)⁻¹1 common to
 * every class, which moves no argmax.
 */
export function encodeOneHot(t: ArrayLike<number>, classes: number, coding: LabelCoding = 'pm1'): Mat64 {
  if (!Number.isInteger(classes) || classes < 2) fail(`labels: ${classes} classes; one-hot targets need at least 2`);
  const off = coding === 'pm1' ? -1 : 0;
  const Y = mat64(t.length, classes);
  Y.data.fill(off);
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (!Number.isInteger(c) || c < 0 || c >= classes) fail(`labels: target at row ${i} is ${c}; expected a class index 0..${classes - 1}`);
    Y.data[i * classes + c] = 1;
  }
  return Y;
}

/**
 * The predicted class of each row from K scores: argmax_k S[i, block·K + k] (ties to the lower
 * class). `block` picks one of several K-column blocks (column c·K + k ↔ λ_c, class k: the layout
 * of the multi-target ridge solvers); K ≤ 127 (Int8 labels).
 */
export function argmaxLabels(S: Matrix, classes = S.cols, block = 0): Int8Array {
  if (classes > 127) fail(`labels: ${classes} classes; at most 127 fit the Int8 label column`);
  if ((block + 1) * classes > S.cols) fail(`argmaxLabels: block ${block} of ${classes} classes exceeds ${S.cols} columns`);
  const out = new Int8Array(S.rows);
  for (let i = 0; i < S.rows; i++) {
    const o = i * S.cols + block * classes;
    let best = 0;
    for (let k = 1; k < classes; k++) if (S.data[o + k] > S.data[o + best]) best = k;
    out[i] = best;
  }
  return out;
}

/** C[t][p] = #rows with true class t predicted as p (K × K, row-major). */
export function confusionMatrix(pred: ArrayLike<number>, truth: ArrayLike<number>, classes: number): Int32Array {
  if (pred.length !== truth.length) fail(`metrics: ${pred.length} predictions for ${truth.length} labels`);
  const C = new Int32Array(classes * classes);
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i],
      t = truth[i];
    if (!(Number.isInteger(p) && Number.isInteger(t) && p >= 0 && t >= 0 && p < classes && t < classes))
      fail(`metrics: row ${i} has prediction ${p}, label ${t}; expected class indices 0..${classes - 1}`);
    C[t * classes + p]++;
  }
  return C;
}

export interface MulticlassMetrics {
  accuracy: number;
  /** Mean of the per-class F1 over the classes that occur in the labels or the predictions. */
  macroF1: number;
  /** TP_c / (TP_c + FN_c) per class, in class order; NaN for a class with no labelled row. */
  perClassRecall: number[];
  /** 2TP_c / (2TP_c + FP_c + FN_c) per class; NaN for a class neither labelled nor predicted. */
  perClassF1: number[];
}

/**
 * Accuracy, per-class recall and F1, and macro-F1 from the confusion matrix C (row = truth):
 * TP_c = C_cc, FN_c = Σ_p C_cp − TP_c, FP_c = Σ_t C_tc − TP_c, F1_c = 2TP_c / (2TP_c + FP_c + FN_c),
 * macro-F1 = mean of F1_c over the classes with 2TP_c + FP_c + FN_c > 0 (scikit-learn's
 * f1_score(average='macro'), whose labels are those present in either; a class predicted for none
 * of its rows counts 0).
 */
export function multiclassMetrics(pred: ArrayLike<number>, truth: ArrayLike<number>, classes: number): MulticlassMetrics {
  const C = confusionMatrix(pred, truth, classes);
  const perClassRecall: number[] = [],
    perClassF1: number[] = [];
  let ok = 0,
    f1Sum = 0,
    present = 0;
  for (let c = 0; c < classes; c++) {
    let row = 0,
      col = 0;
    for (let k = 0; k < classes; k++) ((row += C[c * classes + k]), (col += C[k * classes + c]));
    const tp = C[c * classes + c];
    ok += tp;
    perClassRecall.push(row ? tp / row : NaN);
    // 2TP + FP + FN = (TP + FN) + (TP + FP) = row + col
    const f1 = row + col ? (2 * tp) / (row + col) : NaN;
    perClassF1.push(f1);
    if (row + col) ((f1Sum += f1), present++);
  }
  return { accuracy: pred.length ? ok / pred.length : NaN, macroF1: present ? f1Sum / present : NaN, perClassRecall, perClassF1 };
}

/**
 * The project's scores of K-class predictions: accuracy; `f1` the positive class's F1 for K = 2
 * (binaryMetrics, the Kaggle metric) and macro-F1 for K > 2; macro-F1 and per-class recall always.
 */
export function classificationScores(
  pred: ArrayLike<number>,
  truth: ArrayLike<number>,
  classes: number,
): { accuracy: number; f1: number; macroF1: number; perClassRecall: number[] } {
  const m = multiclassMetrics(pred, truth, classes);
  const f1 = classes === 2 ? binaryMetrics(pred, truth).f1 : m.macroF1;
  return { accuracy: m.accuracy, f1, macroF1: m.macroF1, perClassRecall: m.perClassRecall };
}
