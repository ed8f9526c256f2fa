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
  select_by: z.enum(['f1', 'accuracy']),
  chosen_lambda: z.number(),
  cv: z.object({ solver: z.string(), folds: z.number().int(), accuracy: meanSd, f1: meanSd }),
  loo: z.object({ computed: z.boolean(), accuracy: z.number().nullable(), f1: z.number().nullable(), mse: z.number().nullable() }),
  eval: z.object({ rows: z.number().int(), accuracy: z.number(), f1: z.number(), fit_rows: z.number().int() }),
  test: z.object({ rows: z.number().int(), predicted_positive: z.number().int(), refit_rows: z.number().int() }),
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
