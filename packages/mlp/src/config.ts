import { z } from 'zod';

const name = z.string().regex(/^[A-Za-z0-9._-]+$/, 'a folder name (letters, digits, . _ -)');

export const mlpConfigSchema = z
  .object({
    /**
     * The upstream feature set: features from data/pca/<input>/{train,test}.arrow, the KRR
     * reference from data/ntk/<input>/metrics.json.
     */
    input: name.default('use-lite-d128'),
    /** The fit/eval split written by the ntk stage (columns id, role 'fit'|'eval', fold). */
    split: z.string().default('data/ntk/split.arrow'),
    model: z
      .object({
        /** 'ntk': h = relu(W1 x/√d), f = W2 h/√m, W ~ N(0,1); 'standard': W ~ N(0, 1/fan_in), no 1/√fan_in in the forward pass. */
        parameterization: z.enum(['ntk', 'standard']).default('ntk'),
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
        /** 'mse': L = 1/(2n) Σ (f − y)² on ±1 labels (the kernel-regression objective); 'bce': logistic loss on t = (y+1)/2. */
        loss: z.enum(['mse', 'bce']).default('mse'),
        epochs: z.number().int().positive().default(500),
        /** 0: full-batch gradient descent; otherwise mini-batch SGD with seeded shuffles. */
        batchSize: z.number().int().nonnegative().default(0),
        /** Stop a run whose loss exceeds this multiple of its initial loss (or is NaN/Inf). */
        divergenceFactor: z.number().positive().default(100),
      })
      .strict()
      .prefault({}),
    widths: z.array(z.number().int().positive()).nonempty().default([16, 64, 256, 1024, 4096]),
    seeds: z.array(z.number().int().nonnegative()).nonempty().default([0, 1, 2]),
    /**
     * Learning rates in natural NTK units c: η = c · n / λ_max(Θ̂_0), so gradient descent on the
     * linearised model is stable for c < 2 at every width.
     */
    lrs: z.array(z.number().positive().lt(2)).nonempty().default([1]),
    /** Extra learning rates tried at the small widths (each with every seed). */
    lrSweep: z
      .object({
        widths: z.array(z.number().int().positive()).default([16, 64]),
        lrs: z.array(z.number().positive()).default([0.5, 1.5]),
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
    submission: z
      .object({
        enabled: z.boolean().default(true),
        /** Seed of the network trained on all of train for the Kaggle submission. */
        seed: z.number().int().nonnegative().default(0),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type MlpConfig = z.infer<typeof mlpConfigSchema>;

export interface RunKey {
  width: number;
  seed: number;
  lr: number;
}

/** Canonical run id, e.g. w4096-s0-lr1, w16-s2-lr0.25 (also the Nx target suffix and folder name). */
export function runId(k: RunKey): string {
  return `w${k.width}-s${k.seed}-lr${k.lr}`;
}

/** Every (width, seed, lr) the config asks for, widths ascending, lrs ascending. */
export function enumerateRuns(c: MlpConfig): RunKey[] {
  const out: RunKey[] = [];
  const widths = [...new Set(c.widths)].sort((a, b) => a - b);
  for (const width of widths) {
    const lrs = new Set(c.lrs);
    if (c.lrSweep.widths.includes(width)) for (const l of c.lrSweep.lrs) lrs.add(l);
    for (const lr of [...lrs].sort((a, b) => a - b)) for (const seed of c.seeds) out.push({ width, seed, lr });
  }
  return out;
}
