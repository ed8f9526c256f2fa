import { Field, Int32, Int8, Utf8 } from 'apache-arrow';
import { defineSchema } from '@tangent/arrow-io';

/**
 * data/text/{train,test}.arrow: one row per CSV row, in CSV order. `target` is null for test;
 * a missing keyword or location is '' (never null), so readers need no null checks there.
 */
export const textSchema = defineSchema('text', [
  new Field('id', new Int32(), false),
  new Field('split', new Utf8(), false),
  new Field('target', new Int8(), true),
  new Field('keyword', new Utf8(), false),
  new Field('location', new Utf8(), false),
  new Field('raw_text', new Utf8(), false),
  new Field('text', new Utf8(), false),
]);

export type Split = 'train' | 'test';
export const SPLITS: readonly Split[] = ['train', 'test'];
