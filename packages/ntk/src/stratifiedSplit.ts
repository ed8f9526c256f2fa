import { Field, Int32, Int8, Utf8, type Table } from 'apache-arrow';
import { buildTable, defineSchema, fail, paths, readArtifact } from '@tangent/arrow-io';
import { rng } from '@tangent/linalg';

/**
 * The evaluation split every later stage shares, plus the CV folds of the rest. Stratified by
 * class: within each class the rows are shuffled with one seeded generator (classes in sorted
 * order), the first round(evalFraction · n_c) become 'eval' and the others are dealt to folds
 * 0..k−1 round-robin, the deal continuing across classes so fold sizes differ by at most one.
 */
export interface SplitAssignment {
  /** 1 = eval, 0 = fit. */
  isEval: Uint8Array;
  /** CV fold 0..k−1 for fit rows, −1 for eval rows. */
  fold: Int8Array;
}

export function stratifiedSplit(target: ArrayLike<number>, opts: { evalFraction: number; folds: number; seed: number }): SplitAssignment {
  const n = target.length;
  const { evalFraction, folds, seed } = opts;
  if (!(evalFraction >= 0 && evalFraction < 1)) fail(`split: evalFraction must be in [0, 1), got ${evalFraction}`);
  if (!Number.isInteger(folds) || folds < 2 || folds > 127) fail(`split: folds must be an integer in [2, 127], got ${folds}`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const t = target[i];
    if (t === null || t === undefined || !Number.isFinite(t)) fail(`split: target of row ${i} is missing; the fit/eval split needs labelled rows`);
    (byClass.get(t) ?? byClass.set(t, []).get(t)!).push(i);
  }
  const r = rng(seed);
  const isEval = new Uint8Array(n);
  const fold = new Int8Array(n).fill(-1);
  let deal = 0;
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = r.shuffle(byClass.get(c)!) as number[];
    const nEval = Math.round(evalFraction * idx.length);
    for (let p = 0; p < idx.length; p++) {
      if (p < nEval) isEval[idx[p]] = 1;
      else fold[idx[p]] = deal++ % folds;
    }
  }
  const fitCount = n - isEval.reduce((s, v) => s + v, 0);
  if (fitCount < folds) fail(`split: only ${fitCount} fit rows for ${folds} folds; lower folds or evalFraction`);
  return { isEval, fold };
}

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
