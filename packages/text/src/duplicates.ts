/** Duplicate and label-conflict counts over a column of texts (exact string equality). */
export interface DuplicateStats {
  rows: number;
  /** Distinct texts. */
  unique: number;
  /** Rows whose text already occurred earlier: rows - unique. */
  duplicates: number;
  /** Distinct texts that occur more than once. */
  duplicateGroups: number;
  /** Distinct texts whose rows carry both target 0 and target 1. */
  conflictingGroups: number;
  /** All rows belonging to those texts. */
  conflictingRows: number;
}

export function duplicateStats(texts: readonly string[], targets?: ReadonlyArray<number | null>): DuplicateStats {
  const groups = new Map<string, { n: number; labels: number }>();
  texts.forEach((t, i) => {
    const g = groups.get(t) ?? { n: 0, labels: 0 };
    g.n++;
    const y = targets?.[i];
    if (y === 0) g.labels |= 1;
    else if (y === 1) g.labels |= 2;
    groups.set(t, g);
  });
  let duplicateGroups = 0;
  let conflictingGroups = 0;
  let conflictingRows = 0;
  for (const g of groups.values()) {
    if (g.n > 1) duplicateGroups++;
    if (g.labels === 3) {
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
