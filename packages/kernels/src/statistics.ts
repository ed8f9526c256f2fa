/**
 * The few statistics the analyses share, each defined once: sample mean, sample standard
 * deviation (n − 1), and the least-squares slope of log y on log x (the power-law exponent of
 * y ∝ x^slope, e.g. ΔΘ ∝ m^−1/2).
 */
export const mean = (a: readonly number[]): number => a.reduce((s, v) => s + v, 0) / a.length;

export function sd(a: readonly number[]): number {
  if (a.length < 2) return 0;
  const m = mean(a);
  return Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / (a.length - 1));
}

/** Least-squares slope of log y on log x over the points where both logs are finite; null when x is degenerate. */
export function loglogSlope(x: readonly number[], y: readonly number[]): number | null {
  const pts = x.map((v, i) => [Math.log(v), Math.log(y[i])]).filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
  if (pts.length < 2) return null;
  const mx = mean(pts.map((p) => p[0])),
    my = mean(pts.map((p) => p[1]));
  let num = 0,
    den = 0;
  for (const [a, b] of pts) {
    num += (a - mx) * (b - my);
    den += (a - mx) ** 2;
  }
  return den > 0 ? num / den : null;
}
