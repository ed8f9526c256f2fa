import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedTexts } from './embed-texts.ts';
import { UseLiteEmbedder } from './use-lite.ts';

let emb: UseLiteEmbedder;
let raw: UseLiteEmbedder;
beforeAll(async () => {
  emb = await UseLiteEmbedder.load({ threads: 1 });
  raw = await UseLiteEmbedder.load({ normalize: false, threads: 1 });
});
afterAll(async () => {
  await emb?.dispose();
  await raw?.dispose();
});

const cos = (x: Float32Array, i: number, j: number, d = 512) => {
  let s = 0;
  for (let k = 0; k < d; k++) s += x[i * d + k] * x[j * d + k];
  return s;
};

describe('USE-lite (real weights, offline)', () => {
  it('512-d unit vectors; the raw graph output is already close to unit length', async () => {
    const texts = ['The forest fire spread quickly.', 'I love pizza', ''];
    const x = await embedTexts(emb, texts);
    const r = await embedTexts(raw, texts);
    expect(x.length).toBe(3 * 512);
    for (let i = 0; i < 3; i++) {
      expect(cos(x, i, i)).toBeCloseTo(1, 5);
      expect(Math.sqrt(cos(r, i, i))).toBeGreaterThan(0.9);
      expect(Math.sqrt(cos(r, i, i))).toBeLessThan(1.1);
    }
  });

  it('paraphrases score a higher cosine than unrelated sentences', async () => {
    const texts = [
      'A wildfire is burning near the town.', // 0
      'Forest fire close to the village.', // 1
      'The earthquake destroyed many buildings.', // 2
      'A strong quake collapsed several houses.', // 3
      'I had pancakes for breakfast today.', // 4
      'This morning I ate waffles.', // 5
    ];
    const x = await embedTexts(emb, texts, { batchSize: 4 });
    const pairs: Array<[number, number]> = [
      [0, 1],
      [2, 3],
      [4, 5],
    ];
    for (const [a, b] of pairs)
      for (let c = 0; c < 6; c++) {
        if (c === a || c === b) continue;
        expect(cos(x, a, b)).toBeGreaterThan(cos(x, a, c));
      }
    expect(cos(x, 0, 1)).toBeGreaterThan(0.5);
    expect(cos(x, 0, 4)).toBeLessThan(0.3);
  });

  it('is deterministic and padding-invariant within float tolerance', async () => {
    const t = ['fire', 'Residents asked to shelter in place are being notified by officers. No other evacuation orders are expected'];
    const alone = await emb.embedTokenized([emb.tokenize(t[0])]);
    const together = await emb.embedTokenized(t.map((s) => emb.tokenize(s)).reverse());
    const again = await emb.embedTokenized(t.map((s) => emb.tokenize(s)).reverse());
    expect(Array.from(together)).toEqual(Array.from(again));
    let m = 0;
    for (let k = 0; k < 512; k++) m = Math.max(m, Math.abs(alone[k] - together[512 + k]));
    expect(m).toBeLessThan(1e-4);
  });
});

describe('USE-lite worker pool', () => {
  it('gives bit-identical vectors to the in-process engine, in input order', async () => {
    const texts = [
      'fire near Canada.',
      'ok',
      'The earthquake destroyed many buildings last night',
      'I love pizza',
      'Storm warning for the coast',
      'a',
    ];
    const pool = await UseLiteEmbedder.load({ threads: 2 });
    try {
      expect(pool.concurrency).toBe(2);
      expect(pool.settings.workerThreads).toBe(2);
      const a = await embedTexts(pool, texts, { batchSize: 2 });
      const b = await embedTexts(emb, texts, { batchSize: 2 });
      expect(Array.from(a)).toEqual(Array.from(b));
    } finally {
      await pool.dispose();
    }
  });

  it('fails with one line when the model folder lacks its files', async () => {
    await expect(UseLiteEmbedder.load({ modelDir: '/nonexistent/use', threads: 2 })).rejects.toThrow(
      /USE-lite: \/nonexistent\/use\/model\.json not found; reinstall/,
    );
  });
});
