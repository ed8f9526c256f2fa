import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Table } from 'apache-arrow';
import { buildTable, fixedSizeListVector, provenance, writeArtifact, type ArtifactMeta } from '@tangent/arrow-io';
import { fail, log } from '@tangent/base';
import { defineStage, embeddingSchema, SPLITS, tableClasses, textSchema, type Split, embedNode } from '@tangent/contracts';
import { parse } from 'csv-parse/sync';
import { embedConfigSchema, type EmbedConfig, type ModelKind } from './config.ts';
import { embedTexts } from './embed-texts.ts';
import type { Embedder } from './embedder.ts';
import { loadEmbedder } from './models.ts';

export const STAGE_VERSION = '1';

/**
 * Stage 2: data/text/{train,test}.arrow (cleaned `text`) -> data/embed/<embedder>/{train,test}.arrow.
 * Both splits are embedded before anything is published, in one commit.
 */
export const embedStage = defineStage(embedNode, {
  version: STAGE_VERSION,
  configSchema: embedConfigSchema,
  async run(ctx) {
    const text = ctx.dep('text');
    const read = Object.fromEntries(SPLITS.map((s) => [s, ctx.readArrow(text, `${s}.arrow`, textSchema)]));
    const tables = Object.fromEntries(SPLITS.map((s) => [s, read[s].table])) as Record<Split, Table>;
    // a labelled dataset's class names travel with its rows (absent: the binary tweets)
    const trainExtra = read.train.meta.extra;
    const classes = trainExtra?.classes === undefined ? {} : { classes: tableClasses(trainExtra, read.train.path) };
    for (const s of SPLITS)
      if (tables[s].numRows === 0) fail(`${ctx.path(text, `${s}.arrow`)}: no rows to embed; rerun the text stage on a CSV with rows`);
    const r = await embedSplits(ctx.config, tables);
    const total = tables.train.numRows + tables.test.numRows;
    return {
      files: SPLITS.map((s) => ({
        name: `${s}.arrow`,
        schema: embeddingSchema(r.dim),
        table: r.tables[s],
        dtype: 'float32',
        seed: null,
        extra: { ...r.extra, split: s, ...classes },
      })),
      summary: `embed: ${tables.train.numRows} train + ${tables.test.numRows} test texts -> ${ctx.outDir} in ${r.seconds.toFixed(1)} s (${(total / r.seconds).toFixed(1)} texts/s)\n  settings: ${JSON.stringify(r.extra.settings)}`,
    };
  },
});

/** Embed the `text` column of both splits with one embedder (library entry of the stage). */
export async function embedSplits(
  config: EmbedConfig,
  tables: Record<Split, Table>,
  opts: { embedder?: Embedder } = {},
): Promise<{ tables: Record<Split, Table>; dim: number; seconds: number; extra: Record<string, unknown> }> {
  const embedder = opts.embedder ?? (await loadEmbedder(config));
  const t0 = performance.now();
  const vectors = {} as Record<Split, Float32Array>;
  try {
    for (const s of SPLITS) {
      const texts = tables[s].getChild('text')!.toArray() as string[];
      vectors[s] = await embedTexts(embedder, texts, { batchSize: config.batchSize, label: `embed ${embedder.name} ${s}` });
    }
  } finally {
    if (!opts.embedder) await embedder.dispose();
  }
  const seconds = (performance.now() - t0) / 1000;
  const total = tables.train.numRows + tables.test.numRows;
  const schema = embeddingSchema(embedder.dim);
  const out = {} as Record<Split, Table>;
  for (const s of SPLITS) {
    const t = tables[s];
    out[s] = buildTable(schema, {
      id: t.getChild('id')!.toArray() as Int32Array,
      split: t.getChild('split')!.toArray() as string[],
      // Iterate rather than toArray(): toArray() drops the validity bitmap and turns nulls into 0.
      target: Array.from(t.getChild('target')! as Iterable<number | null>),
      embedding: fixedSizeListVector(vectors[s], embedder.dim),
    });
  }
  const extra = {
    model: config.model,
    name: embedder.name,
    dim: embedder.dim,
    settings: embedder.settings,
    seconds: +seconds.toFixed(3),
    perSecond: +(total / seconds).toFixed(2),
  };
  return { tables: out, dim: embedder.dim, seconds, extra };
}

export interface EmbedCsvOptions {
  input: string;
  /** Column holding the text to embed. */
  textColumn: string;
  /** Integer id column; default the 0-based row number. */
  idColumn?: string;
  /** Optional integer label column (-128..127, empty = null) copied into `target`. */
  targetColumn?: string;
  /** Value for the `split` column; default the file's base name without extension. */
  split?: string;
  /** Where to write the Arrow file; omit to only return the vectors. */
  out?: string;
  model: ModelKind;
  /** Remaining embed-config fields (batchSize, minilm.*, useLite.*). */
  config?: Partial<Omit<EmbedConfig, 'model'>>;
  embedder?: Embedder;
}

export interface EmbedCsvResult {
  ids: Int32Array;
  targets: Array<number | null>;
  embeddings: Float32Array;
  dim: number;
  seconds: number;
  settings: Record<string, unknown>;
  meta?: ArtifactMeta;
}

function parseIntColumn(
  file: string,
  column: string,
  raw: string,
  row: number,
  min: number,
  max: number,
  allowEmpty: boolean,
): number | null {
  const v = raw.trim();
  if (v === '' && allowEmpty) return null;
  const n = Number(v);
  if (v === '' || !Number.isInteger(n) || n < min || n > max)
    fail(
      `${file}: row ${row + 2}, column '${column}': '${raw}' is not an integer in [${min}, ${max}]; fix the value or choose another column`,
    );
  return n;
}

/** Embed one text column of any CSV (header row required); optionally write the embed artifact. */
export async function embedCsv(opts: EmbedCsvOptions): Promise<EmbedCsvResult> {
  const { input, textColumn, idColumn, targetColumn } = opts;
  if (!existsSync(input)) fail(`${input}: file not found; pass an existing CSV with --input`);
  let records: Array<Record<string, string>>;
  try {
    records = parse(readFileSync(input), { columns: true, skip_empty_lines: true, bom: true, relax_column_count: false }) as Array<
      Record<string, string>
    >;
  } catch (e) {
    fail(`${input}: not a valid CSV (${(e as Error).message.split('\n')[0]})`);
  }
  const header = records.length ? Object.keys(records[0]) : [];
  if (!records.length) fail(`${input}: no data rows; the CSV needs a header row and at least one row`);
  for (const [flag, col] of [
    ['--text-column', textColumn],
    ['--id-column', idColumn],
    ['--target-column', targetColumn],
  ] as const)
    if (col !== undefined && !header.includes(col)) fail(`${input}: no column '${col}' (${flag}); columns are ${header.join(', ')}`);
  const ids = new Int32Array(records.length);
  const targets: Array<number | null> = [];
  const seen = new Set<number>();
  records.forEach((r, i) => {
    const id = idColumn ? parseIntColumn(input, idColumn, r[idColumn], i, -(2 ** 31), 2 ** 31 - 1, false)! : i;
    if (seen.has(id)) fail(`${input}: row ${i + 2}, column '${idColumn}': id ${id} occurs twice; ids must be unique`);
    seen.add(id);
    ids[i] = id;
    targets.push(targetColumn ? parseIntColumn(input, targetColumn, r[targetColumn], i, -128, 127, true) : null);
  });
  const texts = records.map((r) => r[textColumn] ?? '');
  const config = embedConfigSchema.parse({ ...opts.config, model: opts.model });
  const embedder = opts.embedder ?? (await loadEmbedder(config));
  const t0 = performance.now();
  let embeddings: Float32Array;
  try {
    embeddings = await embedTexts(embedder, texts, { batchSize: config.batchSize, label: `embed ${embedder.name} ${basename(input)}` });
  } finally {
    if (!opts.embedder) await embedder.dispose();
  }
  const seconds = (performance.now() - t0) / 1000;
  const result: EmbedCsvResult = { ids, targets, embeddings, dim: embedder.dim, seconds, settings: embedder.settings };
  if (opts.out) {
    const schema = embeddingSchema(embedder.dim);
    const split = opts.split ?? basename(input).replace(/\.[^.]*$/, '');
    const table = buildTable(schema, {
      id: ids,
      split: new Array(ids.length).fill(split),
      target: targets,
      embedding: fixedSizeListVector(embeddings, embedder.dim),
    });
    const runConfig = {
      ...config,
      input: { file: basename(input), textColumn, idColumn: idColumn ?? null, targetColumn: targetColumn ?? null, split },
    };
    const meta = await provenance({
      stage: 'embed',
      stageVersion: STAGE_VERSION,
      config: runConfig,
      inputs: [input],
      dtype: 'float32',
      seed: null,
      extra: {
        model: config.model,
        name: embedder.name,
        dim: embedder.dim,
        settings: embedder.settings,
        seconds: +seconds.toFixed(3),
        perSecond: +(ids.length / seconds).toFixed(2),
      },
    });
    result.meta = writeArtifact(opts.out, schema, table, meta);
    log(`embed: wrote ${opts.out} (${ids.length} rows × ${embedder.dim}) in ${seconds.toFixed(1)} s`);
  }
  return result;
}
