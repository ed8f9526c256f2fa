import { DataType, Field, Int32, Int8, Precision, Utf8, type FixedSizeList, type Float, type Table } from 'apache-arrow';
import { defineSchema, embeddingType, readFixedSizeList, type ArtifactSchema } from '@tangent/arrow-io';
import { fail } from '@tangent/base';
import type { Split } from './text-table.ts';

/**
 * The embedding table, written by the embed stage (data/embed/<embedder>/) and the pca stage
 * (data/pca/<embedder>-d<d>/), and read by pca, ntk and mlp: id, split, target (null for test),
 * embedding FixedSizeList<Float32>[dim], one row per input row in input order.
 */
export function embeddingSchema(dim: number): ArtifactSchema {
  return defineSchema('embedding table', [
    new Field('id', new Int32(), false),
    new Field('split', new Utf8(), false),
    new Field('target', new Int8(), true),
    new Field('embedding', embeddingType(dim), false),
  ]);
}

/** The fixed columns, for reading a file whose width is not known yet (checked by `readEmbeddings`). */
export const embeddingColumns: ArtifactSchema = defineSchema('embedding table', embeddingSchema(1).fields.slice(0, 3));

/** The embedding width of a FixedSizeList<Float32> type, or null for any other type. */
export function embeddingDim(type: DataType): number | null {
  // Type ids, not instanceof: the table may come from another copy of apache-arrow.
  if (!DataType.isFixedSizeList(type)) return null;
  const child = (type as FixedSizeList).children[0].type;
  return DataType.isFloat(child) && (child as Float).precision === Precision.SINGLE ? (type as FixedSizeList).listSize : null;
}

/** The classes of a binary table that names none (the tweets: target 0/1). */
export const BINARY_CLASSES: readonly string[] = ['0', '1'];

/**
 * The class names a table's provenance records (`extra.classes`, index = target value), checked:
 * at least two distinct strings. A table that records none is binary (BINARY_CLASSES).
 */
export function tableClasses(extra: Record<string, unknown> | undefined, path: string): string[] {
  const c = extra?.classes;
  if (c === undefined) return [...BINARY_CLASSES];
  if (!Array.isArray(c) || c.length < 2 || c.some((x) => typeof x !== 'string') || new Set(c).size !== c.length)
    fail(`${path}: provenance extra.classes should list at least two distinct class names; rerun the stage that wrote it`);
  return c as string[];
}

export interface Embeddings {
  ids: Int32Array;
  /** The class index 0..K−1 (train; a labelled test split too) or null (unlabelled), per row. */
  target: Array<number | null>;
  /** The class names, index = target value (K = classes.length; ['0', '1'] for the tweets). */
  classes: string[];
  /** Row-major rows × dim. */
  values: Float32Array;
  rows: number;
  dim: number;
}

/**
 * The columns of an embedding table, checked: the embedding column's type, every row's split,
 * every value finite (a NaN anywhere names its row), every target a class index (train: never
 * null). `meta` is the file's provenance, whose `extra.classes` names the classes.
 */
export function readEmbeddings(table: Table, path: string, split: Split, meta?: { extra?: Record<string, unknown> }): Embeddings {
  const classes = tableClasses(meta?.extra, path);
  const field = table.schema.fields.find((f) => f.name === 'embedding');
  const dim = field ? embeddingDim(field.type) : null;
  if (dim === null) fail(`${path}: column 'embedding' should be FixedSizeList<Float32>[dim] but is ${field?.type ?? 'missing'}`);
  const { values, rows } = readFixedSizeList(table, 'embedding');
  const v = values instanceof Float32Array ? values : Float32Array.from(values);
  for (let i = 0; i < v.length; i++)
    if (!Number.isFinite(v[i]))
      fail(`${path}: row ${Math.floor(i / dim)}, column 'embedding'[${i % dim}] is ${v[i]}; rerun the stage that wrote it`);
  const splits = table.getChild('split')!;
  const targetCol = table.getChild('target')!;
  const target: Array<number | null> = [];
  for (let i = 0; i < rows; i++) {
    if (splits.get(i) !== split) fail(`${path}: row ${i} has split '${splits.get(i)}', expected '${split}'`);
    const t = targetCol.get(i) as number | null;
    if (t === null ? split === 'train' : !(Number.isInteger(t) && t >= 0 && t < classes.length))
      fail(`${path}: ${split} row ${i} has target ${t}; expected a class index 0..${classes.length - 1} (${classes.join(', ')})`);
    target.push(t);
  }
  const ids = Int32Array.from(table.getChild('id')!.toArray() as Int32Array);
  if (rows === 0) fail(`${path}: no rows; rerun the stage that wrote it`);
  return { ids, target, classes, values: v, rows, dim };
}
