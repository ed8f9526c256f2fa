import { fail } from '@tangent/base';
import { rng } from '@tangent/linalg';

/**
 * The evaluation split every later stage shares, plus the CV folds of the rest. Stratified by
 * class: within each class the rows are shuffled with one seeded generator (classes in sorted
 * order), the first round(evalFraction · n_c) become 'eval' and the others are dealt to folds
 * 0..k−1 round-robin, the deal continuing across classes so fold sizes differ by at most one.
 */
export interface SplitAssignment {
  /** 1 = eval, 0 = fit. */
  isEval: Uint8Array;
  /** CV fold 0..k−1 for fit rows, −1 for eval rows. */
  fold: Int8Array;
}

export function stratifiedSplit(target: ArrayLike<number>, opts: { evalFraction: number; folds: number; seed: number }): SplitAssignment {
  const n = target.length;
  const { evalFraction, folds, seed } = opts;
  if (!(evalFraction >= 0 && evalFraction < 1)) fail(`split: evalFraction must be in [0, 1), got ${evalFraction}`);
  if (!Number.isInteger(folds) || folds < 2 || folds > 127) fail(`split: folds must be an integer in [2, 127], got ${folds}`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const t = target[i];
    if (t === null || t === undefined || !Number.isFinite(t))
      fail(`split: target of row ${i} is missing; the fit/eval split needs labelled rows`);
    (byClass.get(t) ?? byClass.set(t, []).get(t)!).push(i);
  }
  const r = rng(seed);
  const isEval = new Uint8Array(n);
  const fold = new Int8Array(n).fill(-1);
  let deal = 0;
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = r.shuffle(byClass.get(c)!) as number[];
    const nEval = Math.round(evalFraction * idx.length);
    for (let p = 0; p < idx.length; p++) {
      if (p < nEval) isEval[idx[p]] = 1;
      else fold[idx[p]] = deal++ % folds;
    }
  }
  const fitCount = n - isEval.reduce((s, v) => s + v, 0);
  if (fitCount < folds) fail(`split: only ${fitCount} fit rows for ${folds} folds; lower folds or evalFraction`);
  return { isEval, fold };
}
