import { Field, Int32, Int8, Utf8, type Table } from 'apache-arrow';
import { buildTable, defineSchema, readArtifact } from '@tangent/arrow-io';
import { fail } from '@tangent/base';

/**
 * data/ntk/<input>/split.arrow, the fit/eval split every later stage shares: one row per training
 * example, role 'fit' (with its CV fold 0..k−1) or 'eval' (fold −1).
 */
export const splitSchema = defineSchema('ntk-split', [
  new Field('id', new Int32(), false),
  new Field('role', new Utf8(), false),
  new Field('fold', new Int8(), false),
]);

export function splitTable(ids: Int32Array, a: { isEval: Uint8Array; fold: Int8Array }): Table {
  return buildTable(splitSchema, {
    id: ids,
    role: Array.from(a.isEval, (e) => (e ? 'eval' : 'fit')),
    fold: a.fold,
  });
}

export interface SplitRows {
  ids: Int32Array;
  role: Array<'fit' | 'eval'>;
  fold: Int8Array;
  /** id → row of the split file. */
  index: Map<number, number>;
}

/** The split's columns, checked: roles, folds, unique ids. */
export function splitRows(table: Table, path: string): SplitRows {
  const ids = Int32Array.from(table.getChild('id')!.toArray() as Int32Array);
  const roleCol = table.getChild('role')!;
  const fold = Int8Array.from(table.getChild('fold')!.toArray() as Int8Array);
  const role: Array<'fit' | 'eval'> = [];
  const index = new Map<number, number>();
  for (let i = 0; i < ids.length; i++) {
    const r = roleCol.get(i) as string;
    if (r !== 'fit' && r !== 'eval') fail(`${path}: row ${i} has role '${r}', expected 'fit' or 'eval'`);
    if ((r === 'eval') !== (fold[i] === -1)) fail(`${path}: row ${i} (${r}) has fold ${fold[i]}; eval rows carry −1, fit rows 0..k−1`);
    if (index.has(ids[i])) fail(`${path}: id ${ids[i]} appears twice`);
    role.push(r);
    index.set(ids[i], i);
  }
  return { ids, role, fold, index };
}

/** Read a split file on its own (outside a stage, e.g. in a notebook or test). */
export function readSplit(path: string): SplitRows {
  return splitRows(readArtifact(path, splitSchema, 'run `tangent ntk` first').table, path);
}
