/**
 * The experiment config of `tangent experiment --config <file.yaml>`: data source, network,
 * SGD phase, switch heuristics and NTK phase. Every object is strict, so a misspelt key is an
 * error naming the field rather than a silently ignored setting.
 */
import { z } from 'zod';
import { pathSegment } from '@tangent/contracts';
import { loadConfig, validateConfig } from '@tangent/arrow-io';
import { fail } from '@tangent/base';
import { isSpectral, NTK_METHODS } from './methods.ts';

const posInt = z.number().int().positive();
const frac = z.number().gt(0, { message: 'must be in (0, 1)' }).lt(1, { message: 'must be in (0, 1)' });

const wineData = z
  .object({
    kind: z.literal('wine'),
    /** Which UCI file(s): red (1599 rows), white (4898) or both (6497, plus an is_red feature). */
    variant: z.enum(['red', 'white', 'both']).default('red'),
    testFraction: frac.default(0.2),
    /** Train on (y − mean)/std of the training targets; metrics are always on the original scale. */
    standardizeTarget: z.boolean().default(true),
  })
  .strict();

const fashionData = z
  .object({
    kind: z.literal('fashion_mnist'),
    /** First n training images (null = all 60000). */
    trainSubset: posInt.nullable().default(null),
    /** First n test images (null = all 10000). */
    testSubset: posInt.nullable().default(null),
  })
  .strict();

const csvData = z
  .object({
    kind: z.literal('csv'),
    /** Path to the CSV file (relative paths resolve against TANGENT_DATA_DIR, then the working directory). */
    path: z.string().min(1),
    delimiter: z.string().length(1).default(','),
    /** Feature column names; null = every column except the target. */
    features: z.array(z.string().min(1)).min(1).nullable().default(null),
    target: z.string().min(1),
    task: z.enum(['regression', 'classification']),
    testFraction: frac.default(0.2),
    standardizeTarget: z.boolean().default(true),
  })
  .strict();

export const dataSchema = z.discriminatedUnion('kind', [wineData, fashionData, csvData], {
  error: "data.kind must be one of 'wine', 'fashion_mnist', 'csv'",
});

export const modelSchema = z
  .object({
    /** Hidden widths; input and output widths come from the data. */
    hidden: z.array(posInt).min(1).default([100, 100]),
    activation: z.enum(['relu', 'tanh', 'sigmoid', 'identity']).default('relu'),
    parameterization: z.enum(['ntk', 'standard']).default('ntk'),
    bias: z.boolean().default(true),
    sigmaW: z.number().positive().default(Math.SQRT2),
    sigmaB: z.number().nonnegative().default(0.1),
  })
  .strict();

export const sgdSchema = z
  .object({
    lr: z.number().positive(),
    batchSize: posInt.default(32),
    /** Total training budget in epochs (SGD baseline runs all of them). */
    epochs: posInt,
    /** Classification only: 'mse' on one-hot targets or 'cross_entropy' (softmax). Regression is always mse. */
    loss: z.enum(['mse', 'cross_entropy']).default('mse'),
  })
  .strict();

export const switchSchema = z
  .object({
    /** Window k (epochs) over which every heuristic compares. */
    window: posInt.default(2),
    /** No switch before this epoch. */
    minEpoch: z.number().int().nonnegative().default(1),
    /** Switch here if nothing fired earlier (null = epochs − 1). */
    maxEpoch: posInt.nullable().default(null),
    paramNorm: z
      .object({
        enabled: z.boolean().default(true),
        /** ‖θ_t − θ_{t−k}‖ < ε (divided by ‖θ_t‖ when relative). */
        epsilon: z.number().positive().default(0.01),
        relative: z.boolean().default(true),
      })
      .strict()
      .default({ enabled: true, epsilon: 0.01, relative: true }),
    ntkStability: z
      .object({
        enabled: z.boolean().default(true),
        /** |‖Θ_t − Θ_0‖_F − ‖Θ_{t−k} − Θ_0‖_F| < δ (divided by ‖Θ_0‖_F when relative). */
        delta: z.number().positive().default(0.01),
        relative: z.boolean().default(true),
        /** Training samples in the monitor subset (kernel of size monitorSize·outDim). */
        monitorSize: posInt.default(64),
      })
      .strict()
      .default({ enabled: true, delta: 0.01, relative: true, monitorSize: 64 }),
    fixedEpoch: z
      .object({ enabled: z.boolean().default(false), epoch: posInt.default(5) })
      .strict()
      .default({ enabled: false, epoch: 5 }),
  })
  .strict();

export const ntkSchema = z
  .object({
    /** Which solvers of the linearised model run after the switch (methods.ts). */
    methods: z
      .array(z.enum(NTK_METHODS))
      .min(1)
      .default([...NTK_METHODS]),
    /** Learning rate η of the linearised phase (null = sgd.lr). */
    lr: z.number().positive().nullable().default(null),
    /**
     * Steps (linearised-descent, functional-evolution) and time t (integrated-flow) of the linearised phase, in units of η-steps.
     * null = the SGD budget left after the switch: (epochs − switchEpoch) · ceil(N / batchSize).
     */
    steps: posInt.nullable().default(null),
    /** Training samples used for J0 / Θ0 (null = all); a seeded random subset otherwise. */
    subset: posInt.nullable().default(null),
    /** Eigenvalues below rcond · λ_max are treated as the null space of Θ0 (J0ᵀv = 0 there). */
    rcond: z.number().positive().lt(1).default(1e-10),
    /** Test samples on which the linearisation error is also measured (J_test Δθ); 0 = skip. */
    linErrTestSize: z.number().int().nonnegative().default(256),
    /**
     * false (default): Θ0 is formed on `subset` rows (dense eigendecomposition for the spectral methods).
     * true: no Θ0 and no J0 — every product is J0 (J0ᵀ v) from two network passes on all
     * `subset` rows (null = the whole training set): linearised-descent is SGD on the linearised
     * model with the SGD phase's batches (cost per step ≈ an SGD step), functional-evolution and
     * integrated-flow use the top `topK` eigenpairs of Θ0 (Lanczos) plus the exact flow on their
     * complement (Krylov).
     */
    matrixFree: z.boolean().default(false),
    /** Matrix-free spectral methods: eigenpairs of Θ0 computed by Lanczos. */
    topK: posInt.default(64),
    /** Lanczos steps for them (null = 2·topK + 20); each is one Θ0 product on all rows. */
    lanczosSteps: posInt.nullable().default(null),
    /** Krylov steps for the flow on the complement of the top-k eigenvectors (0 = leave the complement at rest). */
    complementSteps: z.number().int().nonnegative().default(40),
  })
  .strict();

export const experimentSchema = z
  .object({
    /** Output folder name: data/hybrid/<experiment>/. */
    experiment: pathSegment,
    seeds: z.array(z.number().int().nonnegative()).min(1).default([0]),
    data: dataSchema,
    model: modelSchema.default({
      hidden: [100, 100],
      activation: 'relu',
      parameterization: 'ntk',
      bias: true,
      sigmaW: Math.SQRT2,
      sigmaB: 0.1,
    }),
    sgd: sgdSchema,
    switch: switchSchema.default({
      window: 2,
      minEpoch: 1,
      maxEpoch: null,
      paramNorm: { enabled: true, epsilon: 0.01, relative: true },
      ntkStability: { enabled: true, delta: 0.01, relative: true, monitorSize: 64 },
      fixedEpoch: { enabled: false, epoch: 5 },
    }),
    ntk: ntkSchema.default({
      methods: [...NTK_METHODS],
      lr: null,
      steps: null,
      subset: null,
      rcond: 1e-10,
      linErrTestSize: 256,
      matrixFree: false,
      topK: 64,
      lanczosSteps: null,
      complementSteps: 40,
    }),
    metrics: z
      .object({
        /** NRMSE denominator: range = max(y) − min(y) of the training targets (default), std = their standard deviation. */
        nrmse: z.enum(['range', 'std']).default('range'),
      })
      .strict()
      .default({ nrmse: 'range' }),
  })
  .strict();

export type ExperimentConfig = z.infer<typeof experimentSchema>;
export type DataConfig = z.infer<typeof dataSchema>;

/** Cross-field checks zod cannot express per field; `source` names the file in the message. */
export function checkExperiment(cfg: ExperimentConfig, source: string): ExperimentConfig {
  const E = cfg.sgd.epochs;
  const sw = cfg.switch;
  if (sw.maxEpoch !== null && sw.maxEpoch >= E)
    fail(
      `${source}: field 'switch.maxEpoch': ${sw.maxEpoch} must be below sgd.epochs (${E}) so the NTK phase has a budget; lower it or raise sgd.epochs`,
    );
  if (sw.fixedEpoch.enabled && sw.fixedEpoch.epoch >= E)
    fail(
      `${source}: field 'switch.fixedEpoch.epoch': ${sw.fixedEpoch.epoch} must be below sgd.epochs (${E}); lower it or raise sgd.epochs`,
    );
  if (sw.minEpoch >= E) fail(`${source}: field 'switch.minEpoch': ${sw.minEpoch} must be below sgd.epochs (${E})`);
  if (!sw.paramNorm.enabled && !sw.ntkStability.enabled && !sw.fixedEpoch.enabled && sw.maxEpoch === null)
    fail(
      `${source}: field 'switch': every heuristic is disabled and no maxEpoch is set; enable one of paramNorm, ntkStability, fixedEpoch or set maxEpoch`,
    );
  const classification = cfg.data.kind === 'fashion_mnist' || (cfg.data.kind === 'csv' && cfg.data.task === 'classification');
  if (!classification && cfg.sgd.loss === 'cross_entropy')
    fail(`${source}: field 'sgd.loss': cross_entropy needs a classification task; use mse for regression`);
  if (cfg.sgd.loss === 'cross_entropy') {
    const bad = cfg.ntk.methods.filter(isSpectral);
    if (bad.length)
      fail(
        `${source}: field 'ntk.methods': ${bad.join(', ')} are closed-form solutions of the linearised MSE flow and need sgd.loss: mse; drop them or switch the loss to mse (linearised-descent works with either loss)`,
      );
  }
  if (new Set(cfg.seeds).size !== cfg.seeds.length) fail(`${source}: field 'seeds': duplicate seeds ${JSON.stringify(cfg.seeds)}`);
  return cfg;
}

export function parseExperiment(raw: unknown, source = 'config'): ExperimentConfig {
  return checkExperiment(validateConfig(raw, experimentSchema, source), source);
}

export function loadExperiment(path: string): ExperimentConfig {
  return checkExperiment(loadConfig(path, experimentSchema), path);
}
