import { Field, Int32, Int8, Utf8 } from 'apache-arrow';
import { defineSchema, embeddingType, type ArtifactSchema } from '@tangent/arrow-io';

/**
 * data/embed/<model>/{train,test}.arrow: one row per input row, in input order, with the
 * sentence embedding as FixedSizeList<Float32>[dim]. PCA and NTK stages reuse this layout.
 */
export function embeddingSchema(dim: number): ArtifactSchema {
  return defineSchema('embed', [
    new Field('id', new Int32(), false),
    new Field('split', new Utf8(), false),
    new Field('target', new Int8(), true),
    new Field('embedding', embeddingType(dim), false),
  ]);
}
