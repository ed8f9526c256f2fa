/**
 * Kernel ridge regression with a network's own empirical NTK: Θ̂_T of the trained network (the
 * "after kernel", Fort et al. 2020, "Deep learning versus kernel learning", §4; Long 2021) and,
 * as its lazy reference, Θ̂_0 of the same network at initialisation. Same recipe as the ntk
 * stage's Θ-KRR (so the three differ only in the kernel): α = (Θ̂(X_fit, X_fit) + λI)⁻¹ y on the
 * fit rows, λ by k-fold CV over the ntk stage's λ grid on the ntk split's folds and criterion,
 * eval and test rows scored by Θ̂(X, X_fit) α. If Θ̂_T-KRR beats Θ̂_0-KRR on held-out rows the
 * network has learned a better kernel for this task: the most direct test of feature learning.
 */
import { fail } from '@tangent/base';
import {
  binaryMetrics,
  crossValidateRidge,
  decideLabels,
  decisionThreshold,
  encodeLabels,
  foldSummary,
  kernelRidgeFit,
  kernelRidgePredict,
  nestedLambda,
  selectLambda,
  type LabelCoding,
  type NestedRidgeChoice,
  type RidgeSolver,
} from '@tangent/kernels';
import type { Mat32 } from '@tangent/linalg';
import type { Mlp } from '@tangent/nn';
import { empiricalNtkTwoLayer } from './empirical-ntk-two-layer.ts';

export interface KernelCv {
  /** The λ grid (the ntk stage's cv.arrow). */
  lambdas: number[];
  /** CV fold 0..k−1 of every fit row (the ntk split). */
  fold: Int8Array;
  /** The ntk stage's criterion: 'f1' the positive class's F1, 'macro-f1' the mean per-class F1, 'accuracy'. */
  selectBy: 'f1' | 'macro-f1' | 'accuracy';
  coding: LabelCoding;
  solver?: RidgeSolver;
  /** GEMM precision of the kernel products (the kernel is float64 either way). */
  precision?: 'float32' | 'float64';
  maxBytes?: number;
}

export interface EmpiricalKrr {
  lambda: number;
  /** Mean CV scores over folds at the chosen λ (fit rows only: usable for model selection). */
  cv: { accuracy: number; f1: number };
  /** The selection protocol's score from the same CV: λ chosen on folds 1..k−1, fold 0 scored (selection-protocol.ts). */
  nested: NestedRidgeChoice;
  eval: { accuracy: number; f1: number } | null;
  /** Decision scores (> 0 ⇔ positive): the ridge prediction minus the coding's threshold. */
  evalScores: Float64Array | null;
  testScores: Float64Array | null;
  seconds: number;
}

/** KRR with Θ̂ of `net` on the fit rows (±1 labels `y`), λ by CV; eval and test rows scored by the fit-rows model. */
export function empiricalKernelRidge(
  net: Mlp,
  fit: { X: Mat32; y: Float32Array },
  evalSet: { X: Mat32; y: Float32Array } | null,
  test: Mat32 | null,
  o: KernelCv,
): EmpiricalKrr {
  const t0 = performance.now();
  const n = fit.X.rows;
  if (o.fold.length !== n) fail(`after kernel: ${o.fold.length} fold labels for ${n} fit rows`);
  const truth = Int8Array.from(fit.y, (v) => (v > 0 ? 1 : 0));
  const y = encodeLabels(truth, o.coding);
  const entk = { precision: o.precision ?? 'float32', maxBytes: o.maxBytes };
  const K = empiricalNtkTwoLayer(net, fit.X, undefined, entk);
  const cv = crossValidateRidge(K, y, truth, o.fold, { lambdas: o.lambdas, solver: o.solver ?? 'auto', coding: o.coding });
  const acc = foldSummary(cv.accuracy).mean,
    f1 = foldSummary(cv.f1).mean;
  const criterion = { f1: cv.f1, 'macro-f1': cv.macroF1, accuracy: cv.accuracy }[o.selectBy];
  const best = selectLambda(o.lambdas, foldSummary(criterion).mean);
  const lambda = o.lambdas[best];
  const alpha = kernelRidgeFit(K, y, lambda, { overwrite: true, what: 'after-kernel ridge' });
  const shift = decisionThreshold(o.coding);
  const score = (X: Mat32) => kernelRidgePredict(empiricalNtkTwoLayer(net, X, fit.X, entk), alpha).map((v) => v - shift);
  const evalScores = evalSet ? score(evalSet.X) : null;
  const ev = evalSet
    ? binaryMetrics(
        decideLabels(evalScores!, 'pm1'),
        Int8Array.from(evalSet.y, (v) => (v > 0 ? 1 : 0)),
      )
    : null;
  return {
    lambda,
    cv: { accuracy: acc[best], f1: f1[best] },
    nested: nestedLambda(o.lambdas, criterion, cv),
    eval: ev,
    evalScores,
    testScores: test ? score(test) : null,
    seconds: (performance.now() - t0) / 1000,
  };
}
