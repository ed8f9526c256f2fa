/**
 * Paired comparisons of two models scored on the same eval rows, with the seed-to-seed variation
 * of the models included: a two-stage (hierarchical) nonparametric bootstrap (Davison & Hinkley
 * 1997, §3.8, "multi-stage sampling"; Field & Welsh 2007, the randomised-cluster scheme).
 *
 * Data: d[s][i] = (model a's per-row value) − (model b's), for seed s = 1..S and eval row i = 1..n,
 * e.g. 1[a right] − 1[b right], so the statistic
 *     θ = (1/S) Σ_s (1/n) Σ_i d[s][i]
 * is the seed-averaged accuracy difference. One replicate draws S seeds with replacement (the
 * seeds are i.i.d. draws of the training randomness) AND n row indices with replacement (the rows
 * are i.i.d. draws of the population), the SAME row indices for every drawn seed, because every
 * seed is scored on the same rows (resampling rows per seed would break the pairing across seeds):
 *     θ* = (1/S) Σ_s c_s (1/n) Σ_i w_i d[s][i],   c ~ Mult(S; 1/S), w ~ Mult(n; 1/n).
 * With S = 1 it is the ordinary paired bootstrap over rows (conditional on that seed).
 */
import { fail } from '@tangent/base';
import { rng } from '@tangent/linalg';

export interface BootstrapOptions {
  resamples: number;
  seed: number;
  /** Coverage of the percentile interval (default 0.95). */
  level?: number;
}

export interface PairedComparison {
  /** θ: the mean difference over seeds and rows. */
  mean: number;
  /** Percentile interval of θ* at `level`. */
  lo: number;
  hi: number;
  /**
   * Two-sided bootstrap p-value for θ ≠ 0: p = min(1, 2·min(#{θ* ≤ 0} + 1, #{θ* ≥ 0} + 1)/(B + 1)),
   * the smallest 1 − level at which the percentile interval just excludes 0 (Davison & Hinkley
   * 1997, §4.4.1; the +1 counts the observed θ among the replicates, so p > 0).
   */
  p: number;
}

function checkDiff(diff: ArrayLike<number>[]): number {
  if (!diff.length) fail('hierarchicalPairedBootstrap: no seeds');
  const n = diff[0].length;
  if (n === 0) fail('hierarchicalPairedBootstrap: no rows');
  diff.forEach((d, s) => {
    if (d.length !== n)
      fail(`hierarchicalPairedBootstrap: seed ${s} has ${d.length} rows, seed 0 has ${n}; pair them on the same eval rows`);
    for (let i = 0; i < n; i++) if (!Number.isFinite(d[i])) fail(`hierarchicalPairedBootstrap: seed ${s}, row ${i} is ${d[i]}`);
  });
  return n;
}

/** θ*_b for b = 1..B (seeded): the bootstrap distribution hierarchicalPairedBootstrap summarises. */
export function hierarchicalBootstrapReplicates(diff: ArrayLike<number>[], o: { resamples: number; seed: number }): Float64Array {
  const n = checkDiff(diff),
    S = diff.length;
  if (!(Number.isInteger(o.resamples) && o.resamples >= 100))
    fail(`hierarchicalPairedBootstrap: need an integer ≥ 100 resamples, got ${o.resamples}`);
  const r = rng(o.seed);
  const w = new Float64Array(n),
    c = new Float64Array(S),
    out = new Float64Array(o.resamples);
  for (let b = 0; b < o.resamples; b++) {
    w.fill(0);
    c.fill(0);
    for (let s = 0; s < S; s++) c[r.int(S)]++;
    for (let i = 0; i < n; i++) w[r.int(n)]++;
    let t = 0;
    for (let s = 0; s < S; s++) {
      if (!c[s]) continue;
      const d = diff[s];
      let row = 0;
      for (let i = 0; i < n; i++) row += w[i] * d[i];
      t += c[s] * row;
    }
    out[b] = t / (S * n);
  }
  return out;
}

/** The percentile interval and two-sided p-value of θ from its bootstrap replicates. */
export function summariseReplicates(theta: number, reps: Float64Array, level = 0.95): PairedComparison {
  if (!(level > 0 && level < 1)) fail(`bootstrap: level must be in (0, 1), got ${level}`);
  const B = reps.length;
  const sorted = Float64Array.from(reps).sort();
  const q = (p: number) => sorted[Math.min(B - 1, Math.max(0, Math.round(p * (B - 1))))];
  let below = 0,
    above = 0;
  for (const v of reps) {
    if (v <= 0) below++;
    if (v >= 0) above++;
  }
  const p = Math.min(1, (2 * Math.min(below + 1, above + 1)) / (B + 1));
  return { mean: theta, lo: q((1 - level) / 2), hi: q((1 + level) / 2), p };
}

/**
 * The paired difference of two models over eval rows AND seeds (see the header): θ, its
 * percentile interval at `level` (default 95 %) and the two-sided bootstrap p-value for θ ≠ 0.
 * `diff[s][i]`: seed s's paired difference on eval row i (the same rows, in the same order, for
 * every seed).
 */
export function hierarchicalPairedBootstrap(diff: ArrayLike<number>[], opts: BootstrapOptions): PairedComparison {
  const n = checkDiff(diff);
  let t = 0;
  for (const d of diff) for (let i = 0; i < n; i++) t += d[i];
  const theta = t / (diff.length * n);
  return summariseReplicates(theta, hierarchicalBootstrapReplicates(diff, opts), opts.level);
}

/**
 * Holm's step-down adjusted p-values (Holm 1979): with p_(1) ≤ … ≤ p_(m),
 *     p̃_(j) = max_{k ≤ j} min(1, (m − k + 1) p_(k)),
 * in the input order. Rejecting every hypothesis with p̃ ≤ α controls the family-wise error rate
 * at α under any dependence between the tests.
 */
export function holm(p: readonly number[]): number[] {
  const m = p.length;
  p.forEach((v, i) => {
    if (!(v >= 0 && v <= 1)) fail(`holm: p-value ${i} is ${v}; expected a number in [0, 1]`);
  });
  const order = p.map((_, i) => i).sort((a, b) => p[a] - p[b] || a - b);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach((i, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p[i]));
    out[i] = running;
  });
  return out;
}
