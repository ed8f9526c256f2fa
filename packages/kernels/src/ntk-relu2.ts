/**
 * Closed-form NTK of the two-layer ReLU network h = relu(W1 x / sqrt(d)), f = W2 h / sqrt(m),
 * W ~ N(0, 1), no bias, in the infinite-width limit (Jacot et al. 2018; Arora et al. 2019 eq. 9
 * specialised to L = 2). With cos φ = x·z / (|x||z|):
 *
 *   Θ(x, z) = E[∇_θ f(x) · ∇_θ f(z)]
 *           = (1/m) Σ_j h_j(x) h_j(z)                         (W2 part)
 *           + (1/m) Σ_j W2_j² 1[w_j·x > 0] 1[w_j·z > 0] x·z/d  (W1 part)
 *           → |x||z|/(2π d) · [(sin φ + (π − φ) cos φ) + (π − φ) cos φ].
 *
 * The W2 part is the arc-cosine kernel of order 1 of u = w·x/sqrt(d) ~ N(0, |x|²/d); the W1
 * part has E[W2²] = 1 and P(both active) = (π − φ)/(2π). The 1/d is what the 1/sqrt(d) input
 * scaling contributes to the textbook |x||z|/(2π)[…] form; for unit-norm inputs Θ(x, x) = 1/d.
 * This is exact in expectation at every width m, so the empirical NTK's error is O(m^-1/2).
 */
export function ntkRelu2(normX: number, normZ: number, dot: number, d: number): number {
  const r = normX * normZ;
  if (r === 0) return 0;
  let c = dot / r;
  c = c > 1 ? 1 : c < -1 ? -1 : c;
  const piMinusPhi = Math.PI - Math.acos(c);
  return (r / (2 * Math.PI * d)) * (Math.sqrt(1 - c * c) + 2 * piMinusPhi * c);
}

/** Closed-form NNGP of the same network: E[f(x) f(z)] = |x||z|/(2π d) · (sin φ + (π − φ) cos φ). */
export function nngpRelu2(normX: number, normZ: number, dot: number, d: number): number {
  const r = normX * normZ;
  if (r === 0) return 0;
  let c = dot / r;
  c = c > 1 ? 1 : c < -1 ? -1 : c;
  return (r / (2 * Math.PI * d)) * (Math.sqrt(1 - c * c) + (Math.PI - Math.acos(c)) * c);
}
