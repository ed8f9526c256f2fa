/**
 * The one selection protocol every comparison of the project goes through: kernel ridge's λ, each
 * network's learning rate, epoch count and configuration, each regime's row of the
 * feature-learning table, `best`, and the submissions' choices (mlp-submit's learning rate).
 *
 * Rule. With the ntk stage's split (eval rows; the fit rows dealt to CV folds 0..k−1):
 *  1. Score. A candidate's selection score is its F1 on CV fold 0 of the fit rows (SELECTION_FOLD),
 *     predicted by the candidate fitted on folds 1..k−1 only: its weights, and for the after kernel
 *     the network whose Θ̂_T it uses, never saw fold 0's labels.
 *  2. Nested choices. What a candidate itself chooses on held-out rows is chosen on folds other
 *     than 0, never on the rows that score it: kernel ridge's λ maximises the mean criterion over
 *     folds 1..k−1 of the stored k-fold CV (nestedLambda: pure arithmetic on the per-fold, per-λ
 *     scores; the models behind those scores were fitted with fold 0 among their training rows,
 *     so fold 0's labels enter the choice as training data only, never as a score); an
 *     early-stopping epoch maximises F1 on fold 1 (EPOCH_FOLD) of a network fitted on the other
 *     folds (earlyStoppingEpoch).
 *  3. Seeds. A configuration's score is the mean over all its seeds (configurationScore). A
 *     diverged seed is a failure, not a dropped sample: it counts as a network that predicts no
 *     positive (every row negative), whose F1 is 0 (DIVERGED_F1), the worst F1 there is.
 *  4. Choice. The candidate with the highest score wins, ties to the first listed (chooseBest); the
 *     number of candidates compared is recorded with it, since the winner's score is biased upward
 *     by a maximum over that many noisy scores (the winner's curse).
 *  5. Once. The eval split is read after every choice, for the final comparison only.
 * The same fold, the same metric and the same treatment of seeds for every model: scores of
 * different models are comparable, and a referee can recompute each from the fit rows alone.
 */
import { fail } from '@tangent/base';
import { selectLambda } from './cross-validate-ridge.ts';

/** The fit-rows CV fold that scores every candidate. */
export const SELECTION_FOLD = 0;
/** The fold on which an early-stopping epoch is chosen (a network fitted on the other folds). */
export const EPOCH_FOLD = 1;
/** The selection F1 of a diverged seed: that of a network that predicts no positive. */
export const DIVERGED_F1 = 0;
/** The rule's name in every artifact that records a selection. */
export const SELECTION_RULE = 'fold0-f1';

/** Rows held out by `heldOut` and the others (the rows a model scored on `heldOut` is fitted on), in row order. */
export function foldSplit(fold: ArrayLike<number>, heldOut: number): { held: number[]; rest: number[] } {
  const held: number[] = [],
    rest: number[] = [];
  for (let i = 0; i < fold.length; i++) (fold[i] === heldOut ? held : rest).push(i);
  if (!held.length || !rest.length)
    fail(`ntk split: CV fold ${heldOut} holds ${held.length} of ${fold.length} fit rows; the selection protocol needs rows on both sides`);
  return { held, rest };
}

export interface NestedRidgeChoice {
  /** Index into the λ grid of the λ chosen on folds ≠ 0. */
  index: number;
  lambda: number;
  /** Fold-0 scores of kernel ridge fitted on folds 1..k−1 at that λ. */
  f1: number;
  accuracy: number;
}

/**
 * Kernel ridge's nested selection from a k-fold CV over a λ grid: λ* = argmax_λ (1/(k−1))
 * Σ_{f=1}^{k−1} criterion_f(λ) (ties to the larger λ, as selectLambda), then the fold-0 scores at
 * λ*. `criterion`, `f1`, `accuracy`: [fold][λ], as crossValidateRidge returns them.
 */
export function nestedLambda(
  lambdas: readonly number[],
  criterion: readonly ArrayLike<number>[],
  scores: { f1: readonly ArrayLike<number>[]; accuracy: readonly ArrayLike<number>[] },
): NestedRidgeChoice {
  const k = criterion.length,
    m = lambdas.length;
  if (k < 2) fail(`nested λ: needs at least 2 CV folds, got ${k}`);
  for (const t of [criterion, scores.f1, scores.accuracy])
    if (t.length !== k || t.some((row) => row.length !== m)) fail(`nested λ: per-fold scores are not ${k} folds × ${m} λ`);
  const inner = new Float64Array(m);
  for (let f = 0; f < k; f++) if (f !== SELECTION_FOLD) for (let c = 0; c < m; c++) inner[c] += criterion[f][c] / (k - 1);
  const index = selectLambda([...lambdas], inner);
  return {
    index,
    lambda: lambdas[index],
    f1: scores.f1[SELECTION_FOLD][index],
    accuracy: scores.accuracy[SELECTION_FOLD][index],
  };
}

/**
 * The early-stopping epoch: the first epoch ≥ 1 with the highest held-out F1 (epoch 0 of a centred
 * network predicts 0 everywhere); the last epoch when none is ≥ 1.
 */
export function earlyStoppingEpoch(curve: ReadonlyArray<{ epoch: number; f1: number }>): number {
  if (!curve.length) fail('early stopping: an empty validation curve');
  let best: { epoch: number; f1: number } | null = null;
  for (const h of curve) if (h.epoch >= 1 && (!best || h.f1 > best.f1)) best = h;
  return (best ?? curve[curve.length - 1]).epoch;
}

/** A configuration's selection score: the mean over its seeds, a diverged seed (null) scoring DIVERGED_F1. */
export function configurationScore(seedScores: ReadonlyArray<number | null>): number {
  if (!seedScores.length) fail('selection: a configuration without seeds');
  let s = 0;
  for (const v of seedScores) s += v ?? DIVERGED_F1;
  return s / seedScores.length;
}

/** The candidate with the highest score (ties: the first) and how many candidates were compared. */
export function chooseBest<T>(candidates: readonly T[], score: (c: T) => number): { best: T; index: number; tried: number } {
  if (!candidates.length) fail('selection: no candidates');
  let index = 0;
  for (let i = 1; i < candidates.length; i++) if (score(candidates[i]) > score(candidates[index])) index = i;
  return { best: candidates[index], index, tried: candidates.length };
}
