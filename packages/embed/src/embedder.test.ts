import { describe, expect, it } from 'vitest';
import { embedTexts } from './embed-texts.ts';
import { l2NormalizeRows, lengthSortedBatches, type Embedder } from './embedder.ts';

describe('length-sorted batching', () => {
  it('groups indices by token count, stable, covering every index once', () => {
    const b = lengthSortedBatches([5, 1, 3, 1, 9, 3], 2);
    expect(b).toEqual([
      [1, 3],
      [2, 5],
      [0, 4],
    ]);
    expect(() => lengthSortedBatches([1], 0)).toThrow(/positive integer/);
  });

  it('embedTexts restores input order whatever the batch order', async () => {
    // A transparent fake model: each vector encodes its text's token ids, so a misplaced row shows.
    const seen: number[][][] = [];
    const fake: Embedder = {
      name: 'fake',
      dim: 2,
      settings: {},
      tokenize: (t) => Array.from(t, (c) => c.charCodeAt(0)),
      async embedTokenized(batch) {
        seen.push(batch);
        return Float32Array.from(batch.flatMap((t) => [t.length, t[0] ?? -1]));
      },
      async dispose() {},
    };
    const texts = ['ccc', 'a', 'bbbb', 'dd', 'e'];
    const out = await embedTexts(fake, texts, { batchSize: 2 });
    expect(Array.from(out)).toEqual(texts.flatMap((t) => [t.length, t.charCodeAt(0)]));
    expect(seen.map((b) => b.map((t) => t.length))).toEqual([[1, 1], [2, 3], [4]]);
  });

  it('with several lanes hands out the longest batches first, rows still in input order', async () => {
    const seen: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const fake: Embedder = {
      name: 'fake',
      dim: 1,
      settings: {},
      concurrency: 2,
      tokenize: (t) => Array.from(t, (c) => c.charCodeAt(0)),
      async embedTokenized(batch) {
        seen.push(batch[0].length);
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await new Promise((r) => setTimeout(r, batch[0].length));
        inFlight--;
        return Float32Array.from(batch, (t) => t.length);
      },
      async dispose() {},
    };
    const texts = ['aaaaa', 'a', 'aaa', 'aa', 'aaaa', 'aaaaaa'];
    const out = await embedTexts(fake, texts, { batchSize: 1 });
    expect(Array.from(out)).toEqual(texts.map((t) => t.length));
    expect(seen).toEqual([6, 5, 4, 3, 2, 1]);
    expect(maxInFlight).toBe(2);
  });

  it('l2NormalizeRows gives unit rows and leaves zero rows at zero', () => {
    const x = l2NormalizeRows(Float32Array.from([3, 4, 0, 0]), 2);
    expect(Array.from(x)).toEqual([0.6, 0.8, 0, 0].map((v) => Math.fround(v)));
  });
});

describe('embedTexts(texts, { model })', () => {
  it('loads the named model, embeds like an explicit embedder, and disposes it', async () => {
    const { loadEmbedder } = await import('./models.ts');
    const { embedConfigSchema } = await import('./config.ts');
    const texts = ['a fire downtown', 'I love pizza'];
    const byName = await embedTexts(texts, { model: 'use-lite', useLite: { threads: 1 } });
    const embedder = await loadEmbedder(embedConfigSchema.parse({ model: 'use-lite', useLite: { threads: 1 } }));
    const explicit = await embedTexts(embedder, texts);
    await embedder.dispose();
    expect(byName.length).toBe(2 * 512);
    expect(Array.from(byName)).toEqual(Array.from(explicit));
    for (let r = 0; r < 2; r++) expect(Math.hypot(...byName.subarray(r * 512, (r + 1) * 512))).toBeCloseTo(1, 5);
  });
});
