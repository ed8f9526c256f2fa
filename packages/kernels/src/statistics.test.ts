import { describe, expect, it } from 'vitest';
import { loglogSlope, mean, sd } from './statistics.ts';

describe('mean and sd', () => {
  it('are the sample mean and the n − 1 standard deviation', () => {
    expect(mean([1, 2, 6])).toBe(3);
    expect(sd([1, 2, 6])).toBeCloseTo(Math.sqrt(7), 15); // ((−2)² + (−1)² + 3²)/2 = 7
    expect(sd([4])).toBe(0);
  });
});

describe('loglogSlope', () => {
  it('recovers the exponent of a power law exactly', () => {
    const x = [2, 8, 32, 128];
    expect(
      loglogSlope(
        x,
        x.map((v) => 5 * v ** -0.5),
      ),
    ).toBeCloseTo(-0.5, 12);
    expect(
      loglogSlope(
        x,
        x.map((v) => 0.1 * v ** 1.25),
      ),
    ).toBeCloseTo(1.25, 12);
  });
  it('ignores non-positive points and needs two', () => {
    expect(loglogSlope([1, 10, 100], [1, 0, 0.01])).toBeCloseTo(-1, 12);
    expect(loglogSlope([1], [1])).toBeNull();
  });
});
