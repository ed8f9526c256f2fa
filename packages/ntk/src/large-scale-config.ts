import { z } from 'zod';
import { kernelKindSchema, pathSegment } from '@tangent/contracts';

/**
 * `tangent krr --config configs/krr-*.yaml`: kernel ridge regression past the N×N wall (exact
 * where it fits, Falkon otherwise; packages/kernels/src/{falkon,memory-model}.ts). Every field
 * is optional except `name`; the values below are the defaults.
 */
export const largeScaleKrrConfigSchema = z
  .object({
    /** Output folder: data/krr/<name>/. */
    name: pathSegment,
    data: z
      .object({
        /**
         * 'fashion_mnist': the idx-ubyte.gz files under $TANGENT_DATA_DIR/fashion-mnist/ (60 000
         * train / 10 000 test, 784 pixels / 255, 10 classes); 'pca': any pca input of the manifest
         * (the tweets or another dataset) as the pca stage wrote it (data/pca/<input>/train.arrow,
         * unit-norm rows, the classes its provenance names) with a stratified `evalFraction` of the
         * train rows as the test set.
         */
        kind: z.enum(['fashion_mnist', 'pca']).default('fashion_mnist'),
        /** First n training rows (null: all). */
        trainSubset: z.number().int().min(10).nullable().default(null),
        /** First n test rows (null: all). */
        testSubset: z.number().int().min(1).nullable().default(null),
        /** pca only: which data/pca/<input>/ run to read. */
        input: pathSegment.default('use-lite-d128'),
        /** pca only: stratified share of the labelled rows held out as the test set. */
        evalFraction: z.number().min(0.01).max(0.9).default(0.2),
        /** 'none': inputs as read; 'standardize': per-feature z-score with training statistics; 'unit_norm': rows scaled to |x| = √d. */
        preprocess: z.enum(['none', 'standardize', 'unit_norm']).default('none'),
      })
      .strict()
      .default({
        kind: 'fashion_mnist',
        trainSubset: null,
        testSubset: null,
        input: 'use-lite-d128',
        evalFraction: 0.2,
        preprocess: 'none',
      }),
    /** 'ntk': Θ of the ReLU network (NTK parameterisation, packages/kernels/src/relu-kernel-recursion.ts); 'nngp': Σ. */
    kernel: kernelKindSchema.default('ntk'),
    /** Weight layers L ≥ 2 (2 = one hidden layer; 3 = two). */
    depth: z.number().int().min(2).max(64).default(2),
    /** Weight standard deviation σ_w. */
    sigmaW: z.number().positive().default(1),
    /** Bias standard deviation σ_b (0: no bias). */
    sigmaB: z.number().min(0).default(0),
    /** 'auto': the memory model picks exact when the N×N kernel fits the budget, else Falkon; 'exact' / 'falkon' force one (refused before allocating if it does not fit). */
    solver: z.enum(['auto', 'exact', 'falkon']).default('auto'),
    /** Candidate numbers of Nyström centres M (Falkon); more than one are compared on the validation rows. */
    centres: z.array(z.number().int().min(1)).min(1).default([10000]),
    /** Centre sampling: 'uniform' (Falkon's default) or 'leverage' (∝ approximate ridge leverage scores). */
    sampling: z.enum(['uniform', 'leverage']).default('uniform'),
    /** Candidate λ in the K + λI convention (λ_Falkon = λ/N); chosen on the validation rows by accuracy. */
    lambdas: z.array(z.number().positive()).min(1).default([1e-2, 1e-1, 1]),
    /** Share of training rows held out to choose λ and M (0: none; then give one λ and one M). */
    validationFraction: z.number().min(0).max(0.5).default(0.1),
    /** Seed for centres, the validation split and the pca test split. */
    seed: z.number().int().min(0).default(0),
    /** Conjugate gradients on the preconditioned system. */
    cg: z
      .object({
        /** Iteration cap per solve. */
        maxIter: z.number().int().min(1).max(10000).default(40),
        /** Relative residual at which a solve stops. */
        tol: z.number().positive().default(1e-6),
      })
      .strict()
      .default({ maxIter: 40, tol: 1e-6 }),
    /**
     * How Falkon multiplies by K_nMᵀK_nM (packages/kernels/src/memory-model.ts): 'stored' keeps K_nM
     * (two passes over it per CG iteration); 'gram' makes the M×M K_nMᵀK_nM in one pass (n·M² flops
     * once, then M×M products); 'streamed' recomputes K_nM every iteration (least memory, most time).
     * 'auto': the cheaper of gram and stored for this M, K and number of solves that fits the budget,
     * else streamed.
     */
    crossKernel: z.enum(['auto', 'stored', 'gram', 'streamed']).default('auto'),
    /**
     * Precision of a stored K_nM: 'float32' halves its memory and the bytes each CG iteration reads
     * (products summed in float64 block by block; the fitted scores move by ~1e-4 of their scale,
     * the test accuracy not at all on Fashion-MNIST, see falkon.test.ts); 'float64' for the exact arithmetic.
     */
    crossKernelDtype: z.enum(['float32', 'float64']).default('float32'),
    /** Start each CG solve at the previous one's α (next λ down, then the refit at the chosen λ); same stopping rule. */
    warmStart: z.boolean().default(true),
    /** Rows per streamed kernel block. */
    blockRows: z.number().int().min(16).default(2048),
    /** Relative diagonal jitter (× mean diag) on K_MM (Falkon) or K (exact). */
    jitter: z.number().min(0).max(1).default(1e-10),
    /** Memory budget in GB for everything the solve allocates; null = min(0.85·free, 0.75·total) of this machine. */
    maxMemoryGb: z.number().positive().nullable().default(null),
  })
  .strict();

export type LargeScaleKrrConfig = z.infer<typeof largeScaleKrrConfigSchema>;
