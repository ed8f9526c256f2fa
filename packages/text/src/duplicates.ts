/** Duplicate and label-conflict counts over a column of texts (exact string equality). */
export interface DuplicateStats {
  rows: number;
  /** Distinct texts. */
  unique: number;
  /** Rows whose text already occurred earlier: rows - unique. */
  duplicates: number;
  /** Distinct texts that occur more than once. */
  duplicateGroups: number;
  /** Distinct texts whose labelled rows carry more than one target (0 and 1 for the tweets). */
  conflictingGroups: number;
  /** All rows belonging to those texts. */
  conflictingRows: number;
}

export function duplicateStats(texts: readonly string[], targets?: ReadonlyArray<number | null>): DuplicateStats {
  // A group conflicts once a labelled row disagrees with its first label (any number of classes).
  const groups = new Map<string, { n: number; first: number | null; conflict: boolean }>();
  texts.forEach((t, i) => {
    const g = groups.get(t) ?? { n: 0, first: null, conflict: false };
    g.n++;
    const y = targets?.[i] ?? null;
    if (y !== null) {
      if (g.first === null) g.first = y;
      else if (y !== g.first) g.conflict = true;
    }
    groups.set(t, g);
  });
  let duplicateGroups = 0;
  let conflictingGroups = 0;
  let conflictingRows = 0;
  for (const g of groups.values()) {
    if (g.n > 1) duplicateGroups++;
    if (g.conflict) {
      conflictingGroups++;
      conflictingRows += g.n;
    }
  }
  return {
    rows: texts.length,
    unique: groups.size,
    duplicates: texts.length - groups.size,
    duplicateGroups,
    conflictingGroups,
    conflictingRows,
  };
}
