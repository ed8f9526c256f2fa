import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTable, readArtifact, readFixedSizeList } from '@tangent/arrow-io';
import {
  embeddingSchema,
  findInstance,
  pipelineInstances,
  publishOutputs,
  resolveManifest,
  runStage,
  textSchema,
  type PipelineMeta,
} from '@tangent/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedConfigSchema } from './config.ts';
import { MiniLmEmbedder } from './minilm.ts';
import { embedCsv, embedStage } from './stage.ts';

const RANDOM_ID = 'random/all-MiniLM-L6-v2-arch';
const config = embedConfigSchema.parse({ model: 'minilm', batchSize: 2, minilm: { modelId: RANDOM_ID, threads: 1 } });
/** A manifest object with one named embedder: the random-weight MiniLM (offline, under $TANGENT_MODELS_DIR). */
const NAME = 'minilm-random';
const manifest = {
  grid: { embedders: [NAME] },
  embed: { batchSize: 2, models: { [NAME]: { model: 'minilm', minilm: { modelId: RANDOM_ID, threads: 1 } } } },
};
let emb: MiniLmEmbedder;
let dir: string;
const prevArtifacts = process.env.TANGENT_ARTIFACTS_DIR;

/** Text artifacts as the text stage of `manifest` would publish them (its identity, its provenance). */
async function writeText(splits: Record<'train' | 'test', { ids: number[]; texts: string[]; targets: Array<number | null> }>) {
  const m = resolveManifest(manifest);
  const files = (['train', 'test'] as const).map((split) => {
    const { ids, texts, targets } = splits[split];
    const n = ids.length;
    const table = buildTable(textSchema, {
      id: Int32Array.from(ids),
      split: new Array(n).fill(split),
      target: targets,
      keyword: new Array(n).fill(''),
      location: new Array(n).fill(''),
      raw_text: texts,
      text: texts,
    });
    return { name: `${split}.arrow`, schema: textSchema, table, dtype: 'utf8', seed: null };
  });
  await publishOutputs(
    { name: 'text', version: '1', outputs: ['train.arrow', 'test.arrow'] },
    m,
    findInstance(pipelineInstances(m), 'text', '')!,
    {
      files,
    },
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'embed-stage-'));
  process.env.TANGENT_ARTIFACTS_DIR = dir;
  emb = await MiniLmEmbedder.load(config.minilm);
});
afterAll(async () => {
  await emb?.dispose();
  if (prevArtifacts === undefined) delete process.env.TANGENT_ARTIFACTS_DIR;
  else process.env.TANGENT_ARTIFACTS_DIR = prevArtifacts;
});

describe('embed stage (runStage)', () => {
  it('writes embed/<embedder>/{train,test}.arrow in input order with ids, targets and provenance', async () => {
    const trainTexts = [
      'Forest fire near La Ronge Sask. Canada',
      'ok',
      'Our Deeds are the Reason of this earthquake May ALLAH Forgive us all',
    ];
    await writeText({
      train: { ids: [1, 4, 5], texts: trainTexts, targets: [1, 0, 1] },
      test: { ids: [0, 2], texts: ['Just happened a terrible car crash', 'Heard about #earthquake'], targets: [null, null] },
    });
    const [r] = await runStage(embedStage, { manifest, key: NAME });
    expect(r.outDir).toBe(join(dir, 'embed', NAME));
    expect(readdirSync(r.outDir).sort()).toEqual(['test.arrow', 'train.arrow']);
    const { table, meta } = readArtifact(join(r.outDir, 'train.arrow'), embeddingSchema(384));
    const m = meta as PipelineMeta;
    expect(Array.from(table.getChild('id')!.toArray())).toEqual([1, 4, 5]);
    expect(Array.from(table.getChild('target')!.toArray())).toEqual([1, 0, 1]);
    const e = readFixedSizeList(table, 'embedding');
    expect(e.dim).toBe(384);
    // Row order: row 1 ('ok') equals 'ok' embedded on its own.
    const alone = await emb.embedTokenized([emb.tokenize('ok')]);
    let diff = 0;
    for (let k = 0; k < 384; k++) diff = Math.max(diff, Math.abs(e.values[384 + k] - alone[k]));
    expect(diff).toBeLessThan(2e-5);
    expect(m.stage).toBe('embed');
    expect(m.key).toBe(NAME);
    expect(m.kind).toBe('train');
    expect(m.identity).toBe(findInstance(pipelineInstances(resolveManifest(manifest)), 'embed', NAME)!.identity);
    expect(m.dtype).toBe('float32');
    expect(m.config as object).toMatchObject({ model: 'minilm', name: NAME, batchSize: 2, minilm: { modelId: RANDOM_ID } });
    expect(m.extra?.dim).toBe(384);
    expect(m.extra?.split).toBe('train');
    expect(Object.keys(m.inputs).some((k) => /text[/\\]train\.arrow$/.test(k))).toBe(true);
    expect(Object.keys(m.inputs).some((k) => /text[/\\]test\.arrow$/.test(k))).toBe(true);
    const t = readArtifact(join(r.outDir, 'test.arrow'), embeddingSchema(384)).table;
    expect(t.getChild('target')!.get(0)).toBeNull();
    expect(t.getChild('split')!.get(1)).toBe('test');
  });

  it('fails with one line when the text stage has not run, and writes nothing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'embed-none-'));
    process.env.TANGENT_ARTIFACTS_DIR = empty;
    try {
      await expect(runStage(embedStage, { manifest, key: NAME })).rejects.toThrow(
        /text[/\\]train\.arrow: not found; rerun its stage: npx tangent text \(or npm start\)$/,
      );
      expect(existsSync(join(empty, 'embed'))).toBe(false);
    } finally {
      process.env.TANGENT_ARTIFACTS_DIR = dir;
    }
  });
});

describe('embedCsv (any CSV)', () => {
  const csv = () => {
    const f = join(dir, 'in.csv');
    writeFileSync(f, 'key,body,label\n10,"Forest fire, near town",1\n-3,ok,\n7,"Our Deeds are the Reason",0\n');
    return f;
  };

  it('embeds a chosen column with chosen ids and labels and writes the embed schema', async () => {
    const out = join(dir, 'csv-out', 'x.arrow');
    const r = await embedCsv({
      input: csv(),
      textColumn: 'body',
      idColumn: 'key',
      targetColumn: 'label',
      model: 'minilm',
      out,
      embedder: emb,
      config: { batchSize: 2 },
    });
    expect(Array.from(r.ids)).toEqual([10, -3, 7]);
    expect(r.targets).toEqual([1, null, 0]);
    const { table, meta: m } = readArtifact(out, embeddingSchema(384));
    expect(table.getChild('split')!.get(0)).toBe('in');
    expect(table.getChild('target')!.get(1)).toBeNull();
    expect(Array.from(readFixedSizeList(table, 'embedding').values)).toEqual(Array.from(r.embeddings));
    expect((m.config as { input: { textColumn: string } }).input.textColumn).toBe('body');
  });

  it('rejects bad input with one line and writes nothing', async () => {
    const out = join(dir, 'bad', 'x.arrow');
    const f = csv();
    await expect(embedCsv({ input: f, textColumn: 'text', model: 'minilm', out, embedder: emb })).rejects.toThrow(
      /in\.csv: no column 'text' \(--text-column\); columns are key, body, label/,
    );
    await expect(embedCsv({ input: f, textColumn: 'body', idColumn: 'label', model: 'minilm', out, embedder: emb })).rejects.toThrow(
      /row 3, column 'label': '' is not an integer/,
    );
    const big = join(dir, 'big.csv');
    writeFileSync(big, 'text,target\na,1\nb,300\n');
    await expect(embedCsv({ input: big, textColumn: 'text', targetColumn: 'target', model: 'minilm', out, embedder: emb })).rejects.toThrow(
      /big\.csv: row 3, column 'target': '300' is not an integer in \[-128, 127\]/,
    );
    const dup = join(dir, 'dup.csv');
    writeFileSync(dup, 'id,text\n1,a\n1,b\n');
    await expect(embedCsv({ input: dup, textColumn: 'text', idColumn: 'id', model: 'minilm', out, embedder: emb })).rejects.toThrow(
      /id 1 occurs twice/,
    );
    await expect(embedCsv({ input: join(dir, 'nope.csv'), textColumn: 'text', model: 'minilm', out, embedder: emb })).rejects.toThrow(
      /nope\.csv: file not found/,
    );
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });
});
