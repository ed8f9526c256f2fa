/**
 * Sentence-embedding throughput on the 7613 Kaggle training tweets (texts/second, end to end:
 * tokenize, length-sorted batches of 32, forward, pooling, normalisation, order restored).
 * MiniLM uses the random-weight copy with the exact architecture (same FLOPs as the real one).
 *
 * MiniLM's peer (issue 26): a plain onnxruntime-node InferenceSession with intraOpNumThreads =
 * one per core, executionMode 'sequential', graphOptimizationLevel 'all', timed around
 * `session.run` alone on the same length-sorted, padded batches of 32 (tokenized and padded
 * untimed). The machine is shared, so the two are compared paired: the sorted corpus is cut into
 * chunks of whole batches, and on each chunk tangent's whole path (`embedTexts`, tokenizing
 * included) and the peer's runs go back to back, alternating which goes first; `vs_ort_plain` is
 * the peer's summed time over tangent's (> 1: tangent faster); `tokenize_share` is the part of
 * tangent's time spent tokenizing (timed apart), work the peer's figure leaves out.
 * TANGENT_BENCH_ROUNDS=k repeats the paired pass k times. `per_second` is the harness's unpaired
 * end-to-end pass over the whole corpus; `load_1m` the machine's load average.
 * There is no q8 benchmark: the random model ships fp32 only and onnxruntime-node has no
 * quantization API (quantize_dynamic lives in the Python package).
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { paths, readArtifact } from '@tangent/arrow-io';
import { textSchema } from '@tangent/contracts';
import { parse } from 'csv-parse/sync';
import * as ort from 'onnxruntime-node';
import type { Benchmark } from '../../../tools/bench.ts';
import { embedTexts } from '../src/embed-texts.ts';
import { lengthSortedBatches, type Embedder } from '../src/embedder.ts';
import { MiniLmEmbedder, miniLmOnnxPath } from '../src/minilm.ts';
import { UseLiteEmbedder } from '../src/use-lite.ts';

const BATCH = 32;
/** Batches per paired chunk: ~1 s of work, short against the drift of a shared machine. */
const CHUNK_BATCHES = 8;
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

/** Issue 26's plain session, spelled out here rather than imported, so that it stays a peer. */
function plainOptions(): ort.InferenceSession.SessionOptions {
  return { intraOpNumThreads: availableParallelism(), executionMode: 'sequential', graphOptimizationLevel: 'all' };
}

type Feeds = Record<string, ort.Tensor>;

/** tangent's path and the plain session on the same chunks of the sorted corpus, alternating; summed seconds each. */
async function pairedVsPlain(texts: string[], emb: MiniLmEmbedder): Promise<Record<string, unknown>> {
  const modelsDir = paths.models();
  if (!modelsDir) throw new Error('TANGENT_MODELS_DIR must point at the shared models for this benchmark');
  const options = plainOptions();
  const session = await ort.InferenceSession.create(miniLmOnnxPath(modelsDir, RANDOM_ID, 'fp32'), options);
  const tokens = texts.map((t) => emb.tokenize(t));
  const batches = lengthSortedBatches(
    tokens.map((t) => t.length),
    BATCH,
  );
  const feeds: Feeds[] = batches.map((b) => {
    const p = MiniLmEmbedder.padBatch(b.map((i) => tokens[i]));
    const shape = [b.length, p.len];
    return {
      input_ids: new ort.Tensor('int64', p.ids, shape),
      attention_mask: new ort.Tensor('int64', p.mask, shape),
      token_type_ids: new ort.Tensor('int64', p.types, shape),
    };
  });
  // Chunks of whole batches in sorted order: embedTexts re-sorts a chunk's texts into the very
  // same batches (stable sort, ties by position), so both sides run identical shapes.
  const chunks: Array<{ texts: string[]; feeds: Feeds[] }> = [];
  for (let c = 0; c < batches.length; c += CHUNK_BATCHES) {
    const bs = batches.slice(c, c + CHUNK_BATCHES);
    chunks.push({ texts: bs.flat().map((i) => texts[i]), feeds: feeds.slice(c, c + CHUNK_BATCHES) });
  }
  const plain = async (ch: (typeof chunks)[number]) => {
    let ms = 0;
    for (const f of ch.feeds) {
      const t0 = performance.now();
      await session.run(f);
      ms += performance.now() - t0;
    }
    return ms;
  };
  let tokMs = 0;
  const tangent = async (ch: (typeof chunks)[number]) => {
    // Tokenizing alone, timed apart (not in tangent's figure): the share of tangent's path that the peer does not time.
    const t = performance.now();
    for (const x of ch.texts) emb.tokenize(x);
    tokMs += performance.now() - t;
    const t0 = performance.now();
    await embedTexts(emb, ch.texts, { batchSize: BATCH });
    return performance.now() - t0;
  };
  await plain(chunks[chunks.length - 1]); // warm-up on the longest chunk (arena sized once)
  await tangent(chunks[chunks.length - 1]);
  const rounds = Math.max(1, Number(process.env.TANGENT_BENCH_ROUNDS) || 1);
  let [tMs, pMs] = [0, 0];
  tokMs = 0;
  for (let r = 0; r < rounds; r++)
    for (let c = 0; c < chunks.length; c++) {
      if ((c + r) % 2 === 0) {
        pMs += await plain(chunks[c]);
        tMs += await tangent(chunks[c]);
      } else {
        tMs += await tangent(chunks[c]);
        pMs += await plain(chunks[c]);
      }
    }
  await session.release();
  const n = texts.length * rounds;
  return {
    paired_per_second: +((n / tMs) * 1000).toFixed(2),
    ort_plain_per_second: +((n / pMs) * 1000).toFixed(2),
    vs_ort_plain: +(pMs / tMs).toFixed(3),
    tokenize_share: +(tokMs / tMs).toFixed(4),
    vs_ort_plain_without_tokenize: +(pMs / (tMs - tokMs)).toFixed(3),
    paired_chunks: chunks.length * rounds,
    ort_plain_options: options,
  };
}

const machine = () => ({ cpu: cpus()[0]?.model, cores: availableParallelism(), load_1m: +loadavg()[0].toFixed(2) });

const perSecond = (seconds: number, st: unknown) => {
  const s = st as State;
  return {
    per_second: +(s.texts.length / seconds).toFixed(2),
    batch: BATCH,
    source: s.source,
    settings: s.embedder.settings,
    ...s.extra,
    ...machine(),
  };
};

export const benchmarks: Benchmark[] = [
  {
    name: 'embed_minilm_random_fp32',
    n: 7613,
    repeats: 1,
    async setup(): Promise<State> {
      const { texts, source } = trainTexts();
      const embedder = await MiniLmEmbedder.load({ modelId: RANDOM_ID, dtype: 'fp32' });
      await embedTexts(embedder, texts.slice(0, 256)); // warm-up
      const paired = await pairedVsPlain(texts, embedder);
      return { embedder, texts, source, extra: { ...paired, load_1m_after_paired: machine().load_1m } };
    },
    async run(st) {
      const s = st as State;
      await embedTexts(s.embedder, s.texts, { batchSize: BATCH });
    },
    extra: perSecond,
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
