/**
 * The grid's vocabulary: how the manifest's grid (embedders × d × widths × seeds × lrs, plus
 * the regimes) names the points the stage nodes (nodes/*.ts) make instances of.
 */
import type { Grid, Regime } from './manifest.ts';

/** `use-lite-d128`: one (embedder, d) input of the kernel and network stages. */
export const inputKey = (embedder: string, d: number): string => `${embedder}-d${d}`;

/** `w4096-s0-lr1`: one training run. */
export const runKey = (p: { width: number; seed: number; lr: number }): string => `w${p.width}-s${p.seed}-lr${p.lr}`;

export const uniqueSorted = (xs: readonly number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);

/** The learning rates run at one width: the main list plus the sweep's extras there, ascending. */
export function lrsAt(grid: Grid, width: number): number[] {
  const lrs = new Set(grid.lrs);
  if (grid.lrSweep.widths.includes(width)) for (const l of grid.lrSweep.lrs) lrs.add(l);
  return [...lrs].sort((a, b) => a - b);
}

/** Every training run of one (embedder, d) input, widths ascending, then lr, then seed. */
export function runPoints(grid: Grid, d?: number): Array<{ width: number; seed: number; lr: number }> {
  const out: Array<{ width: number; seed: number; lr: number }> = [];
  const sw = grid.lrSweep;
  // a rate only the sweep adds runs at the sweep's seeds and d (each when given)
  const swept = (lr: number, seed: number) =>
    !grid.lrs.includes(lr) && ((sw.seeds && !sw.seeds.includes(seed)) || (d !== undefined && sw.d && !sw.d.includes(d)));
  for (const width of uniqueSorted(grid.widths))
    for (const lr of lrsAt(grid, width)) for (const seed of grid.seeds) if (!swept(lr, seed)) out.push({ width, seed, lr });
  return out;
}

/** The runs of one regime: its widths × lrs × seeds, the grid's where it names none (lr: the grid's main rate). */
export function regimeRunPoints(grid: Grid, regime: Regime): Array<{ width: number; seed: number; lr: number }> {
  const out: Array<{ width: number; seed: number; lr: number }> = [];
  for (const width of uniqueSorted(regime.widths ?? grid.widths))
    for (const lr of uniqueSorted(regime.lrs ?? [grid.lrs[0]]))
      for (const seed of regime.seeds ?? grid.seeds) out.push({ width, seed, lr });
  return out;
}
