import { describe, expect, it } from 'vitest';
import { arcCos0, arcCos1 } from './arc-cosine.ts';

/**
 * Independent oracle: for (u, v) standard normal with correlation c = cos φ, write u = r cos θ, v = r cos(θ − φ)
 * (r, θ the polar coordinates of a standard 2-D Gaussian: θ uniform on [0, 2π), E r² = 2). Then
 *   κ0(c) = 2 P(u > 0, v > 0) = 2 · |{θ : both cosines > 0}| / (2π)
 *   κ1(c) = 2 E[relu(u) relu(v)] = 2 · E[r²] / (2π) · ∫_{both > 0} cos θ cos(θ − φ) dθ
 * integrated here by the midpoint rule over θ (no closed form involved).
 */
function oracle(c: number, n = 200_000): { k0: number; k1: number } {
  const phi = Math.acos(c);
  let active = 0,
    integral = 0;
  const h = (2 * Math.PI) / n;
  for (let i = 0; i < n; i++) {
    const t = (i + 0.5) * h;
    const a = Math.cos(t),
      b = Math.cos(t - phi);
    if (a > 0 && b > 0) {
      active += h;
      integral += a * b * h;
    }
  }
  return { k0: (2 * active) / (2 * Math.PI), k1: (2 * 2 * integral) / (2 * Math.PI) };
}

describe('arc-cosine kernels κ0, κ1', () => {
  it('match a numerical integral over the angle of a 2-D Gaussian', () => {
    for (const c of [-0.95, -0.5, -0.1, 0, 0.3, 0.7, 0.99]) {
      const o = oracle(c);
      expect(arcCos0(c)).toBeCloseTo(o.k0, 4);
      expect(arcCos1(c)).toBeCloseTo(o.k1, 4);
    }
  });

  it('take their textbook values at c = −1, 0, 1', () => {
    expect(arcCos0(1)).toBe(1);
    expect(arcCos0(0)).toBeCloseTo(0.5, 15);
    expect(arcCos0(-1)).toBe(0);
    expect(arcCos1(1)).toBe(1);
    expect(arcCos1(0)).toBeCloseTo(1 / Math.PI, 15);
    expect(arcCos1(-1)).toBeCloseTo(0, 15);
  });

  it('clamp c to [−1, 1]: round-off past ±1 (a dot product of a unit row with itself) stays finite', () => {
    for (const c of [1 + 1e-12, 1 + 4e-16, 1.5]) {
      expect(arcCos0(c)).toBe(1);
      expect(arcCos1(c)).toBe(1);
    }
    for (const c of [-1 - 1e-12, -1.5]) {
      expect(arcCos0(c)).toBe(0);
      expect(arcCos1(c)).toBeCloseTo(0, 15);
    }
  });
});
