/**
 * The ntk stage's outputs in data/ntk/<input>/: cv.arrow (one row per λ), predictions.arrow
 * (eval rows from the fit-part model, test rows from the model refit on all of train) and
 * metrics.json (below). Read by mlp (the split), analysis and submissions.
 */
import { Field, Float64, Int32, Int8, Utf8 } from 'apache-arrow';
import { defineSchema, embeddingType64, type ArtifactSchema } from '@tangent/arrow-io';
import { KERNEL_KINDS } from '@tangent/kernels';
import { z } from 'zod';

export const predictionsSchema = defineSchema('ntk predictions', [
  new Field('id', new Int32(), false),
  new Field('split', new Utf8(), false),
  new Field('score', new Float64(), false),
  new Field('label', new Int8(), false),
  new Field('target', new Int8(), true),
]);

/** One row per λ; fold columns hold the k per-fold values. */
export function cvSchema(folds: number): ArtifactSchema {
  const f64 = (name: string, nullable = false) => new Field(name, new Float64(), nullable);
  return defineSchema('ntk cv', [
    f64('lambda'),
    f64('accuracy_mean'),
    f64('accuracy_sd'),
    f64('f1_mean'),
    f64('f1_sd'),
    f64('mse_mean'),
    new Field('fold_accuracy', embeddingType64(folds), false),
    new Field('fold_f1', embeddingType64(folds), false),
    f64('loo_accuracy', true),
    f64('loo_f1', true),
    f64('loo_mse', true),
    new Field('selected', new Int8(), false),
  ]);
}

/** A kernel's name in a config or an artifact (@tangent/kernels KERNEL_KINDS). */
export const kernelKindSchema = z.enum(KERNEL_KINDS);

const meanSd = z.object({ mean: z.number(), sd: z.number() });

/** Macro-F1 (the unweighted mean of the per-class F1) and per-class recall, in class order. */
const classMetrics = {
  macro_f1: z.number().optional(),
  /** null for a class with no rows in the split. */
  per_class_recall: z.array(z.number().nullable()).optional(),
};

/** data/ntk/<input>/metrics.json. */
export const krrMetricsSchema = z.object({
  input: z.string(),
  kernel: kernelKindSchema,
  /** The network's activation (absent in files from before activations: ReLU). */
  activation: z.string().default('relu'),
  depth: z.number().int(),
  sigma_w: z.number(),
  sigma_b: z.number(),
  label_coding: z.enum(['pm1', '01']),
  select_by: z.enum(['f1', 'accuracy', 'macro-f1']),
  /** The class names, index = label (absent in files from before datasets: the binary tweets, ['0', '1']). */
  classes: z.array(z.string()).min(2).optional(),
  chosen_lambda: z.number(),
  cv: z.object({ solver: z.string(), folds: z.number().int(), accuracy: meanSd, f1: meanSd, macro_f1: meanSd.optional() }),
  loo: z.object({
    computed: z.boolean(),
    accuracy: z.number().nullable(),
    f1: z.number().nullable(),
    mse: z.number().nullable(),
    macro_f1: z.number().nullable().optional(),
  }),
  eval: z.object({
    rows: z.number().int(),
    accuracy: z.number(),
    /** F1 of class 1 when binary; macro-F1 when there are more classes. */
    f1: z.number(),
    fit_rows: z.number().int(),
    ...classMetrics,
  }),
  /**
   * The model refitted on all train rows at the chosen λ, on the test split: a labelled test split
   * (every dataset but the Kaggle tweets) is scored here once; an unlabelled one is a submission.
   */
  test: z.object({
    rows: z.number().int(),
    /** Predicted class-1 rows (binary). */
    predicted_positive: z.number().int().optional(),
    refit_rows: z.number().int(),
    accuracy: z.number().optional(),
    /** F1 of class 1 when binary; macro-F1 when there are more classes. */
    f1: z.number().optional(),
    ...classMetrics,
  }),
  timings: z.record(z.string(), z.number()),
  backend: z.record(z.string(), z.unknown()),
});
export type KrrMetrics = z.infer<typeof krrMetricsSchema>;

export type KrrKernel = KrrMetrics['kernel'];

/**
 * The file of one kernel's results in an ntk folder: the stage's primary kernel (ntk.kernel)
 * writes metrics.json, cv.arrow, predictions.arrow; each kernel of ntk.compare writes
 * metrics-<kernel>.json, cv-<kernel>.arrow, predictions-<kernel>.arrow.
 */
export function krrFile(kind: 'metrics' | 'cv' | 'predictions', kernel: KrrKernel, primary: KrrKernel): string {
  const ext = kind === 'metrics' ? 'json' : 'arrow';
  return kernel === primary ? `${kind}.${ext}` : `${kind}-${kernel}.${ext}`;
}

/**
 * predictions.arrow for K > 2 classes: the contract's columns (`label` the predicted class index,
 * `score` that class's score, `target` the class index or null) plus `scores`, the K one-vs-rest
 * scores of the row in class order (FixedSizeList<Float64>[K]). Every reader of
 * `predictionsSchema` reads it unchanged (a read checks the declared columns).
 */
export function multiclassPredictionsSchema(classes: number): ArtifactSchema {
  return defineSchema('ntk predictions', [...predictionsSchema.fields, new Field('scores', embeddingType64(classes), false)]);
}

/**
 * cv.arrow: `cvSchema` plus macro-F1 per λ (fold mean and SD, each fold's, LOO), the
 * `selectBy: macro-f1` criterion. (For K > 2 the f1 columns hold macro-F1 too.)
 */
export function cvWithMacroF1Schema(folds: number): ArtifactSchema {
  const base = cvSchema(folds);
  return defineSchema(base.name, [
    ...base.fields,
    new Field('macro_f1_mean', new Float64(), false),
    new Field('macro_f1_sd', new Float64(), false),
    new Field('fold_macro_f1', embeddingType64(folds), false),
    new Field('loo_macro_f1', new Float64(), true),
  ]);
}
