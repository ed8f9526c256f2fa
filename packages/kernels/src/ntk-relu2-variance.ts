/**
 * The finite-width fluctuation of the two-layer ReLU NTK at initialisation, in closed form: the
 * constant C in E‖Θ̂₀ − Θ‖²_F / ‖Θ‖²_F = C²/m, computable from the data alone.
 *
 * Network and scaling as in ntk-relu2.ts (NTK parameterisation, no bias): h = relu(W1 x/√d),
 * f = W2 h/√m, W ~ N(0, 1). The empirical NTK at initialisation is a mean over the m neurons,
 *
 *   Θ̂₀(x, z) = (1/m) Σ_k τ_k(x, z),   τ(x, z) = (x·z/d) w2² 1[u > 0] 1[v > 0] + relu(u) relu(v),
 *
 * with u = w·x/√d, v = w·z/√d, w ~ N(0, I_d), w2 ~ N(0, 1) independent, and the τ_k i.i.d. over k.
 * (u, v) ~ N(0, [[a², ab cos φ], [ab cos φ, b²]]) with a = |x|/√d, b = |z|/√d. The arc-cosine
 * moments (Cho & Saul 2009, eq. 6; J_n as in their eq. 7):
 *
 *   E[relu(u)ⁿ relu(v)ⁿ] = (ab)ⁿ J_n(φ)/(2π),   J0 = π − φ,   J1 = sin φ + (π − φ) cos φ,
 *                                               J2 = 3 sin φ cos φ + (π − φ)(1 + 2 cos² φ),
 *
 * and E w2² = 1, E w2⁴ = 3 give, with s = x·z/d (note 1[u>0] relu(u) = relu(u)):
 *
 *   E τ   = s J0/(2π) + ab J1/(2π) = Θ(x, z)                                    (ntk-relu2.ts)
 *   E τ²  = 3 s² J0/(2π) + 2 s ab J1/(2π) + (ab)² J2/(2π)                        (eq. V1)
 *   Var τ = E τ² − Θ².
 *
 * A network with K outputs (f = W2 h/√m, W2 ∈ ℝ^{K×m}) tracked by the trace over outputs,
 * Θ̂_tr = (1/K) Σ_k Θ̂_kk, has the same τ with w2² replaced by w̄² = (1/K) Σ_k W2[k]²: still
 * E w̄² = 1, but w̄² ~ χ²_K/K has E w̄⁴ = 1 + 2/K, so the 3 of eq. V1 becomes 1 + 2/K (3 at K = 1).
 *
 * Because the τ_k are i.i.d. with mean Θ, E‖Θ̂₀ − Θ‖²_F = (1/m) Σ_ij Var τ(x_i, x_j) EXACTLY at every
 * width m (no large-m limit), so the relative Frobenius error err = ‖Θ̂₀ − Θ‖_F/‖Θ‖_F on a fixed set
 * of rows has
 *
 *   E[m · err²] = Σ_ij Var τ(x_i, x_j) / Σ_ij Θ(x_i, x_j)² =: C²                   (eq. V2)
 *
 * C is the root-mean-square of err·√m over initialisations: the "err·√m" constant of the
 * m^−1/2 law, predicted from the rows' norms and cosines without training anything.
 */
import { gemm, type Mat64, type Matrix } from '@tangent/linalg';
import { fail } from '@tangent/base';

/** J2(φ) of Cho & Saul (2009), eq. 7 with n = 2, as a function of c = cos φ. */
export function arcCosJ2(c: number): number {
  const cc = c > 1 ? 1 : c < -1 ? -1 : c;
  return 3 * Math.sqrt(1 - cc * cc) * cc + (Math.PI - Math.acos(cc)) * (1 + 2 * cc * cc);
}

/**
 * Mean (= Θ(x, z)) and variance of one neuron's term τ(x, z) of the two-layer ReLU NTK (eq. V1),
 * of the trace over `outputs` = K readouts (1: the one-output network).
 */
export function ntkRelu2NeuronMoments(
  normX: number,
  normZ: number,
  dot: number,
  d: number,
  outputs = 1,
): { mean: number; variance: number } {
  const ab = (normX * normZ) / d;
  if (ab === 0) return { mean: 0, variance: 0 };
  const s = dot / d;
  let c = s / ab;
  c = c > 1 ? 1 : c < -1 ? -1 : c;
  const piMinusPhi = Math.PI - Math.acos(c);
  const j0 = piMinusPhi,
    j1 = Math.sqrt(1 - c * c) + piMinusPhi * c;
  const twoPi = 2 * Math.PI;
  const mean = (s * j0 + ab * j1) / twoPi;
  const w4 = 1 + 2 / outputs; // E w̄⁴ of χ²_K/K; exactly 3 for one output
  const second = (w4 * s * s * j0 + 2 * s * ab * j1 + ab * ab * arcCosJ2(c)) / twoPi;
  // E τ² ≥ (E τ)² analytically; clamp the rounding at φ → 0 of a degenerate pair
  return { mean, variance: Math.max(0, second - mean * mean) };
}

export interface InitErrorConstant {
  /** Σ_ij Var τ(x_i, x_j) = m · E‖Θ̂₀ − Θ‖²_F. */
  varianceSum: number;
  /** Σ_ij Θ(x_i, x_j)² = ‖Θ‖²_F. */
  thetaSquaredSum: number;
  /** C = √(varianceSum / thetaSquaredSum): the RMS over initialisations of err·√m (eq. V2). */
  constant: number;
}

/**
 * C of eq. V2 on the rows of X (n × d, as fed to the network: the same 1/√d scaling), summed over
 * every ordered pair (i, j) as the Frobenius norms do, for the trace over `outputs` readouts.
 * O(n² d) for the inner products, O(n²) pairs.
 */
export function ntkRelu2InitErrorConstant(X: Matrix, outputs = 1): InitErrorConstant {
  const n = X.rows,
    d = X.cols;
  if (n < 1 || d < 1) fail(`ntkRelu2InitErrorConstant: needs at least one row and column, got ${n}×${d}`);
  const X64: Mat64 = X.data instanceof Float64Array ? (X as Mat64) : { rows: n, cols: d, data: Float64Array.from(X.data) };
  for (let i = 0; i < X64.data.length; i++)
    if (!Number.isFinite(X64.data[i])) fail(`ntkRelu2InitErrorConstant: row ${Math.floor(i / d)} has a non-finite entry`);
  const G = gemm(X64, X64, { transB: true }).data; // x_i·x_j
  const norm = Float64Array.from({ length: n }, (_, i) => Math.sqrt(Math.max(0, G[i * n + i])));
  let varianceSum = 0,
    thetaSquaredSum = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      // the diagonal's cosine is exactly 1 (norm² may round 1 ulp away from G_ii, and arccos amplifies it)
      const { mean, variance } = ntkRelu2NeuronMoments(norm[i], norm[j], i === j ? norm[i] * norm[i] : G[i * n + j], d, outputs);
      const w = i === j ? 1 : 2; // the off-diagonal pair appears twice in the Frobenius sums
      varianceSum += w * variance;
      thetaSquaredSum += w * mean * mean;
    }
  if (!(thetaSquaredSum > 0)) fail('ntkRelu2InitErrorConstant: the NTK of these rows is zero (all rows are zero)');
  return { varianceSum, thetaSquaredSum, constant: Math.sqrt(varianceSum / thetaSquaredSum) };
}
