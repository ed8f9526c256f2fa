/**
 * Forward pass and reverse-mode gradient of an Mlp on a batch, all matrix products on gemm.
 * Rows are samples: H_0 = X (N × n_0), Z_l = a_l H_{l-1} W_lᵀ + c_l 1 b_lᵀ, H_l = φ(Z_l),
 * output F = Z_L. Backward (chain rule, with G_l = ∂L/∂Z_l):
 *   ∂L/∂W_l = a_l G_lᵀ H_{l-1},   ∂L/∂b_l = c_l G_lᵀ 1,   G_{l-1} = (a_l G_l W_l) ⊙ φ'(Z_{l-1}).
 */
import { fail } from '@tangent/base';
import { gemm, type Mat32 } from '@tangent/linalg';
import { applyActivation, multiplyByDerivative } from './activations.ts';
import type { Mlp } from './mlp.ts';

export interface ForwardCache {
  /** H[0] = X, H[l] = φ(Z_l) for hidden layers, H[L] = output F (no activation). */
  H: Mat32[];
}

function checkInput(mlp: Mlp, X: Mat32, what = 'X'): void {
  const d = mlp.spec.sizes[0];
  if (!(X.data instanceof Float32Array))
    fail(
      `${what}: the network runs in float32; convert the input (got ${(X.data as unknown as { constructor?: { name: string } })?.constructor?.name})`,
    );
  if (X.cols !== d) fail(`${what}: has ${X.cols} columns but the network's input width is ${d}`);
  if (X.data.length !== X.rows * X.cols) fail(`${what}: ${X.data.length} values for a ${X.rows}×${X.cols} matrix`);
}

/** Z_l = a_l H_{l-1} W_lᵀ + c_l 1 b_lᵀ (eq. z_l = a_l W_l h_{l-1} + c_l b_l, batched over rows). */
function affine(mlp: Mlp, l: number, Hprev: Mat32): Mat32 {
  const L = mlp.layers[l];
  const Z = gemm(Hprev, L.W, { transB: true, alpha: L.wScale }) as Mat32;
  if (L.b) {
    const n = L.fanOut,
      c = L.bScale,
      b = L.b,
      z = Z.data;
    for (let i = 0; i < Z.rows; i++) {
      const o = i * n;
      for (let j = 0; j < n; j++) z[o + j] += c * b[j];
    }
  }
  return Z;
}

export function forward(mlp: Mlp, X: Mat32): { out: Mat32; cache: ForwardCache } {
  checkInput(mlp, X);
  const H: Mat32[] = [X];
  const last = mlp.layers.length - 1;
  for (let l = 0; l <= last; l++) {
    const Z = affine(mlp, l, H[l]);
    if (l < last) applyActivation(mlp.spec.activation, Z.data);
    H.push(Z);
  }
  return { out: H[H.length - 1], cache: { H } };
}

/** Network output only. */
export function predict(mlp: Mlp, X: Mat32): Mat32 {
  return forward(mlp, X).out;
}

/**
 * ∂L/∂θ for a loss whose gradient w.r.t. the outputs is dOut (N × n_L), as one flat vector laid
 * out like mlp.params. `grad` may be passed in to reuse a buffer (it is overwritten).
 */
export function backward(mlp: Mlp, cache: ForwardCache, dOut: Mat32, grad?: Float32Array): Float32Array {
  const P = mlp.params.length;
  const g = grad ?? new Float32Array(P);
  if (g.length !== P) fail(`backward: gradient buffer has ${g.length} entries, need ${P}`);
  const { H } = cache;
  const N = H[0].rows;
  const nOut = mlp.spec.sizes[mlp.spec.sizes.length - 1];
  if (dOut.rows !== N || dOut.cols !== nOut) fail(`backward: dOut is ${dOut.rows}×${dOut.cols}, expected ${N}×${nOut}`);
  let G: Mat32 = dOut;
  for (let l = mlp.layers.length - 1; l >= 0; l--) {
    const L = mlp.layers[l];
    // ∂L/∂W_l = a_l G_lᵀ H_{l-1}, written straight into the flat gradient.
    const gW: Mat32 = { rows: L.fanOut, cols: L.fanIn, data: g.subarray(L.wOffset, L.wOffset + L.fanIn * L.fanOut) };
    gemm(G, H[l], { transA: true, alpha: L.wScale, beta: 0, out: gW });
    if (L.b) {
      // ∂L/∂b_l = c_l Σ_i G_l[i, :]
      const gb = g.subarray(L.bOffset, L.bOffset + L.fanOut);
      gb.fill(0);
      const n = L.fanOut,
        gd = G.data;
      for (let i = 0; i < N; i++) for (let j = 0; j < n; j++) gb[j] += gd[i * n + j];
      if (L.bScale !== 1) for (let j = 0; j < n; j++) gb[j] *= L.bScale;
    }
    if (l > 0) {
      // G_{l-1} = (a_l G_l W_l) ⊙ φ'(Z_{l-1})
      const Gp = gemm(G, L.W, { alpha: L.wScale }) as Mat32;
      multiplyByDerivative(mlp.spec.activation, Gp.data, H[l].data);
      G = Gp;
    }
  }
  return g;
}
