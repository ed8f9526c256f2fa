import { z } from 'zod';
import { pathSegment } from '@tangent/contracts';

export const pcaConfigSchema = z
  .object({
    /** The embedder (from the manifest grid): reads data/embed/<embedder>/{train,test}.arrow. */
    embedder: pathSegment,
    /** Output dimension (from the manifest grid's `d`). */
    d: z.number().int().positive(),
    /** Fit on train + test (unlabelled test rows only shape the axes); default: train only. */
    transductive: z.boolean().default(false),
  })
  .strict();

export type PcaConfig = z.infer<typeof pcaConfigSchema>;
