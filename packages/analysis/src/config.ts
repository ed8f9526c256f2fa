import { loadConfig } from '@tangent/arrow-io';
import { z } from 'zod';

export const analysisConfigSchema = z
  .object({
    /** The mlp stage config whose runs are compared; its `input` also names data/ntk/<input>. */
    mlpConfig: z.string().min(1).default('configs/pipeline/mlp.yaml'),
    /** Hybrid experiments (data/hybrid/<name>/metrics.json) to include when they exist. */
    hybrid: z.array(z.string().min(1)).default(['wine_quality', 'fashion_mnist']),
  })
  .strict();

export type AnalysisConfig = z.infer<typeof analysisConfigSchema>;

export function loadAnalysisConfig(path: string): AnalysisConfig {
  return loadConfig(path, analysisConfigSchema);
}
