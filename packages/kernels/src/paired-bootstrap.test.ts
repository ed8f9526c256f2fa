import { describe, expect, it } from 'vitest';
import { rng } from '@tangent/linalg';
import { hierarchicalBootstrapReplicates, hierarchicalPairedBootstrap, holm } from './paired-bootstrap.ts';

/**
 * The exact two-stage bootstrap distribution by exhaustive enumeration: every ordered draw of S
 * seeds (S^S) times every ordered draw of n rows (n^n), equally likely. `sharedRows: false`
 * enumerates the wrong scheme (independent rows per drawn seed), to show the test can tell them apart.
 */
function exactDistribution(diff: number[][], sharedRows = true): number[] {
  const S = diff.length,
    n = diff[0].length;
  const tuples = (k: number, len: number): number[][] =>
    len === 0 ? [[]] : tuples(k, len - 1).flatMap((t) => Array.from({ length: k }, (_, v) => [...t, v]));
  const seedDraws = tuples(S, S),
    rowDraws = tuples(n, n);
  const rowMean = (s: number, rows: number[]) => rows.reduce((a, i) => a + diff[s][i], 0) / n;
  const out: number[] = [];
  for (const seeds of seedDraws) {
    if (sharedRows) for (const rows of rowDraws) out.push(seeds.reduce((a, s) => a + rowMean(s, rows), 0) / S);
    else {
      // each drawn seed its own rows: the distribution of the mean of S independent row means
      let acc = [0];
      for (const s of seeds) acc = acc.flatMap((a) => rowDraws.map((rows) => a + rowMean(s, rows) / S));
      out.push(...acc);
    }
  }
  return out;
}

/** Kolmogorov distance between two empirical distributions. */
function ks(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const xs = [...new Set([...Array.from(a), ...Array.from(b)])].sort((x, y) => x - y);
  const cdf = (v: ArrayLike<number>, x: number) => Array.from(v).filter((t) => t <= x + 1e-12).length / v.length;
  return Math.max(...xs.map((x) => Math.abs(cdf(a, x) - cdf(b, x))));
}

describe('hierarchical paired bootstrap over seeds and eval rows', () => {
  // two seeds, three rows: seed 0 is right where seed 1 is wrong, on different rows
  const diff = [
    [1, 0, -1],
    [1, 1, 0],
  ];

  it('its replicates follow the exact two-stage distribution (exhaustive enumeration), not per-seed rows', () => {
    const exact = exactDistribution(diff);
    expect(exact).toHaveLength(4 * 27);
    const reps = hierarchicalBootstrapReplicates(diff, { resamples: 40000, seed: 3 });
    expect(ks(reps, exact)).toBeLessThan(0.012);
    // the wrong scheme is far from it: the test above could fail
    expect(ks(exactDistribution(diff, false), exact)).toBeGreaterThan(0.05);
    expect(ks(reps, exactDistribution(diff, false))).toBeGreaterThan(0.04);
  });

  it('mean, percentile interval and p-value agree with the exact distribution', () => {
    const exact = exactDistribution(diff).sort((a, b) => a - b);
    const b = hierarchicalPairedBootstrap(diff, { resamples: 40000, seed: 5, level: 0.9 });
    expect(b.mean).toBeCloseTo(1 / 3, 14);
    // the exact 5 % and 95 % quantiles; the estimate lands on a neighbouring atom at most
    const atoms = [...new Set(exact)];
    const near = (v: number, q: number) => {
      const e = exact[Math.round(q * (exact.length - 1))];
      return Math.abs(atoms.indexOf(v) - atoms.indexOf(e));
    };
    expect(near(b.lo, 0.05)).toBeLessThanOrEqual(1);
    expect(near(b.hi, 0.95)).toBeLessThanOrEqual(1);
    const below = exact.filter((v) => v <= 0).length / exact.length;
    const above = exact.filter((v) => v >= 0).length / exact.length;
    expect(b.p).toBeCloseTo(Math.min(1, 2 * Math.min(below, above)), 2);
  });

  it('a per-seed effect with no row noise: seeds make the interval (a rows-only bootstrap would give zero width)', () => {
    // d[s][i] = μ_s for every row: θ* = mean of S resampled μ's; var = σ²_μ (1 − 1/S)/S exactly
    const mu = [0.1, -0.05, 0.2, 0.0, 0.15];
    const d = mu.map((m) => new Float64Array(40).fill(m));
    const reps = hierarchicalBootstrapReplicates(d, { resamples: 20000, seed: 1 });
    const m = mu.reduce((a, v) => a + v, 0) / 5;
    const popVar = mu.reduce((a, v) => a + (v - m) ** 2, 0) / 5;
    const rm = reps.reduce((a, v) => a + v, 0) / reps.length;
    const rv = reps.reduce((a, v) => a + (v - rm) ** 2, 0) / reps.length;
    expect(rm).toBeCloseTo(m, 3);
    expect(rv / (popVar / 5)).toBeGreaterThan(0.95);
    expect(rv / (popVar / 5)).toBeLessThan(1.05);
    const one = hierarchicalPairedBootstrap([d[0]], { resamples: 500, seed: 1 });
    expect(one.lo).toBeCloseTo(0.1, 14);
    expect(one.hi).toBeCloseTo(0.1, 14);
  });

  it('with one seed it is the paired bootstrap over rows: the normal-theory interval mean ± 1.96 sd/√n for many rows', () => {
    // d ∈ {−1, 0, +1} with probabilities 0.1, 0.7, 0.2: mean 0.1, variance 0.3 − 0.01 = 0.29
    const n = 4000,
      d = Float64Array.from({ length: n }, (_, i) => (i % 10 === 0 ? -1 : i % 10 < 3 ? 1 : 0));
    const b = hierarchicalPairedBootstrap([d], { resamples: 4000, seed: 7 });
    expect(b.mean).toBeCloseTo(0.1, 12);
    const half = (1.96 * Math.sqrt(0.29)) / Math.sqrt(n); // 0.0167
    expect((b.hi - b.lo) / 2).toBeGreaterThan(0.9 * half);
    expect((b.hi - b.lo) / 2).toBeLessThan(1.1 * half);
    expect((b.lo + b.hi) / 2).toBeCloseTo(0.1, 2);
    expect(b.p).toBeLessThan(0.001); // z = 0.1/0.0085 ≈ 12
  });

  it('p-values: all-zero differences give 1, a constant positive one (2/(B+1)), and it is seeded', () => {
    expect(hierarchicalPairedBootstrap([new Float64Array(10)], { resamples: 999, seed: 0 }).p).toBe(1);
    const pos = hierarchicalPairedBootstrap([new Float64Array(10).fill(0.5), new Float64Array(10).fill(0.25)], { resamples: 999, seed: 0 });
    expect(pos.p).toBeCloseTo(2 / 1000, 15);
    expect(pos.mean).toBe(0.375);
    const r = rng(9);
    const d = [0, 1, 2].map(() => Float64Array.from({ length: 30 }, () => r.int(3) - 1));
    expect(hierarchicalPairedBootstrap(d, { resamples: 300, seed: 4 })).toEqual(
      hierarchicalPairedBootstrap(d, { resamples: 300, seed: 4 }),
    );
  });

  it('refuses unpaired or non-finite input', () => {
    expect(() => hierarchicalPairedBootstrap([[1, 2], [1]], { resamples: 100, seed: 0 })).toThrowError(/seed 1 has 1 rows/);
    expect(() => hierarchicalPairedBootstrap([[1, NaN]], { resamples: 100, seed: 0 })).toThrowError(/row 1 is NaN/);
    expect(() => hierarchicalPairedBootstrap([], { resamples: 100, seed: 0 })).toThrowError(/no seeds/);
  });
});

describe('Holm step-down adjustment', () => {
  it('a hand-computed example', () => {
    // sorted: 0.005 ×4 = 0.02, 0.01 ×3 = 0.03, 0.03 ×2 = 0.06, 0.04 ×1 = 0.04 → running max 0.06
    const a = holm([0.01, 0.04, 0.03, 0.005]);
    [0.03, 0.06, 0.06, 0.02].forEach((v, i) => expect(a[i]).toBeCloseTo(v, 15));
    expect(holm([0.5, 0.6])).toEqual([1, 1]);
    expect(holm([0.2])).toEqual([0.2]);
    expect(holm([])).toEqual([]);
  });

  it('rejects exactly what the sequential step-down procedure rejects, at every α (random p-values)', () => {
    const r = rng(11);
    for (let trial = 0; trial < 200; trial++) {
      const m = 1 + r.int(8);
      const p = Array.from({ length: m }, () => (r.uniform() < 0.3 ? r.uniform() * 0.01 : r.uniform()));
      const adj = holm(p);
      for (const alpha of [0.01, 0.05, 0.1, 0.3]) {
        // the procedure as Holm states it: walk up the sorted p's, stop at the first p_(k) > α/(m − k + 1)
        const order = p.map((_, i) => i).sort((a, b) => p[a] - p[b]);
        const rejected = new Set<number>();
        for (let k = 0; k < m && p[order[k]] <= alpha / (m - k); k++) rejected.add(order[k]);
        p.forEach((_, i) => expect(adj[i] <= alpha).toBe(rejected.has(i)));
      }
      p.forEach((v, i) => expect(adj[i]).toBeGreaterThanOrEqual(v));
    }
  });

  it('refuses a value that is not a probability', () => {
    expect(() => holm([0.1, 1.5])).toThrowError(/p-value 1 is 1\.5/);
  });
});
