import { progress } from '@tangent/base';
import type { MiniLmConfig, ModelKind } from './config.ts';
import { embedBatched, type EmbedOptions, type Embedder } from './embedder.ts';

/** `embedTexts(texts, { model })`: the model by name, with the stage config's defaults (unit rows); loaded and disposed. */
export interface EmbedModelOptions extends EmbedOptions {
  model: ModelKind;
  minilm?: Partial<MiniLmConfig>;
  useLite?: { normalize?: boolean; threads?: number };
}

/** Embed any number of texts: tokenize, length-sorted batches, results scattered back to input order. */
export async function embedTexts(texts: readonly string[], opts: EmbedModelOptions): Promise<Float32Array>;
export async function embedTexts(embedder: Embedder, texts: readonly string[], opts?: EmbedOptions): Promise<Float32Array>;
export async function embedTexts(
  a: Embedder | readonly string[],
  b: readonly string[] | EmbedModelOptions,
  c: EmbedOptions = {},
): Promise<Float32Array> {
  if (!Array.isArray(a)) return embedWith(a as Embedder, b as readonly string[], c);
  const { model, minilm, useLite, ...opts } = b as EmbedModelOptions;
  const [{ embedConfigSchema }, { loadEmbedder }] = await Promise.all([import('./config.ts'), import('./models.ts')]);
  const embedder = await loadEmbedder(embedConfigSchema.parse({ model, minilm, useLite }));
  try {
    return await embedWith(embedder, a, opts);
  } finally {
    await embedder.dispose();
  }
}

function embedWith(embedder: Embedder, texts: readonly string[], opts: EmbedOptions): Promise<Float32Array> {
  const bar = opts.label ? progress(opts.label, texts.length, 'texts') : undefined;
  return embedBatched(embedder, texts, opts.batchSize ?? 32, bar);
}
