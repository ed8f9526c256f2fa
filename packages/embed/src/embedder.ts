// The Embedder contract, length-sorted batching and row normalisation: Node-free, so the
// browser entry (browser.ts) imports it; embed-texts.ts adds the Node-side model loading.

/** A sentence encoder: texts in, one row-major float32 vector per text out. */
export interface Embedder {
  /** Stable model name used in artifact paths (data/embed/<name>/) and metadata. */
  readonly name: string;
  readonly dim: number;
  /** Settings that affect speed or numerics (threads, backend, dtype), recorded in metadata. */
  readonly settings: Record<string, unknown>;
  /** Batches embedTexts may keep in flight at once (worker pools); default 1. */
  readonly concurrency?: number;
  /** Token ids as the model sees them (special tokens included); the batching key. */
  tokenize(text: string): number[];
  /** Embeds one batch of pre-tokenized texts; returns batch × dim, row-major, in batch order. */
  embedTokenized(batch: number[][]): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export interface EmbedOptions {
  /** Texts per forward pass. */
  batchSize?: number;
  /** Progress-bar label; no bar when omitted or quiet. */
  label?: string;
}

/**
 * Batches of indices sorted by token count (stable, so ties keep input order), so that each
 * batch pads only to its own longest member: padding is the dominant waste for tweets, whose
 * lengths vary 3..80 tokens.
 */
export function lengthSortedBatches(lengths: ArrayLike<number>, batchSize: number): number[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const order = Array.from({ length: lengths.length }, (_, i) => i).sort((a, b) => lengths[a] - lengths[b] || a - b);
  const batches: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) batches.push(order.slice(i, i + batchSize));
  return batches;
}

/** Progress callbacks for embedBatched; the Node side passes a terminal bar. */
export interface BatchProgress {
  tick(n: number): void;
  stop(): void;
}

/** Embed any number of texts: tokenize, length-sorted batches, results scattered back to input order. */
export async function embedBatched(
  embedder: Embedder,
  texts: readonly string[],
  batchSize = 32,
  bar: BatchProgress = { tick() {}, stop() {} },
): Promise<Float32Array> {
  const tokens = texts.map((t) => embedder.tokenize(t));
  const batches = lengthSortedBatches(
    tokens.map((t) => t.length),
    batchSize,
  );
  const dim = embedder.dim;
  const out = new Float32Array(texts.length * dim);
  const lanes = Math.min(Math.max(1, embedder.concurrency ?? 1), batches.length);
  // Several lanes take the longest batches first (LPT scheduling): the batches that finish last
  // are then the shortest, so no lane idles for long at the end. The batches are the same ones.
  const queue = lanes > 1 ? [...batches].reverse() : batches;
  let next = 0;
  // Each lane takes the next batch when its previous one is done; rows land by index, so the
  // result does not depend on which lane finished first.
  const lane = async () => {
    while (next < queue.length) {
      const batch = queue[next++];
      const vecs = await embedder.embedTokenized(batch.map((i) => tokens[i]));
      batch.forEach((row, k) => out.set(vecs.subarray(k * dim, (k + 1) * dim), row * dim));
      bar.tick(batch.length);
    }
  };
  try {
    await Promise.all(Array.from({ length: lanes }, lane));
  } finally {
    bar.stop();
  }
  return out;
}

/** Scale each row of a row-major n × dim matrix to unit Euclidean norm (zero rows stay zero). */
export function l2NormalizeRows(x: Float32Array, dim: number): Float32Array {
  for (let r = 0; r < x.length; r += dim) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += x[r + j] * x[r + j];
    // sentence-transformers' Normalize layer: x / max(||x||, 1e-12).
    const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
    for (let j = 0; j < dim; j++) x[r + j] *= inv;
  }
  return x;
}
