import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env, pipeline } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedTexts } from './embed-texts.ts';
import { availableParallelism } from 'node:os';
import { meanPool, MiniLmEmbedder, miniLmSessionOptions } from './minilm.ts';

// Random weights, exact MiniLM-L6 architecture (see $TANGENT_MODELS_DIR/random/README.md):
// the vectors mean nothing, but every step of the code path runs.
const RANDOM_ID = 'random/all-MiniLM-L6-v2-arch';
const modelsDir = process.env.TANGENT_MODELS_DIR!;

const TEXTS = [
  'Forest fire near La Ronge Sask. Canada',
  'Our Deeds are the Reason of this earthquake May ALLAH Forgive us all',
  "I'm on FIRE!!",
  'ok',
  '13,000 people receive wildfires evacuation orders in California',
  'Forest fire near La Ronge Sask. Canada',
  'What a goooooooaaaaaal!!!!!!',
  'Residents asked to shelter in place are being notified by officers. No other evacuation or shelter in place orders are expected',
];

function norm(x: Float32Array, r: number, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) s += x[r * dim + j] ** 2;
  return Math.sqrt(s);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

let emb: MiniLmEmbedder;
beforeAll(async () => {
  emb = await MiniLmEmbedder.load({ modelId: RANDOM_ID, dtype: 'fp32', threads: 1 });
});
afterAll(async () => {
  await emb?.dispose();
});

describe('MiniLM tokenization (real all-MiniLM-L6-v2 vocabulary)', () => {
  it('gives the WordPiece ids looked up by hand in vocab.txt (line number - 1)', () => {
    // [CLS] forest fire near la ron ##ge sas ##k . canada [SEP]
    expect(emb.tokenize('Forest fire near La Ronge Sask. Canada')).toEqual([
      101, 3224, 2543, 2379, 2474, 6902, 3351, 21871, 2243, 1012, 2710, 102,
    ]);
    // [CLS] our deeds are the reason of this earthquake may allah forgive us all [SEP]
    expect(emb.tokenize('Our Deeds are the Reason of this earthquake May ALLAH Forgive us all')).toEqual([
      101, 2256, 15616, 2024, 1996, 3114, 1997, 2023, 8372, 2089, 16455, 9641, 2149, 2035, 102,
    ]);
    // [CLS] 13 , 000 people receive wild ##fires evacuation orders in california [SEP]
    expect(emb.tokenize('13,000 people receive wildfires evacuation orders in California')).toEqual([
      101, 2410, 1010, 2199, 2111, 4374, 3748, 26332, 13982, 4449, 1999, 2662, 102,
    ]);
    // [CLS] i ' m on fire ! ! [SEP]
    expect(emb.tokenize("I'm on FIRE!!")).toEqual([101, 1045, 1005, 1049, 2006, 2543, 999, 999, 102]);
  });

  it('truncates to maxTokens keeping the closing [SEP]', () => {
    const ids = emb.tokenize('fire '.repeat(400));
    expect(ids.length).toBe(256);
    expect(ids[0]).toBe(101);
    expect(ids[255]).toBe(102);
    expect(ids[254]).toBe(2543);
  });
});

describe('MiniLM embeddings on the random-weight model', () => {
  it('has shape n x 384, unit norms, identical vectors for identical texts', async () => {
    const out = await embedTexts(emb, TEXTS, { batchSize: 3 });
    expect(emb.dim).toBe(384);
    expect(out.length).toBe(TEXTS.length * 384);
    expect(out.every(Number.isFinite)).toBe(true);
    for (let r = 0; r < TEXTS.length; r++) expect(norm(out, r, 384)).toBeCloseTo(1, 5);
    expect(Array.from(out.subarray(0, 384))).toEqual(Array.from(out.subarray(5 * 384, 6 * 384)));
    // Distinct texts do get distinct vectors.
    expect(maxAbsDiff(out.subarray(0, 384), out.subarray(384, 768))).toBeGreaterThan(1e-3);
  });

  it('restores input order after length sorting: row i equals text i embedded alone', async () => {
    const batched = await embedTexts(emb, TEXTS, { batchSize: 4 });
    for (let i = 0; i < TEXTS.length; i++) {
      const alone = await emb.embedTokenized([emb.tokenize(TEXTS[i])]);
      expect(maxAbsDiff(batched.subarray(i * 384, (i + 1) * 384), alone)).toBeLessThan(2e-5);
    }
  });

  it('padding does not change a vector: short sentence alone vs next to a long one', async () => {
    const short = emb.tokenize('ok');
    const long = emb.tokenize(TEXTS[7]);
    expect(long.length).toBeGreaterThan(20);
    const alone = await emb.embedTokenized([short]);
    const padded = await emb.embedTokenized([long, short]);
    expect(maxAbsDiff(alone, padded.subarray(384, 768))).toBeLessThan(2e-5);
  });

  it('agrees with the transformers.js feature-extraction pipeline (mean pooling + normalize)', async () => {
    env.localModelPath = `${modelsDir}/`;
    env.allowRemoteModels = false;
    const extractor = await pipeline('feature-extraction', RANDOM_ID, { dtype: 'fp32' });
    const texts = TEXTS.slice(0, 4);
    const ref = await extractor(texts, { pooling: 'mean', normalize: true });
    const ours = await embedTexts(emb, texts, { batchSize: 2 });
    expect(ref.dims).toEqual([4, 384]);
    expect(maxAbsDiff(ours, ref.data as Float32Array)).toBeLessThan(2e-5);
    await extractor.dispose();
  });
});

describe('MiniLM session options', () => {
  it('are the plain session of issue 26, with the thread count always explicit', () => {
    expect(miniLmSessionOptions(3)).toEqual({ intraOpNumThreads: 3, executionMode: 'sequential', graphOptimizationLevel: 'all' });
    // 0 must not reach onnxruntime: its own default is one thread per physical core (1 on an SMT VM).
    expect(miniLmSessionOptions(0).intraOpNumThreads).toBe(availableParallelism());
    expect(() => miniLmSessionOptions(-1)).toThrow(/minilm\.threads: expected a whole number >= 0/);
    expect(emb.settings).toMatchObject({ intraOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  });

  it('the thread count does not change a single bit of the vectors', async () => {
    const two = await MiniLmEmbedder.load({ modelId: RANDOM_ID, dtype: 'fp32', threads: 2 });
    try {
      expect(two.settings.intraOpNumThreads).toBe(2);
      const a = await embedTexts(emb, TEXTS, { batchSize: 4 });
      const b = await embedTexts(two, TEXTS, { batchSize: 4 });
      expect(Array.from(b)).toEqual(Array.from(a));
    } finally {
      await two.dispose();
    }
  });
});

describe('meanPool', () => {
  it('averages only the first lengths[r] positions (brute-force oracle)', () => {
    const [b, L, d] = [2, 3, 2];
    const h = Float32Array.from({ length: b * L * d }, (_, i) => i * 0.5 - 1);
    const got = meanPool(h, [3, 1], L, d);
    // row 0: positions 0..2; row 1: position 0 only (positions 1, 2 are padding)
    const want = [(-1 + 0 + 1) / 3, (-0.5 + 0.5 + 1.5) / 3, 2, 2.5];
    expect(Array.from(got)).toEqual(want.map(Math.fround));
  });
});

describe('missing model files', () => {
  it('names the folder, the missing files and the fixes', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'embed-models-'));
    await expect(MiniLmEmbedder.load({ modelsDir: empty })).rejects.toThrow(
      new RegExp(
        `model 'Xenova/all-MiniLM-L6-v2' \\(fp32\\): ${empty}/Xenova/all-MiniLM-L6-v2 lacks config\\.json, tokenizer\\.json, tokenizer_config\\.json, onnx/model\\.onnx; download`,
      ),
    );
    // The shared copy of the real model has tokenizer and config but no ONNX weights.
    await expect(MiniLmEmbedder.load({ modelsDir })).rejects.toThrow(/lacks onnx\/model\.onnx;.*use-lite/);
    // The random model ships fp32 only.
    await expect(MiniLmEmbedder.load({ modelsDir, modelId: RANDOM_ID, dtype: 'q8' })).rejects.toThrow(/lacks onnx\/model_quantized\.onnx/);
  });
});
