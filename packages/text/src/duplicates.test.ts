import { paths } from '@tangent/arrow-io';
import { describe, expect, it } from 'vitest';
import { findKaggleFile, loadKaggleCsv } from './csv.ts';
import { duplicateStats } from './duplicates.ts';

/** O(n²) reference: for each row, compare with every earlier/other row directly. */
function bruteForce(texts: string[], targets: Array<number | null>) {
  let duplicates = 0;
  const firstIdx: number[] = [];
  for (let i = 0; i < texts.length; i++) {
    let first = i;
    for (let j = 0; j < i; j++)
      if (texts[j] === texts[i]) {
        first = j;
        break;
      }
    if (first !== i) duplicates++;
    else firstIdx.push(i);
  }
  let duplicateGroups = 0;
  let conflictingGroups = 0;
  let conflictingRows = 0;
  for (const i of firstIdx) {
    const members = texts.flatMap((t, k) => (t === texts[i] ? [k] : []));
    if (members.length > 1) duplicateGroups++;
    const ys = new Set(members.map((k) => targets[k]).filter((y) => y !== null));
    if (ys.size >= 2) {
      conflictingGroups++;
      conflictingRows += members.length;
    }
  }
  return { rows: texts.length, unique: firstIdx.length, duplicates, duplicateGroups, conflictingGroups, conflictingRows };
}

describe('duplicateStats', () => {
  it('counts a small hand-made case', () => {
    expect(duplicateStats(['a', 'b', 'a', 'a', 'c', 'c'], [0, 1, 1, 0, 1, 1])).toEqual({
      rows: 6,
      unique: 3,
      duplicates: 3,
      duplicateGroups: 2,
      conflictingGroups: 1,
      conflictingRows: 3,
    });
    expect(duplicateStats(['x', 'x'], [null, null]).conflictingGroups).toBe(0);
  });

  it('counts conflicts among more than two classes, ignoring unlabelled rows', () => {
    const texts = ['a', 'a', 'b', 'b', 'b', 'c', 'c', 'd', 'd'];
    const targets = [2, 2, 0, null, 3, 1, null, 4, 5];
    expect(duplicateStats(texts, targets)).toEqual({
      rows: 9,
      unique: 4,
      duplicates: 5,
      duplicateGroups: 4,
      conflictingGroups: 2,
      conflictingRows: 5,
    });
    expect(duplicateStats(texts, targets)).toEqual(bruteForce(texts, targets));
  });

  it('matches the brute-force count and the known facts on the raw training texts', () => {
    const { rows } = loadKaggleCsv(findKaggleFile(paths.rawData(), 'train.csv'));
    // Brute force on the rows that have any duplicate keeps the O(n²) reference fast.
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(r.text, (counts.get(r.text) ?? 0) + 1);
    const dupRows = rows.filter((r) => counts.get(r.text)! > 1);
    const texts = dupRows.map((r) => r.text);
    const targets = dupRows.map((r) => r.target);
    const fast = duplicateStats(texts, targets);
    expect(fast).toEqual(bruteForce(texts, targets));
    const all = duplicateStats(
      rows.map((r) => r.text),
      rows.map((r) => r.target),
    );
    expect(all.duplicates).toBe(fast.duplicates);
    // Known facts about Kaggle's train.csv: 18 texts carry both labels, on 55 rows.
    expect(all.conflictingGroups).toBe(18);
    expect(all.conflictingRows).toBe(55);
  });
});
