import { gridSchema } from '@tangent/contracts';
import { z } from 'zod';

/** The analysis section of the manifest, plus the grid (set by the pipeline) whose runs it compares. */
export const analysisConfigSchema = z
  .object({
    /**
     * The feature-learning table (feature-learning.ts): every regime's best configuration against
     * NTK kernel regression → its section of data/analysis/report.html, summary.json feature_learning
     * and best, data/analysis/submissions/{best,<regime>}.csv.
     */
    featureLearning: z
      .object({
        enabled: z.boolean().default(false),
        /** The regime whose chosen configuration's seeds form the ensembles ('lazy': the grid's own runs). */
        ensembleOf: z.string().default('lazy'),
        /** Regimes that are lazy controls (e.g. more seeds of the lazy configuration): rows of the table, never the verdict's candidate. */
        controls: z.array(z.string()).default([]),
        /** Ensemble sizes K: floor(seeds/K) disjoint ensembles each. */
        ks: z.array(z.number().int().positive()).nonempty().default([1, 2, 4, 8]),
      })
      .strict()
      .prefault({}),
    /**
     * Every bootstrap of the analysis: the paired comparisons on the eval rows (the feature-learning
     * table, widest MLP vs kernel ridge, the learning-rate sweep; hierarchical over eval rows and
     * seeds, @tangent/kernels paired-bootstrap.ts) and the seed bootstrap of the width where ΔΘ = 5 %.
     */
    bootstrap: z
      .object({ resamples: z.number().int().min(100).default(2000), seed: z.number().int().nonnegative().default(0) })
      .strict()
      .prefault({}),
    /** The manifest grid: grid.lrs[0] is the main learning rate compared across widths. */
    grid: gridSchema,
  })
  .strict();

export type AnalysisConfig = z.infer<typeof analysisConfigSchema>;
