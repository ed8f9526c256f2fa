/**
 * Forward-mode product J v for an Mlp: the directional derivative of the outputs at θ along a
 * parameter direction v (laid out like θ), F'(θ)[v] = d/dε F(θ + ε v)|₀, on the rows of a forward
 * cache. Tangent recursion of backprop.ts's forward pass (dH_0 = 0):
 *   dZ_l = a_l (dH_{l-1} W_lᵀ + H_{l-1} dW_lᵀ) + c_l 1 db_lᵀ,   dH_l = φ'(Z_l) ⊙ dZ_l,   J v = dZ_L.
 * Two GEMMs per layer (about twice a forward pass); with `backward` (Jᵀ u) it gives the empirical
 * NTK product Θ u = J (Jᵀ u) without ever forming J or Θ.
 */
import { fail } from '@tangent/base';
import { gemm, type Mat32 } from '@tangent/linalg';
import { multiplyByDerivative } from './activations.ts';
import type { ForwardCache } from './backprop.ts';
import type { Mlp } from './mlp.ts';

export function jvp(mlp: Mlp, cache: ForwardCache, v: Float32Array): Mat32 {
  if (v.length !== mlp.params.length) fail(`jvp: direction has ${v.length} entries, the network has ${mlp.params.length} parameters`);
  const { H } = cache;
  const N = H[0].rows;
  let dH: Mat32 | null = null;
  const last = mlp.layers.length - 1;
  let dZ: Mat32 = { rows: N, cols: 0, data: new Float32Array(0) };
  for (let l = 0; l <= last; l++) {
    const L = mlp.layers[l];
    const dW: Mat32 = { rows: L.fanOut, cols: L.fanIn, data: v.subarray(L.wOffset, L.wOffset + L.fanIn * L.fanOut) };
    dZ = gemm(H[l], dW, { transB: true, alpha: L.wScale }) as Mat32; // a_l H_{l-1} dW_lᵀ
    if (dH) gemm(dH, L.W, { transB: true, alpha: L.wScale, beta: 1, out: dZ }); // + a_l dH_{l-1} W_lᵀ
    if (L.b) {
      const db = v.subarray(L.bOffset, L.bOffset + L.fanOut),
        c = L.bScale,
        n = L.fanOut;
      for (let i = 0; i < N; i++) for (let j = 0; j < n; j++) dZ.data[i * n + j] += c * db[j];
    }
    if (l < last) {
      multiplyByDerivative(mlp.spec.activation, dZ.data, H[l + 1].data); // φ'(Z_l) from H_l = φ(Z_l)
      dH = dZ;
    }
  }
  return dZ;
}
