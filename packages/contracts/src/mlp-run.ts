/**
 * One finite-width training run, data/mlp/<input>/<run>/: history.arrow (one row per tracked
 * epoch), predictions.arrow (its eval and test scores) and metrics.json — or, when it diverged, diverged.json (a result of the sweep, not a
 * failure of it). And data/mlp/<input>/submit-w<width>/submission.csv with submit.json.
 */
import { Field, Float64, Int32, Int8, Utf8 } from 'apache-arrow';
import { defineSchema, embeddingType64, type ArtifactSchema } from '@tangent/arrow-io';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import type { StageContext } from './define-stage.ts';
import type { Instance } from './instances.ts';

export const historySchema: ArtifactSchema = defineSchema('mlp history', [
  new Field('epoch', new Int32(), false),
  new Field('train_loss', new Float64(), false),
  new Field('train_accuracy', new Float64(), false),
  new Field('train_f1', new Float64(), false),
  new Field('eval_loss', new Float64(), true),
  new Field('eval_accuracy', new Float64(), true),
  new Field('eval_f1', new Float64(), true),
  new Field('delta_theta', new Float64(), true),
  new Field('lambda_max', new Float64(), true),
  new Field('alignment', new Float64(), true),
  // The linearised (kernel) prediction of the losses at this epoch (mlp tracking.dynamics; null when off):
  // from the analytical Θ and from Θ̂_0 on all fit rows.
  new Field('train_loss_pred_analytic', new Float64(), true),
  new Field('eval_loss_pred_analytic', new Float64(), true),
  new Field('train_loss_pred_empirical', new Float64(), true),
  new Field('eval_loss_pred_empirical', new Float64(), true),
]);

/**
 * predictions.arrow of a run: one row per eval row of the ntk split ('eval', in split order) and
 * per test row ('test', in test.arrow order), both scored by the SAME network, trained on the fit
 * rows only. `score` is the centred output f(x; θ_T) − f(x; θ₀) when model.center is on (else
 * f(x; θ_T)); the ±1 decision is score > 0. Eval scores pair row by row (by id) with the ntk
 * stage's predictions.arrow, whose eval rows also come from a fit-rows-only model; the mean of K
 * runs' scores is the K-ensemble of centred networks (Lee et al. 2020, §3.4).
 */
export const runPredictionsSchema: ArtifactSchema = defineSchema('mlp predictions', [
  new Field('id', new Int32(), false),
  new Field('split', new Utf8(), false),
  new Field('score', new Float64(), false),
]);

/**
 * predictions.arrow of a K > 2-class run: runPredictionsSchema's columns (`score` the predicted
 * class's output) plus `label` (the argmax class index) and `scores` (the K outputs in class
 * order). Every reader of runPredictionsSchema reads it unchanged.
 */
export function classRunPredictionsSchema(K: number): ArtifactSchema {
  return defineSchema('mlp predictions', [
    ...runPredictionsSchema.fields,
    new Field('label', new Int8(), false),
    new Field('scores', embeddingType64(K), false),
  ]);
}

/**
 * The predictions files of a run folder, all with runPredictionsSchema: 'network' the trained
 * network (predictions.arrow, every run); with mlp.afterKernel, 'after-kernel' the kernel ridge
 * regressor with the trained network's empirical NTK Θ̂_T and 'init-kernel' the same with Θ̂_0
 * (predictions-after-kernel.arrow, predictions-init-kernel.arrow), both fitted on the fit rows.
 */
export type RunModel = 'network' | 'after-kernel' | 'init-kernel';
export const runPredictionsFile = (model: RunModel): string => (model === 'network' ? 'predictions.arrow' : `predictions-${model}.arrow`);

const nnum = z.number().nullable();

/** One empirical-kernel ridge regressor of a run: λ by the ntk stage's CV, its CV scores (fit rows) and eval scores. */
const kernelRidgeOutcome = z.object({
  lambda: z.number(),
  cv_accuracy: z.number(),
  cv_f1: z.number(),
  eval_accuracy: z.number(),
  eval_f1: z.number(),
  /**
   * The selection protocol's score (@tangent/kernels selection-protocol.ts): CV fold 0 of the fit
   * rows, scored by kernel ridge fitted on folds 1..k−1 at the λ chosen on folds 1..k−1, with the
   * kernel of a network that never saw fold 0 (Θ̂_T of the validation network; Θ̂_0 needs no labels).
   */
  selection: z.object({ lambda: z.number(), accuracy: z.number(), f1: z.number() }).nullable().default(null),
});

export const runMetricsSchema = z.object({
  run: z.string(),
  width: z.number().int(),
  seed: z.number().int(),
  lr_natural: z.number(),
  lr: z.number(),
  lambda_max0: z.number(),
  lambda_max_source: z.string(),
  epochs: z.number().int(),
  batch_size: z.number().int(),
  n_fit: z.number().int(),
  n_eval: z.number().int(),
  d: z.number().int(),
  tracked: z.number().int(),
  full_kernel: z.boolean(),
  kernel_init_error: nnum,
  delta_theta: nnum,
  delta_theta_full: nnum,
  train_loss: z.number(),
  train_accuracy: z.number(),
  eval_accuracy: nnum,
  /** F1 of class 1 for a binary task; macro-F1 for K > 2 classes (argmax of K outputs). */
  eval_f1: nnum,
  /** K > 2 classes only (absent for binary runs): the class names and the class-wise figures. */
  classes: z.array(z.string()).optional(),
  train_macro_f1: z.number().optional(),
  train_per_class_recall: z.array(nnum).optional(),
  eval_macro_f1: nnum.optional(),
  eval_per_class_recall: z.array(nnum).nullable().optional(),
  best_eval_accuracy: nnum,
  best_eval_epoch: nnum,
  /**
   * With train.validation ≠ 'none': the network trained the same way on the fit rows outside CV
   * fold 0 of the ntk split, scored on fold 0 (the selection protocol's score), and the epoch count
   * the final network was trained for; under early stopping that epoch was chosen on fold
   * `epoch_fold` by a network fitted on the other folds, never on fold 0.
   */
  validation: z
    .object({
      rows: z.number().int(),
      accuracy: z.number(),
      f1: z.number(),
      best_epoch: z.number().int(),
      epochs_used: z.number().int(),
      epoch_fold: z.number().int().nullable().default(null),
    })
    .nullable()
    .default(null),
  /** With mlp.afterKernel: kernel ridge with Θ̂_0 ('init') and Θ̂_T ('final') of this run's network, and their cost. */
  after_kernel: z.object({ init: kernelRidgeOutcome, final: kernelRidgeOutcome, seconds: z.number() }).nullable().default(null),
  seconds: z.number(),
  /**
   * max over epochs and both curves (train, eval) of |L_pred − L| / L: the actual losses against the
   * linearised prediction from the analytical Θ / from Θ̂_0 (mlp tracking.dynamics; null when off).
   */
  dynamics_max_rel_dev_analytic: nnum.default(null),
  dynamics_max_rel_dev_empirical: nnum.default(null),
  /** The same deviation from the NNGP, a kernel known to be wrong for this training (the baseline; mlp linearised-dynamics.ts). */
  dynamics_max_rel_dev_nngp: nnum.default(null),
  /**
   * C = √(E[m·kernel_init_error²]) predicted from the tracked rows alone (@tangent/kernels
   * ntk-relu2-variance.ts, eq. V2); null where there is no analytical NTK (bias, other parameterisations) and for an
   * activation other than ReLU (its variance needs fourth moments with no closed form for erf).
   */
  kernel_init_error_sqrt_m_predicted: nnum.default(null),
});
export type RunMetrics = z.infer<typeof runMetricsSchema>;

export const divergedSchema = z.object({
  run: z.string(),
  message: z.string(),
  epoch: z.number().int(),
  lr: z.number(),
  loss: z.number(),
});
export type DivergedRun = z.infer<typeof divergedSchema>;

/** submit.json beside a width's submission.csv. */
export const submitSchema = z.object({ width: z.number().int(), lr_natural: z.number(), seed: z.number().int(), rows: z.number().int() });

/** A run's final eval accuracy, or null when it diverged (its folder has diverged.json). */
export function readRunOutcome(ctx: StageContext<unknown>, run: Instance): RunMetrics | null {
  if (existsSync(ctx.path(run, 'diverged.json')) && !existsSync(ctx.path(run, 'metrics.json'))) {
    ctx.readJson(run, 'diverged.json', divergedSchema);
    return null;
  }
  return ctx.readJson(run, 'metrics.json', runMetricsSchema);
}
