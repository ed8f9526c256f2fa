import { z } from 'zod';
import { pathSegment } from '@tangent/contracts';

export const MODEL_KINDS = ['use-lite', 'minilm'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

export const miniLmConfigSchema = z
  .object({
    /** Hub id, or a folder under $TANGENT_MODELS_DIR in transformers.js layout. */
    modelId: z.string().min(1).default('Xenova/all-MiniLM-L6-v2'),
    /** fp32: onnx/model.onnx; q8: onnx/model_quantized.onnx (dynamic int8). */
    dtype: z.enum(['fp32', 'q8']).default('fp32'),
    /** onnxruntime intra-op threads; 0 = one per core the process may use (never onnxruntime's own physical-core default). */
    threads: z.number().int().min(0).default(0),
    /** Longer texts are truncated (sentence-transformers max_seq_length for this model). */
    maxTokens: z.number().int().min(2).max(512).default(256),
  })
  .strict();

export const useLiteConfigSchema = z
  .object({
    /** Rescale the (nearly unit) USE vectors to exactly unit L2 norm. */
    normalize: z.boolean().default(true),
    /** Worker threads, one wasm engine each, batches in parallel; 0 = one per core, 1 = in-process. */
    threads: z.number().int().min(0).default(0),
  })
  .strict();

export const embedConfigSchema = z
  .object({
    model: z.enum(MODEL_KINDS).default('use-lite'),
    /** Texts per forward pass, taken in order of token length. */
    batchSize: z.number().int().min(1).max(4096).default(32),
    /** The embedder's name in the manifest grid (set by the pipeline; data/embed/<name>/). */
    name: pathSegment.optional(),
    minilm: miniLmConfigSchema.prefault({}),
    useLite: useLiteConfigSchema.prefault({}),
  })
  .strict();

export type EmbedConfig = z.infer<typeof embedConfigSchema>;
export type MiniLmConfig = z.infer<typeof miniLmConfigSchema>;
