import type { Embedder } from './embedder.ts';
import type { EmbedConfig } from './config.ts';
import { MiniLmEmbedder } from './minilm.ts';
import { UseLiteEmbedder } from './use-lite.ts';

/** Load the embedder a config names; throws a one-line TangentError when its files are missing. */
export async function loadEmbedder(config: Pick<EmbedConfig, 'model' | 'minilm' | 'useLite'>): Promise<Embedder> {
  if (config.model === 'use-lite')
    return UseLiteEmbedder.load({ normalize: config.useLite.normalize, threads: config.useLite.threads || undefined });
  return MiniLmEmbedder.load(config.minilm);
}
