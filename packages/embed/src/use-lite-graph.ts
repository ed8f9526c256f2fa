// The Node-free half of USE-lite: the tfjs wasm backend, the graph built from in-memory model
// artifacts, and the Embedder around graph + tokenizer. use-lite.ts (Node: node:fs, worker
// threads) and browser.ts (fetch) only differ in how they obtain the files and run the engines.
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { l2NormalizeRows, type Embedder } from './embedder.ts';
import type { SentencePieceTokenizer } from './sentencepiece.ts';

export const USE_LITE_DIM = 512;

interface WeightGroup {
  paths: string[];
  weights: Array<{ name: string; shape: number[]; dtype: string }>;
}

/** USE-lite's model.json: the graph and the list of weight shards (file names relative to it). */
export interface UseLiteModelJson {
  modelTopology: unknown;
  weightsManifest: WeightGroup[];
}

/** Shard file names in load order. */
export function useLiteShardPaths(manifest: UseLiteModelJson): string[] {
  return manifest.weightsManifest.flatMap((g) => g.paths);
}

/** A user-fixable error; same name as @tangent/base's TangentError, which this module must not import (it pulls in a terminal progress bar). */
function fail(message: string): never {
  const e = new Error(message);
  e.name = 'TangentError';
  throw e;
}

let backendReady: Promise<void> | null = null;
let backendPrefix: string | null = null;

/**
 * tfjs on the WebAssembly backend with XNNPACK and SIMD: ~50x faster than the pure-JS cpu
 * backend for this graph (which also broadcasts element by element). `wasmPrefix`: the folder
 * (path or URL, ending in '/') holding tfjs-backend-wasm's .wasm files. Single-threaded wasm:
 * the threaded build needs blob: Workers (refused by Node's worker_threads) and, in a page,
 * cross-origin isolation; parallelism comes from worker threads in Node instead.
 */
export function initUseLiteBackend(wasmPrefix: string): Promise<void> {
  if (backendReady && backendPrefix !== wasmPrefix)
    fail(`USE-lite: the wasm backend is already initialised from ${backendPrefix}; cannot switch to ${wasmPrefix}`);
  backendPrefix = wasmPrefix;
  backendReady ??= (async () => {
    setWasmPaths(wasmPrefix);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (!(await tf.setBackend('wasm')))
      fail(
        `tfjs: the WebAssembly backend failed to initialise (wasm files from ${wasmPrefix}); check that @tensorflow/tfjs-backend-wasm's dist/*.wasm are there`,
      );
    await tf.ready();
  })();
  return backendReady;
}

/** The USE-lite graph in this thread: sparse SentencePiece ids in, raw 512-d vectors out. */
export class UseLiteGraph {
  private constructor(private readonly model: GraphModel) {}

  /** From model.json and its shards' bytes (in useLiteShardPaths order); the backend must be initialised. */
  static async fromArtifacts(manifest: UseLiteModelJson, shards: readonly Uint8Array[]): Promise<UseLiteGraph> {
    if (!backendReady) fail('USE-lite: call initUseLiteBackend(wasmPrefix) before loading the graph');
    await backendReady;
    const weightData = new Uint8Array(shards.reduce((a, s) => a + s.byteLength, 0));
    let off = 0;
    for (const s of shards) {
      weightData.set(s, off);
      off += s.byteLength;
    }
    const weightSpecs = manifest.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[];
    return new UseLiteGraph(
      await loadGraphModel(
        tf.io.fromMemory({ modelTopology: manifest.modelTopology as object, weightSpecs, weightData: weightData.buffer }),
      ),
    );
  }

  static settings(): Record<string, unknown> {
    return { runtime: `tfjs-core ${tf.version_core}, backend ${tf.getBackend()}`, simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT') };
  }

  async run(batch: number[][]): Promise<Float32Array> {
    const b = batch.length;
    if (b === 0) return new Float32Array(0);
    // The graph sizes its dense batch from the sparse indices, so an empty text would lose its
    // row; one <unk> id (0) stands in for it.
    const rows = batch.map((t) => (t.length ? t : [0]));
    const k = rows.reduce((a, t) => a + t.length, 0);
    const indices = new Int32Array(2 * k);
    const values = new Int32Array(k);
    let p = 0;
    rows.forEach((t, r) => {
      for (let j = 0; j < t.length; j++, p++) {
        indices[2 * p] = r;
        indices[2 * p + 1] = j;
        values[p] = t[j];
      }
    });
    const inputs = { indices: tf.tensor2d(indices, [k, 2], 'int32'), values: tf.tensor1d(values, 'int32') };
    try {
      // executeAsync: the graph has data-dependent shapes (Where), which execute() rejects.
      const out = (await this.model.executeAsync(inputs)) as tf.Tensor;
      const data = (await out.data()) as Float32Array;
      out.dispose();
      if (data.length !== b * USE_LITE_DIM)
        fail(`USE-lite: graph returned ${data.length} values for ${b} texts; the model files may be corrupt`);
      return Float32Array.from(data);
    } finally {
      inputs.indices.dispose();
      inputs.values.dispose();
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** What runs batches: one in-thread graph, or (Node) a pool of worker threads each holding one. */
export interface UseLiteEngine {
  run(batch: number[][]): Promise<Float32Array>;
  dispose(): void | Promise<void>;
}

/**
 * Universal Sentence Encoder lite (Cer et al. 2018; transformer encoder, 512-d): SentencePiece
 * ids into the graph, optionally rescaled to unit length. The graph takes a sparse batch
 * (indices [k,2], values [k]) and pads internally to the longest row, hence the length-sorted
 * batching pays off here too. Loaders: UseLiteEmbedder.load (Node), loadBrowserUseLite (browser).
 */
export class UseLiteEncoder implements Embedder {
  readonly name = 'use-lite';
  readonly dim = USE_LITE_DIM;
  readonly settings: Record<string, unknown>;

  constructor(
    private readonly engine: UseLiteEngine,
    private readonly tokenizer: SentencePieceTokenizer,
    private readonly normalize: boolean,
    readonly concurrency: number,
    settings: Record<string, unknown>,
  ) {
    this.settings = { ...settings, workerThreads: concurrency, wasmThreadsPerWorker: 1, normalize };
  }

  tokenize(text: string): number[] {
    return this.tokenizer.encode(text);
  }

  async embedTokenized(batch: number[][]): Promise<Float32Array> {
    const vec = await this.engine.run(batch);
    return this.normalize ? l2NormalizeRows(vec, this.dim) : vec;
  }

  async dispose(): Promise<void> {
    await this.engine.dispose();
  }
}
