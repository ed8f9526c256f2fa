import { gridSchema } from '@tangent/contracts';
import { z } from 'zod';

/** The analysis section of the manifest, plus the grid (set by the pipeline) whose runs it compares. */
export const analysisConfigSchema = z
  .object({
    /** Hybrid experiments (data/hybrid/<name>/metrics.json) to include when they exist. */
    hybrid: z.array(z.string().min(1)).default(['wine_quality', 'fashion_mnist']),
    /** The manifest grid: grid.lrs[0] is the main learning rate compared across widths. */
    grid: gridSchema,
  })
  .strict();

export type AnalysisConfig = z.infer<typeof analysisConfigSchema>;
