import type { Embedder } from './embedder.ts';
import type { EmbedConfig } from './config.ts';
import { MINILM_DEFAULT_ID, MiniLmEmbedder } from './minilm.ts';
import { UseLiteEmbedder } from './use-lite.ts';

/** Load the embedder a config names; throws a one-line TangentError when its files are missing. */
export async function loadEmbedder(config: Pick<EmbedConfig, 'model' | 'minilm' | 'useLite'>): Promise<Embedder> {
  if (config.model === 'use-lite')
    return UseLiteEmbedder.load({ normalize: config.useLite.normalize, threads: config.useLite.threads || undefined });
  return MiniLmEmbedder.load(config.minilm);
}

/** The artifact folder name: short names for the two standard models, explicit otherwise. */
export function defaultOutName(config: Pick<EmbedConfig, 'model' | 'minilm'>): string {
  if (config.model === 'use-lite') return 'use-lite';
  const { modelId, dtype } = config.minilm;
  if (modelId === MINILM_DEFAULT_ID && dtype === 'fp32') return 'minilm';
  return `minilm-${modelId
    .split('/')
    .pop()!
    .replace(/[^A-Za-z0-9._-]/g, '_')}-${dtype}`;
}
