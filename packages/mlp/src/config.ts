import { z } from 'zod';
import { pathSegment } from '@tangent/contracts';
import { ACTIVATION_NAMES, type ActivationName } from '@tangent/kernels';

/**
 * The mlp section of the manifest (configs/pipeline.yaml): the network, its training and the
 * kernel tracking. Which runs exist (widths, seeds, learning rates) is the manifest's grid; each
 * instance's config is this section plus its grid point (see @tangent/contracts instances.ts).
 */
const input = pathSegment;

/** The hidden layer's φ when none is named: relu (the studies' network). */
export const DEFAULT_ACTIVATION: ActivationName = 'relu';

const sectionShape = {
  /** The (embedder, d) input from the grid: features data/pca/<input>/, split data/ntk/<input>/split.arrow. */
  input,
  model: z
    .object({
      /**
       * 'ntk': h = φ(W1 x/√d), f = W2 h/√m, W ~ N(0,1); 'standard': W ~ N(0, 1/fan_in), no
       * 1/√fan_in in the forward pass; 'mup': the mean-field / μP readout f = W2 h/m (with the
       * natural learning rate η = c·n/λ_max(Θ̂₀) ∝ m, features move O(1) at every width; see
       * @tangent/nn mlp.ts for the derivation).
       */
      parameterization: z.enum(['ntk', 'standard', 'mup']).default('ntk'),
      /**
       * The hidden layer's φ, from @tangent/kernels' activation registry (activation-registry.ts),
       * which also gives the analytical NNGP/NTK the run is compared with (the ntk stage's
       * `ntk.activation` for the same name): 'relu', h = max(u, 0) (WebAssembly SIMD passes);
       * 'erf', h = erf(u), φ' = (2/√π) e^{−u²} (Williams 1997; JavaScript passes, see README for
       * the cost). Without a closed form for erf's Θ̂₀ fluctuation,
       * metrics.kernel_init_error_sqrt_m_predicted is null for it.
       */
      activation: z.enum(ACTIVATION_NAMES).default(DEFAULT_ACTIVATION),
      /** Trainable biases b1, b2 (initialised at 0, scaled by sigmaB in the NTK parameterisation). */
      bias: z.boolean().default(false),
      sigmaB: z.number().nonnegative().default(1),
      /**
       * Input norm fed to the network. 'unit': the pca stage's unit-norm rows (the seed spec), so
       * pre-activations W1x/√d are O(1/√d) and fitting ±1 labels moves the network far from
       * its initialisation. 'sqrt_d': rows scaled to norm √d (the usual NTK convention, entries
       * O(1)); Θ scales by d, the learning rate in natural units absorbs it, and training is
       * lazier by roughly that factor.
       */
      inputScale: z.enum(['unit', 'sqrt_d']).default('sqrt_d'),
      /** Train the centred network f(x; θ) − f(x; θ₀) (MSE only); its GD limit is exactly the kernel regressor. */
      center: z.boolean().default(true),
    })
    .strict()
    .prefault({}),
  train: z
    .object({
      /**
       * 'mse': L = 1/(2n) Σ (f − y)² on ±1 labels (the kernel-regression objective; K > 2 classes:
       * L = 1/(2n) Σ_i ‖f(x_i) − y_i‖² on one-vs-rest ±1 rows); 'bce': logistic loss on t = (y+1)/2
       * (binary tasks only).
       */
      loss: z.enum(['mse', 'bce']).default('mse'),
      epochs: z.number().int().positive().default(500),
      /** 0: full-batch gradient descent; otherwise mini-batch SGD with seeded shuffles. */
      batchSize: z.number().int().nonnegative().default(0),
      /** Stop a run whose loss exceeds this multiple of its initial loss (or is NaN/Inf). */
      divergenceFactor: z.number().positive().default(100),
      /**
       * The selection protocol's score (@tangent/kernels selection-protocol.ts; fit rows only, the
       * eval split is never used): 'none'; 'score': also train the same network (same seed and
       * settings, no kernel tracking) on the fit rows outside CV fold 0 of the ntk split and score
       * it on fold 0 after the last epoch → metrics.validation, the score that chooses among
       * configurations (one more training run without tracking); 'early-stop': first choose the
       * epoch count (≥ 1) with the best F1 on fold 1 of a network trained on the other folds
       * (Prechelt 1998, early stopping by a held-out set), then train the fold-0 network and the
       * run's network for that many epochs, so fold 0 scores a choice it did not make (two more
       * runs). Without it, the runs at a submitted width with several rates score fold 0 anyway
       * (mlp-submit chooses the rate by it; contracts instances.ts), as do afterKernel runs.
       */
      validation: z.enum(['none', 'score', 'early-stop']).default('none'),
    })
    .strict()
    .prefault({}),
  tracking: z
    .object({
      /** Size of the fixed stratified subset of the fit split on which Θ̂(t) is tracked. */
      size: z.number().int().positive().default(1000),
      seed: z.number().int().nonnegative().default(0),
      /** Θ̂ on the subset every `every` epochs (1 = every epoch; else epochs 0..10, then every `every`), and at the last epoch. */
      every: z.number().int().positive().default(1),
      /** Also Θ̂ on the whole fit split at t = 0 and t = T when it fits in `maxKernelBytes`. */
      full: z.boolean().default(true),
      /**
       * Predict the train and eval loss curves of the linearised network (full-batch GD on the
       * centred MSE) from Θ̂_0 and from the analytical Θ, stored beside the actual ones in
       * history.arrow. Two n×n matrix–vector products per epoch and kernel, plus the analytical
       * kernels: off by default (see the dsweep profile). K > 2 classes: the K outputs evolve
       * independently under Θ ⊗ I_K (and Θ̂_tr,0 ⊗ I_K; linearised-dynamics.ts), one n×n by n×K
       * product per epoch and kernel.
       */
      dynamics: z.boolean().default(false),
      /** 'float32' runs the kernel GEMMs in float32 (kernel still float64); 'float64' is exact but slower. */
      precision: z.enum(['float64', 'float32']).default('float32'),
      /** Memory allowed for one kernel computation (kernel + temporaries), bytes. */
      maxKernelBytes: z
        .number()
        .positive()
        .default(2 * 2 ** 30),
    })
    .strict()
    .prefault({}),
  /**
   * Kernel ridge regression with the run's own empirical NTK, Θ̂_0 (at initialisation) and Θ̂_T
   * (trained, the "after kernel"), on the fit rows with λ chosen by the ntk stage's CV (its λ grid,
   * folds, criterion and label coding) → predictions-{init,after}-kernel.arrow and
   * metrics.after_kernel; each one's selection score (fold 0, λ chosen on the other folds) takes
   * Θ̂_T from the fold-0 validation network, which never saw fold 0's labels. Costs three
   * n_fit × n_fit kernels and three CVs per run, and the validation run (see README). Binary tasks
   * only so far: a K-class input (K > 2) refuses it.
   */
  afterKernel: z.boolean().default(false),
};

const run = z
  .object({
    width: z.number().int().positive(),
    seed: z.number().int().nonnegative(),
    /** c in η = c · n / λ_max(Θ̂_0). */
    lr: z.number().positive(),
  })
  .strict();

/** One training run: the section plus its (width, seed, lr). */
export const mlpRunConfigSchema = z.object({ ...sectionShape, run }).strict();
export type MlpRunConfig = z.infer<typeof mlpRunConfigSchema>;

/** One width's submission: the section, the width, and the grid's learning rates and seeds at that width. */
export const mlpSubmitConfigSchema = z
  .object({
    ...sectionShape,
    submission: z
      .object({
        enabled: z.boolean().default(true),
        /** Seed of the network trained on all of train for the Kaggle submission. */
        seed: z.number().int().nonnegative().default(0),
      })
      .strict()
      .prefault({}),
    width: z.number().int().positive(),
    lrs: z.array(z.number().positive()).nonempty(),
    seeds: z.array(z.number().int().nonnegative()).nonempty(),
  })
  .strict();
export type MlpSubmitConfig = z.infer<typeof mlpSubmitConfigSchema>;

/** The settings every network of a config shares (runs and submissions). */
export type MlpShared = Pick<MlpRunConfig, 'model' | 'train' | 'tracking' | 'input'>;

const settingsSchema = z.object({ model: sectionShape.model, train: sectionShape.train, tracking: sectionShape.tracking }).strict();
/** The network, training and tracking part of the section (what trainTwoLayer needs of it). */
export type MlpSettings = z.infer<typeof settingsSchema>;

/**
 * The settings every network of a config shares (runs and submissions), as trainTwoLayer
 * options; without a config, the section's defaults above (stated once, in the schema).
 */
export function trainSettings(c: MlpSettings = settingsSchema.parse({})) {
  return {
    epochs: c.train.epochs,
    batchSize: c.train.batchSize,
    loss: c.train.loss,
    parameterization: c.model.parameterization,
    activation: c.model.activation,
    bias: c.model.bias,
    sigmaB: c.model.sigmaB,
    center: c.model.center,
    divergenceFactor: c.train.divergenceFactor,
    trackEvery: c.tracking.every,
    trackFull: c.tracking.full,
    precision: c.tracking.precision,
    maxKernelBytes: c.tracking.maxKernelBytes,
  };
}
