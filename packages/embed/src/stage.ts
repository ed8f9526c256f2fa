import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import {
  buildTable,
  fail,
  fixedSizeListVector,
  log,
  paths,
  provenance,
  readArtifact,
  writeArtifact,
  writeArtifacts,
  type ArtifactMeta,
} from '@tangent/arrow-io';
import { SPLITS, textSchema, type Split } from '@tangent/text';
import { parse } from 'csv-parse/sync';
import { embedConfigSchema, type EmbedConfig, type ModelKind } from './config.ts';
import { embedTexts, type Embedder } from './embedder.ts';
import { defaultOutName, loadEmbedder } from './models.ts';
import { embeddingSchema } from './schema.ts';

export const STAGE = 'embed';
export const STAGE_VERSION = '1';

export interface EmbedResult {
  outDir: string;
  outputs: Record<Split, string>;
  meta: Record<Split, ArtifactMeta>;
  rows: Record<Split, number>;
  seconds: number;
  perSecond: number;
  settings: Record<string, unknown>;
}

/**
 * The pipeline stage: data/text/{train,test}.arrow (cleaned `text`) -> data/embed/<name>/.
 * Both splits are embedded before either file is written, so a failure leaves no partial output.
 */
export async function runEmbed(config: EmbedConfig, opts: { embedder?: Embedder } = {}): Promise<EmbedResult> {
  const inputs = Object.fromEntries(SPLITS.map((s) => [s, paths.artifacts('text', `${s}.arrow`)])) as Record<Split, string>;
  const tables = Object.fromEntries(
    SPLITS.map((s) => [s, readArtifact(inputs[s], textSchema, { hint: 'run `tangent text` first', nonEmpty: true }).table]),
  ) as Record<Split, ReturnType<typeof readArtifact>['table']>;
  const embedder = opts.embedder ?? (await loadEmbedder(config));
  const outName = config.outName ?? defaultOutName(config);
  const outDir = paths.artifacts('embed', outName);
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
  const rows = Object.fromEntries(SPLITS.map((s) => [s, tables[s].numRows])) as Record<Split, number>;
  const total = rows.train + rows.test;
  const schema = embeddingSchema(embedder.dim);
  const extraBase = {
    model: config.model,
    name: embedder.name,
    dim: embedder.dim,
    settings: embedder.settings,
    seconds: +seconds.toFixed(3),
    perSecond: +(total / seconds).toFixed(2),
  };
  const artifacts = [];
  for (const s of SPLITS) {
    const t = tables[s];
    const table = buildTable(schema, {
      id: t.getChild('id')!.toArray() as Int32Array,
      split: t.getChild('split')!.toArray() as string[],
      // Iterate rather than toArray(): toArray() drops the validity bitmap and turns nulls into 0.
      target: Array.from(t.getChild('target')! as Iterable<number | null>),
      embedding: fixedSizeListVector(vectors[s], embedder.dim),
    });
    const meta = await provenance({
      stage: STAGE,
      stageVersion: STAGE_VERSION,
      config,
      inputs: [inputs[s]],
      dtype: 'float32',
      seed: null,
      extra: { ...extraBase, split: s },
    });
    artifacts.push({ path: `${outDir}/${s}.arrow`, schema, table, meta });
  }
  const metas = writeArtifacts(artifacts);
  return {
    outDir,
    outputs: { train: artifacts[0].path, test: artifacts[1].path },
    meta: { train: metas[0], test: metas[1] },
    rows,
    seconds,
    perSecond: total / seconds,
    settings: embedder.settings,
  };
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
      stage: STAGE,
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
