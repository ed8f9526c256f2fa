import { Field, Int32, Int8, Utf8, type Table } from 'apache-arrow';
import { buildTable, defineSchema, fail, paths, readArtifact } from '@tangent/arrow-io';
import type { SplitAssignment } from '@tangent/kernels';

/** data/ntk/split.arrow: one row per training example. */
export const splitSchema = defineSchema('ntk-split', [
  new Field('id', new Int32(), false),
  new Field('role', new Utf8(), false),
  new Field('fold', new Int8(), false),
]);

export const splitPath = (): string => paths.artifacts('ntk', 'split.arrow');

export function splitTable(ids: Int32Array, a: SplitAssignment): Table {
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

/** Read data/ntk/split.arrow (or `path`), checking roles and folds. */
export function readSplit(path = splitPath()): SplitRows {
  const { table } = readArtifact(path, splitSchema, 'run `tangent ntk` first');
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
