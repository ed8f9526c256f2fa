import { describe, expect, it } from 'vitest';
import { studentTAbsCdf, studentTTwoSidedP, t975 } from './student-t.ts';

describe("Student's t", () => {
  it('the series CDF puts 95 % inside ±t975 for every tabulated df (an independent source: scipy.stats.t.ppf)', () => {
    for (let df = 1; df <= 30; df++) expect(studentTAbsCdf(t975(df), df), `df ${df}`).toBeCloseTo(0.95, 6);
    for (const df of [40, 60, 120]) expect(studentTAbsCdf(t975(df), df), `df ${df}`).toBeCloseTo(0.95, 4); // Cornish–Fisher quantile
  });
  it('closed forms at df = 1 (Cauchy) and df = 2, and the limits', () => {
    expect(studentTAbsCdf(1, 1)).toBeCloseTo(0.5, 14); // P(|C| ≤ 1) = 2·atan(1)/π
    expect(studentTAbsCdf(3, 2)).toBeCloseTo(3 / Math.sqrt(2 + 9), 14); // A(t | 2) = t/√(2 + t²)
    expect(studentTTwoSidedP(0, 4)).toBe(1);
    expect(studentTTwoSidedP(Infinity, 4)).toBe(0);
    expect(studentTTwoSidedP(-2.776445, 4)).toBeCloseTo(0.05, 6);
    expect(() => studentTAbsCdf(1, 2.5)).toThrow(/integer/);
  });
  it('t975 tends to the normal quantile', () => {
    expect(t975(60)).toBeCloseTo(2.000298, 3);
    expect(t975(1e6)).toBeCloseTo(1.959964, 5);
    expect(t975(0)).toBeNaN();
  });
});
