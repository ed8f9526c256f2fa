/**
 * Per-sample Jacobian of the outputs w.r.t. the flat parameters, built from its structure rather
 * than by autodiff. With Δ_l[(i,o)] = ∂f_o(x_i)/∂z_l (a row vector over layer l's units):
 *   ∂f_o(x_i)/∂W_l = a_l Δ_l[(i,o)] ⊗ h_{l-1}(x_i),   ∂f_o(x_i)/∂b_l = c_l Δ_l[(i,o)],
 *   Δ_L[(i,o)] = e_o,   Δ_{l-1}[(i,o)] = (a_l Δ_l[(i,o)] W_l) ⊙ φ'(z_{l-1}(x_i)).
 * Rows of J are ordered (sample i, output o) → i·K + o; columns follow mlp.params.
 */
import { fail } from '@tangent/base';
import { gemm, type Mat32, type Mat64 } from '@tangent/linalg';
import { multiplyByDerivative } from './activations.ts';
import { forward, type ForwardCache } from './backprop.ts';
import type { Mlp } from './mlp.ts';

/**
 * Δ_l for every layer (index l−1 holds layer l's (N·K) × n_l matrix), back-propagated from
 * one-hot output seeds with gemm.
 */
export function outputDeltas(mlp: Mlp, cache: ForwardCache): Mat32[] {
  const N = cache.H[0].rows;
  const K = mlp.spec.sizes[mlp.spec.sizes.length - 1];
  const nL = mlp.layers.length;
  const deltas: Mat32[] = new Array(nL);
  const seed = new Float32Array(N * K * K);
  for (let i = 0; i < N; i++) for (let o = 0; o < K; o++) seed[(i * K + o) * K + o] = 1;
  deltas[nL - 1] = { rows: N * K, cols: K, data: seed };
  for (let l = nL - 1; l > 0; l--) {
    const L = mlp.layers[l];
    const D = gemm(deltas[l], L.W, { alpha: L.wScale }) as Mat32; // a_l Δ_l W_l
    multiplyByDerivative(mlp.spec.activation, D.data, cache.H[l].data, L.fanIn, K); // ⊙ φ'(z_{l-1})
    deltas[l - 1] = D;
  }
  return deltas;
}

export function jacobian(mlp: Mlp, X: Mat32, opts?: { dtype?: 'float32' }): Mat32;
export function jacobian(mlp: Mlp, X: Mat32, opts: { dtype: 'float64' }): Mat64;
/** J = ∂f(X)/∂θ, (N·K) × P, float32 by default. */
export function jacobian(mlp: Mlp, X: Mat32, opts: { dtype?: 'float32' | 'float64' } = {}): Mat32 | Mat64 {
  const { cache } = forward(mlp, X);
  const N = X.rows,
    K = mlp.spec.sizes[mlp.spec.sizes.length - 1],
    P = mlp.params.length;
  const bytes = N * K * P * (opts.dtype === 'float64' ? 8 : 4);
  if (bytes > 2 ** 31)
    fail(
      `jacobian: ${N * K}×${P} would take ${(bytes / 2 ** 30).toFixed(1)} GiB; use empiricalNtkMlp (no Jacobian materialised) or fewer samples`,
    );
  const J = opts.dtype === 'float64' ? new Float64Array(N * K * P) : new Float32Array(N * K * P);
  const deltas = outputDeltas(mlp, cache);
  mlp.layers.forEach((L, l) => {
    const D = deltas[l].data,
      H = cache.H[l].data,
      a = L.wScale,
      c = L.bScale;
    for (let i = 0; i < N; i++) {
      const h = H.subarray(i * L.fanIn, (i + 1) * L.fanIn);
      for (let o = 0; o < K; o++) {
        const r = i * K + o,
          row = r * P;
        for (let u = 0; u < L.fanOut; u++) {
          const du = a * D[r * L.fanOut + u];
          const base = row + L.wOffset + u * L.fanIn;
          if (du === 0) continue;
          for (let j = 0; j < L.fanIn; j++) J[base + j] = du * h[j];
        }
        if (L.b) for (let u = 0; u < L.fanOut; u++) J[row + L.bOffset + u] = c * D[r * L.fanOut + u];
      }
    }
  });
  return { rows: N * K, cols: P, data: J } as Mat32 | Mat64;
}
