import { DataType, Field, Int32, Int8, Precision, Utf8, type FixedSizeList, type Float } from 'apache-arrow';
import { defineSchema, embeddingType, type ArtifactSchema } from '@tangent/arrow-io';

/**
 * The embedding artifact layout shared by data/embed/<embedder>/ and data/pca/<name>/:
 * id, split, target (null for test), embedding FixedSizeList<Float32>[dim]. Kept identical to
 * @tangent/embed's embeddingSchema(dim) so downstream stages read both with one schema.
 */
export function embeddingArtifactSchema(name: string, dim: number): ArtifactSchema {
  return defineSchema(name, [
    new Field('id', new Int32(), false),
    new Field('split', new Utf8(), false),
    new Field('target', new Int8(), true),
    new Field('embedding', embeddingType(dim), false),
  ]);
}

/** The embed stage's columns without the width, for reading files whose dim is not yet known. */
export const embedInputSchema: ArtifactSchema = defineSchema('embed', embeddingArtifactSchema('embed', 1).fields.slice(0, 3));

/** The embedding width of a table's 'embedding' column, or null if it is not FixedSizeList<Float32>. */
export function embeddingDim(type: DataType): number | null {
  // Type ids, not instanceof: the table may come from another copy of apache-arrow.
  if (!DataType.isFixedSizeList(type)) return null;
  const child = (type as FixedSizeList).children[0].type;
  return DataType.isFloat(child) && (child as Float).precision === Precision.SINGLE ? (type as FixedSizeList).listSize : null;
}

export type Split = 'train' | 'test';
export const SPLITS: readonly Split[] = ['train', 'test'];
