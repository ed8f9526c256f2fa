import type { DualActivation } from './dual-activation.ts';

/**
 * The error-function activation φ = erf and its dual in closed form (Williams 1997, "Computing
 * with infinite networks", eq. 11; neural-tangents' `stax.Erf` with a = b = 1, c = 0). For
 * (u, v) ~ N(0, [[qx, s], [s, qz]]):
 *   E[erf(u) erf(v)]   = (2/π) · arcsin( 2s / sqrt((1 + 2qx)(1 + 2qz)) )
 *   E[erf'(u) erf'(v)] = (4/π) / sqrt( (1 + 2qx)(1 + 2qz) − 4s² )       (erf'(x) = (2/√π) e^{−x²})
 * The second is the s-derivative of the first, as Price's theorem says it must be; the tests
 * check both against quadrature and a wide network.
 */

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/**
 * erf(x) to ~1e-15: for |x| < 3 the series erf(x) = (2/√π) e^{−x²} Σ_n 2ⁿ x^{2n+1} / (2n+1)!!
 * (Abramowitz & Stegun 7.1.6; every term positive, so no cancellation); beyond, 1 − erfc(x) with
 * erfc from its continued fraction (A&S 7.1.14), evaluated bottom-up; past 6, erfc < 3e-17.
 */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (Number.isNaN(x)) return NaN;
  if (a >= 6) return Math.sign(x);
  let r: number;
  if (a < 3) {
    const x2 = a * a;
    let term = a,
      sum = a;
    for (let n = 1; term > sum * 1e-17; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
    }
    r = TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  } else {
    // erfc(a) = e^{−a²}/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + …))))
    let t = a;
    for (let k = 60; k >= 1; k--) t = a + k / 2 / t;
    r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / t;
  }
  return x < 0 ? -r : r;
}

export const erfDual: DualActivation = {
  name: 'erf',
  phi: erf,
  dphi: (x) => TWO_OVER_SQRT_PI * Math.exp(-x * x),
  dual(qx, qz, s) {
    const c = (2 * s) / Math.sqrt((1 + 2 * qx) * (1 + 2 * qz));
    return (2 / Math.PI) * Math.asin(c > 1 ? 1 : c < -1 ? -1 : c);
  },
  derivativeDual(qx, qz, s) {
    // (1+2qx)(1+2qz) − 4s² ≥ 1 + 2qx + 2qz > 0 by Cauchy–Schwarz (s² ≤ qx qz): never singular
    return 4 / Math.PI / Math.sqrt((1 + 2 * qx) * (1 + 2 * qz) - 4 * s * s);
  },
};
