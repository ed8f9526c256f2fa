/**
 * Arc-cosine kernels of ReLU (Cho & Saul 2009, eq. 6 with n = 0, 1), in the form the NTK
 * recursion needs. For (u, v) ~ N(0, [[qx, k], [k, qz]]) with c = k / sqrt(qx qz) = cos φ:
 *   E[relu(u) relu(v)]   = sqrt(qx qz) · κ1(c) / 2,   κ1(c) = (sin φ + (π − φ) cos φ) / π
 *   E[relu'(u) relu'(v)] = κ0(c) / 2,                 κ0(c) = (π − φ) / π
 * The 1/2 is kept outside κ so that κ0(1) = κ1(1) = 1 (the usual normalisation).
 */

/** κ0(c) = (π − arccos c)/π — Cho & Saul (2009) eq. 6, n = 0. */
export function arcCos0(c: number): number {
  const cc = c > 1 ? 1 : c < -1 ? -1 : c;
  return (Math.PI - Math.acos(cc)) / Math.PI;
}

/** κ1(c) = (sqrt(1 − c²) + (π − arccos c)·c)/π — Cho & Saul (2009) eq. 6, n = 1. */
export function arcCos1(c: number): number {
  const cc = c > 1 ? 1 : c < -1 ? -1 : c;
  return (Math.sqrt(1 - cc * cc) + (Math.PI - Math.acos(cc)) * cc) / Math.PI;
}
