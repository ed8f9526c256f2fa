import { describe, expect, it } from 'vitest';
import { potrfLowerRef } from './reference.ts';

// The plain-TypeScript Cholesky is the fallback backend and the oracle of the native ones; its failure
// signal (the 1-based index of the first pivot that is not > 0) is what cholesky() turns into
// NotPositiveDefiniteError. Exactly-zero and NaN pivots must fail, not only negative ones.
describe('potrfLowerRef', () => {
  it('factors an SPD matrix: L = [[2, 0], [1, √2]] for [[4, 2], [2, 3]]', () => {
    const a = Float64Array.from([4, 2, 2, 3]);
    expect(potrfLowerRef(2, a)).toBe(0);
    expect(a[0]).toBe(2);
    expect(a[2]).toBe(1);
    expect(a[3]).toBeCloseTo(Math.SQRT2, 15);
  });

  it('reports an exactly-zero pivot (singular PSD matrix) by its index', () => {
    expect(potrfLowerRef(2, Float64Array.from([1, 1, 1, 1]))).toBe(2); // pivot 2: 1 − 1² = 0
    expect(potrfLowerRef(3, Float64Array.from([1, 0, 0, 0, 0, 0, 0, 0, 5]))).toBe(2);
  });

  it('reports a negative pivot and a NaN entry', () => {
    expect(potrfLowerRef(2, Float64Array.from([1, 2, 2, 1]))).toBe(2); // 1 − 4 < 0
    expect(potrfLowerRef(2, Float64Array.from([NaN, 0, 0, 1]))).toBe(1);
    expect(potrfLowerRef(2, Float64Array.from([1, 0, NaN, 1]))).toBe(2);
  });
});
