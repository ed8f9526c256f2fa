import { z } from 'zod';

export const pcaConfigSchema = z
  .object({
    /** Which embedding run to read: data/embed/<embedder>/{train,test}.arrow. */
    embedder: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'a folder name (letters, digits, . _ -)')
      .default('use-lite'),
    /** Output dimension. */
    d: z.number().int().positive().default(128),
    /** Fit on train + test (unlabelled test rows only shape the axes); default: train only. */
    transductive: z.boolean().default(false),
  })
  .strict();

export type PcaConfig = z.infer<typeof pcaConfigSchema>;
