/**
 * Sentence-embedding throughput on the 7613 Kaggle training tweets (texts/second, end to end:
 * tokenize, length-sorted batches of 32, forward, pooling, normalisation, order restored).
 * MiniLM uses the random-weight copy with the exact architecture (same FLOPs as the real one).
 * `ort_plain_per_second`: a bare onnxruntime-node InferenceSession with the same options on the
 * same pre-tokenized batches, i.e. the ceiling the transformers.js path should reach.
 * There is no q8 benchmark: the random model ships fp32 only and onnxruntime-node has no
 * quantization API (quantize_dynamic lives in the Python package).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { paths, readArtifact } from '@tangent/arrow-io';
import { textSchema } from '@tangent/contracts';
import { parse } from 'csv-parse/sync';
import * as ort from 'onnxruntime-node';
import type { Benchmark } from '../../../tools/bench.ts';
import { embedTexts, lengthSortedBatches, type Embedder } from '../src/embedder.ts';
import { MiniLmEmbedder, miniLmOnnxPath } from '../src/minilm.ts';
import { UseLiteEmbedder } from '../src/use-lite.ts';

const BATCH = 32;
const RANDOM_ID = 'random/all-MiniLM-L6-v2-arch';

/** Cleaned tweets from the text stage when it has run, else the raw CSV text column. */
function trainTexts(): { texts: string[]; source: string } {
  const arrow = paths.artifacts('text', 'train.arrow');
  if (existsSync(arrow))
    return { texts: readArtifact(arrow, textSchema).table.getChild('text')!.toArray() as string[], source: 'data/text/train.arrow' };
  const csv = join(paths.rawData(), 'nlp-getting-started', 'train.csv');
  const rows = parse(readFileSync(csv), { columns: true }) as Array<{ text: string }>;
  return { texts: rows.map((r) => r.text), source: 'train.csv' };
}

interface State {
  embedder: Embedder;
  texts: string[];
  source: string;
  extra: Record<string, unknown>;
}

async function plainOrt(texts: string[], emb: MiniLmEmbedder, threads: number): Promise<number> {
  const modelsDir = paths.models();
  if (!modelsDir) throw new Error('TANGENT_MODELS_DIR must point at the shared models for this benchmark');
  const session = await ort.InferenceSession.create(miniLmOnnxPath(modelsDir, RANDOM_ID, 'fp32'), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const tokens = texts.map((t) => emb.tokenize(t));
  const batches = lengthSortedBatches(
    tokens.map((t) => t.length),
    BATCH,
  ).map((b) => MiniLmEmbedder.padBatch(b.map((i) => tokens[i])));
  const run = async () => {
    for (const b of batches) {
      const n = b.ids.length / b.len;
      const shape = [n, b.len];
      await session.run({
        input_ids: new ort.Tensor('int64', b.ids, shape),
        attention_mask: new ort.Tensor('int64', b.mask, shape),
        token_type_ids: new ort.Tensor('int64', b.types, shape),
      });
    }
  };
  await run(); // warm-up, as the timed path is warm too
  const t0 = performance.now();
  await run();
  const s = (performance.now() - t0) / 1000;
  await session.release();
  return texts.length / s;
}

const perSecond = (seconds: number, st: unknown) => {
  const s = st as State;
  return { per_second: +(s.texts.length / seconds).toFixed(2), batch: BATCH, source: s.source, settings: s.embedder.settings, ...s.extra };
};

export const benchmarks: Benchmark[] = [
  {
    name: 'embed_minilm_random_fp32',
    n: 7613,
    repeats: 1,
    async setup(): Promise<State> {
      const { texts, source } = trainTexts();
      const embedder = await MiniLmEmbedder.load({ modelId: RANDOM_ID, dtype: 'fp32', threads: 0 });
      await embedTexts(embedder, texts.slice(0, 256)); // warm-up
      const ortPlain = await plainOrt(texts, embedder, 0);
      return { embedder, texts, source, extra: { ort_plain_per_second: +ortPlain.toFixed(2) } };
    },
    async run(st) {
      const s = st as State;
      await embedTexts(s.embedder, s.texts, { batchSize: BATCH });
    },
    extra: (seconds, st) => {
      const e = perSecond(seconds, st);
      return { ...e, vs_ort_plain: +((e.per_second as number) / ((st as State).extra.ort_plain_per_second as number)).toFixed(3) };
    },
    teardown: (st) => (st as State).embedder.dispose(),
  },
  ...[0, 1].map((threads): Benchmark => ({
    // 0: one worker thread (own wasm engine) per core; 1: a single engine in-process.
    name: threads === 0 ? 'embed_use_lite' : 'embed_use_lite_1thread',
    n: 7613,
    repeats: 1,
    async setup(): Promise<State> {
      const { texts, source } = trainTexts();
      const embedder = await UseLiteEmbedder.load({ threads: threads || undefined });
      await embedTexts(embedder, texts.slice(0, 128));
      const extra: Record<string, unknown> = {};
      if (threads === 1) {
        // Same engine, batches of 32 in file order (how @energetic-ai/embeddings batches): the
        // gain from length sorting alone, on the first 1024 tweets to keep the run short.
        const sub = texts.slice(0, 1024);
        const t0 = performance.now();
        for (let i = 0; i < sub.length; i += BATCH) await embedder.embedTokenized(sub.slice(i, i + BATCH).map((t) => embedder.tokenize(t)));
        extra.file_order_per_second_first1024 = +(sub.length / ((performance.now() - t0) / 1000)).toFixed(2);
      }
      return { embedder, texts, source, extra };
    },
    async run(st) {
      const s = st as State;
      await embedTexts(s.embedder, s.texts, { batchSize: BATCH });
    },
    extra: perSecond,
    teardown: (st) => (st as State).embedder.dispose(),
  })),
];
