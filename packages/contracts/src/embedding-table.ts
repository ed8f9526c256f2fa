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

export interface Embeddings {
  ids: Int32Array;
  /** 0/1 (train) or null (test), per row. */
  target: Array<number | null>;
  /** Row-major rows × dim. */
  values: Float32Array;
  rows: number;
  dim: number;
}

/**
 * The columns of an embedding table, checked: the embedding column's type, every row's split,
 * every value finite (a NaN anywhere names its row), train targets 0/1.
 */
export function readEmbeddings(table: Table, path: string, split: Split): Embeddings {
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
    if (split === 'train' && t !== 0 && t !== 1) fail(`${path}: train row ${i} has target ${t}; expected 0 or 1`);
    target.push(t);
  }
  const ids = Int32Array.from(table.getChild('id')!.toArray() as Int32Array);
  if (rows === 0) fail(`${path}: no rows; rerun the stage that wrote it`);
  return { ids, target, values: v, rows, dim };
}
