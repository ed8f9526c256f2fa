import { z } from 'zod';
import { datasetSchema, pathSegment } from '@tangent/contracts';

/** A table or image dataset the instance reads itself (datasets.ts), with its manifest name. */
const featureDataset = z.intersection(
  datasetSchema.refine((d) => d.kind === 'table-csv' || d.kind === 'fashion-mnist', 'a table-csv or fashion-mnist dataset'),
  z.object({ name: pathSegment }),
);

export const pcaConfigSchema = z
  .object({
    /** The embedder (from the manifest grid): reads data/embed/<embedder>/{train,test}.arrow. */
    embedder: pathSegment.optional(),
    /** Or the table or image dataset whose raw files it reads (no embed stage). */
    dataset: featureDataset.optional(),
    /** Output dimension (from the manifest grid's `d`); null: the features as they are (`preprocess: none`). */
    d: z.number().int().positive().nullable(),
    /** Fit on train + test (unlabelled test rows only shape the axes); default: train only. */
    transductive: z.boolean().default(false),
  })
  .strict();

export type PcaConfig = z.infer<typeof pcaConfigSchema>;
