import { describe, expect, it } from 'vitest';
import { rng } from './random.ts';

describe('rng', () => {
  it('is reproducible from its seed and differs across seeds', () => {
    const a = rng(42),
      b = rng(42),
      c = rng(43);
    const xa = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(xa);
    expect(Array.from({ length: 5 }, () => c.uniform())).not.toEqual(xa);
  });

  it('draws normals with mean 0 and variance 1 (moments within 4 standard errors)', () => {
    const r = rng(1);
    const n = 200_000;
    const x = r.fillNormal(new Float64Array(n));
    const mean = x.reduce((s, v) => s + v, 0) / n;
    const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    const kurt = x.reduce((s, v) => s + (v - mean) ** 4, 0) / n / variance ** 2;
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
    expect(Math.abs(kurt - 3)).toBeLessThan(4 * Math.sqrt(24 / n));
  });

  it('uniform integers cover the range evenly (chi-square)', () => {
    const r = rng(7);
    const k = 10,
      n = 100_000;
    const counts = new Array(k).fill(0);
    for (let i = 0; i < n; i++) counts[r.int(k)]++;
    const chi2 = counts.reduce((s, c) => s + (c - n / k) ** 2 / (n / k), 0);
    expect(chi2).toBeLessThan(27.9); // p = 0.001 for 9 degrees of freedom
  });

  it('permutation contains each index once', () => {
    const p = rng(3).permutation(1000);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
});
