import { fail } from '@tangent/base';
import type { EmbedConfig } from './config.ts';
import type { Embedder } from './embedder.ts';
import { MiniLmEmbedder } from './minilm.ts';
import { UseLiteEmbedder } from './use-lite.ts';

/**
 * Load the embedder a config names (MODEL_KINDS, config.ts): one case per kind, none by default;
 * throws a one-line TangentError when its files are missing.
 */
export async function loadEmbedder(config: Pick<EmbedConfig, 'model' | 'minilm' | 'useLite'>): Promise<Embedder> {
  const kind = config.model;
  switch (kind) {
    case 'use-lite':
      return UseLiteEmbedder.load({ normalize: config.useLite.normalize, threads: config.useLite.threads || undefined });
    case 'minilm':
      return MiniLmEmbedder.load(config.minilm);
    default: {
      const unknown: never = kind;
      fail(`embed: model '${String(unknown)}' unknown; use use-lite or minilm (or name a transformers.js model under embed.models)`);
    }
  }
}
