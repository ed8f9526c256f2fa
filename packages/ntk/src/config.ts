import { z } from 'zod';
import { kernelKindSchema, pathSegment } from '@tangent/contracts';
import { ACTIVATION_NAMES } from '@tangent/kernels';

export const ntkConfigSchema = z
  .object({
    /** Which PCA run to read: data/pca/<input>/{train,test}.arrow. */
    input: pathSegment.default('use-lite-d128'),
    /** 'ntk': Θ (the trained infinite-width network); 'nngp': Σ (Bayesian posterior mean of the prior). */
    kernel: kernelKindSchema.default('ntk'),
    /**
     * Further kernels fitted the same way on the same split, folds and λ grid, for comparison
     * (e.g. [nngp]: the NTK vs the NNGP of the same network); their files are metrics-<kernel>.json,
     * cv-<kernel>.arrow, predictions-<kernel>.arrow. No submission is written for them.
     */
    compare: z.array(kernelKindSchema).default([]),
    /**
     * The network's activation (@tangent/kernels activation-registry.ts): 'relu' (arc-cosine
     * kernels, Cho & Saul 2009) or 'erf' (Williams 1997); the mlp stage's `model.activation` is the
     * finite network's. Another activation is one dual-activation file and one registry line.
     */
    activation: z.enum(ACTIVATION_NAMES).default('relu'),
    /** Weight layers L ≥ 2 (L = 2 is the one-hidden-layer network of the MLP stage). */
    depth: z.number().int().min(2).max(64).default(2),
    /** Weight standard deviation σ_w (NTK parameterisation); 1 is the MLP stage's network. */
    sigmaW: z.number().positive().default(1),
    /** Bias standard deviation σ_b; 0 = no bias (the MLP stage's network). */
    sigmaB: z.number().min(0).default(0),
    /** Log-spaced ridge grid λ ∈ [min, max] with `count` values; `lambdas` (explicit list) wins if given. */
    lambdaGrid: z
      .object({ min: z.number().positive(), max: z.number().positive(), count: z.number().int().min(1).max(200) })
      .strict()
      .refine((g) => g.max >= g.min, 'max must be ≥ min')
      .default({ min: 1e-4, max: 1e2, count: 20 }),
    lambdas: z.array(z.number().positive()).min(1).optional(),
    /** CV folds on the fit part. */
    folds: z.number().int().min(2).max(50).default(5),
    /** Stratified share of train held out as the shared evaluation split. */
    evalFraction: z.number().min(0.01).max(0.9).default(0.2),
    seed: z.number().int().min(0).default(42),
    /**
     * Binary: 'pm1': y ∈ {−1, +1}, threshold 0 (default); '01': y ∈ {0, 1}, threshold 0.5.
     * K > 2 classes: K one-vs-rest targets, 'pm1' +1 for the row's class and −1 elsewhere, '01'
     * the plain one-hot; the prediction is the argmax of the K scores, the same for both codings
     * (encodeOneHot in @tangent/kernels); only the MSEs differ.
     */
    labelCoding: z.enum(['pm1', '01']).default('pm1'),
    /**
     * CV criterion for λ (mean over folds). 'f1': the positive class's F1 for two classes (the
     * Kaggle metric), macro-F1 for K > 2 classes; 'macro-f1': the mean of the per-class F1 (for two
     * classes too); 'accuracy'.
     */
    selectBy: z.enum(['f1', 'macro-f1', 'accuracy']).default('f1'),
    /**
     * CV solves. 'shared-eigh': one eigendecomposition of the fit kernel for every fold and λ (exact
     * leave-group-out identity; shared with `loo`); 'eigh': one per fold; 'cholesky': one per fold
     * and λ. 'auto' (native LAPACK, no jitter): shared-eigh when `loo` needs the eigendecomposition
     * anyway or folds × λ > 48 solves, else cholesky up to 24 λ, eigh beyond (see autoSolver).
     */
    solver: z.enum(['auto', 'shared-eigh', 'eigh', 'cholesky']).default('auto'),
    /** Exact leave-one-out over the grid from one eigendecomposition of the fit kernel (needs native LAPACK for n > 2048). */
    loo: z.boolean().default(true),
    /** Relative diagonal jitter (× mean diag K) for the Cholesky solves; 0 = none (a singular system is an error). */
    jitter: z.number().min(0).max(1).default(0),
    /** Memory budget for the float64 kernels in GB; null = what the OS reports available. */
    maxMemoryGb: z.number().positive().nullable().default(null),
  })
  .strict();

export type NtkConfig = z.infer<typeof ntkConfigSchema>;
