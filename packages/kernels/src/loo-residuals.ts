import { gemm, mat64, type Mat64 } from '@tangent/linalg';
import { shiftedInverse, spectralRidgeAlphas, type RidgeSpectrum } from './spectral-ridge.ts';

/**
 * Exact leave-one-out residuals of kernel ridge regression without n refits:
 *   r_i = y_i − ŷ_{−i}(x_i) = α_i / [(K + λI)⁻¹]_ii    (Rifkin & Lippert 2007, eq. 5.2; Allen 1974)
 * with [(K + λI)⁻¹]_ii = Σ_j V_ij² / (s_j + λ) from one eigendecomposition; every λ of the grid
 * costs O(n²). Returns an n × |λ| matrix (column c ↔ lambdas[c]); with T targets (a target
 * matrix in `spec`) n × (|λ|·T), column c·T + t ↔ (lambdas[c], target t): the diagonal is shared.
 */
export function looResiduals(spec: RidgeSpectrum, lambdas: ArrayLike<number>, blockRows = 256): Mat64 {
  const n = spec.values.length,
    m = lambdas.length,
    T = spec.targets;
  const alphas = spectralRidgeAlphas(spec, lambdas, 'leave-one-out');
  const inv = shiftedInverse(spec.values, lambdas, 'leave-one-out');
  const out = mat64(n, m * T);
  const V = spec.vectors.data;
  // diag[(K + λI)⁻¹] = (V∘V) · inv, with V∘V formed one row block at a time (O(block·n) scratch).
  const sq = new Float64Array(Math.min(blockRows, n) * n);
  for (let r0 = 0; r0 < n; r0 += blockRows) {
    const r1 = Math.min(n, r0 + blockRows);
    const len = (r1 - r0) * n;
    for (let k = 0, o = r0 * n; k < len; k++, o++) sq[k] = V[o] * V[o];
    const D = gemm({ rows: r1 - r0, cols: n, data: sq.subarray(0, len) }, inv);
    for (let i = r0; i < r1; i++)
      for (let c = 0; c < m; c++)
        for (let t = 0, o = (i * m + c) * T; t < T; t++, o++) out.data[o] = alphas.data[o] / D.data[(i - r0) * m + c];
  }
  return out;
}
