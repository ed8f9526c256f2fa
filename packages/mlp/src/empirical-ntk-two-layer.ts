/**
 * Empirical NTK of the two-layer network f(x) = a2 · W2 φ(a1 W1 x + c1 b1) + c2 b2 in closed
 * form (no Jacobian materialised). With u = a1 W1 x + c1 b1, h = φ(u) and
 * D_k(x) = a2 W2_k φ'(u_k(x)) (= ∂f/∂u_k; relu: a2 W2_k 1[u_k > 0]):
 *
 *   Θ̂(x, z) = a2² Σ_k h_k(x) h_k(z)                       (W2 block: ∂f/∂W2_k = a2 h_k)
 *           + (a1² x·z + c1²) Σ_k D_k(x) D_k(z)             (W1, b1 blocks: ∂f/∂W1_kj = D_k a1 x_j, ∂f/∂b1_k = D_k c1)
 *           + c2²                                            (b2 block, only with bias)
 *
 * In the default NTK parameterisation (a1 = 1/√d, a2 = 1/√m, no bias) this is
 *   Θ̂(x, z) = (1/m)[(x·z/d) Σ_k W2_k² φ'(u_k(x)) φ'(u_k(z)) + Σ_k φ(u_k(x)) φ(u_k(z))],
 * whose m → ∞ limit is (x·z/d) E[φ'(u)φ'(v)] + E[φ(u)φ(v)], the depth-2 activationNetKernel of
 * @tangent/kernels (relu: ntkRelu2). Two (N×m)·(m×M) GEMMs and a Hadamard product. φ and φ' are
 * the activation registry's (hidden-activation.ts).
 *
 * A network with K outputs: the trace over outputs Θ̂_tr = (1/K) Σ_k Θ̂_kk, the same formula with
 * W2_k² replaced by w̄_k² = (1/K) Σ_o W2[o,k]² (output-trace.ts, where the block kernel and its
 * Θ ⊗ I_K limit are derived).
 */
import { formatBytes, fail } from '@tangent/base';
import { gemm, mirrorLower, syrk, type Mat32, type Mat64 } from '@tangent/linalg';
import type { Mlp } from '@tangent/nn';
import { hiddenActivation } from './hidden-activation.ts';
import { traceReadoutWeights } from './output-trace.ts';
import { TwoLayerKernel } from './two-layer-kernel.ts';

export interface TwoLayerEntkOptions {
  /** 'float64' (default) runs the GEMMs in float64; 'float32' runs them in float32 (≈2× faster), accumulating in float64. */
  precision?: 'float64' | 'float32';
  /** Refuse a kernel above this many bytes (default 4 GiB). */
  maxBytes?: number;
}

/** u-derived factors for one input block: H = φ(u) (N×m) and D = a2 W2 ⊙ φ'(u) (K outputs: a2 w̄ ⊙ φ'(u)) (N×m). */
function factors(net: Mlp, X: Mat32): { H: Mat32; D: Mat32 } {
  const act = hiddenActivation(net, 'empiricalNtkTwoLayer', 'any');
  const [L1, L2] = net.layers;
  if (X.cols !== L1.fanIn) fail(`empirical NTK: inputs have ${X.cols} columns, the network expects ${L1.fanIn}`);
  const m = L1.fanOut;
  const U = gemm(X, L1.W, { transB: true, alpha: L1.wScale }); // u = a1 W1 x  (N × m)
  const H = U.data,
    D = new Float32Array(H.length);
  const w2 = traceReadoutWeights(net),
    a2 = L2.wScale,
    b1 = L1.b,
    c1 = L1.bScale;
  const { phi, dphi } = act;
  for (let i = 0; i < X.rows; i++) {
    const o = i * m;
    for (let k = 0; k < m; k++) {
      const u = b1 ? H[o + k] + c1 * b1[k] : H[o + k];
      if (!act.relu) {
        H[o + k] = phi(u);
        D[o + k] = a2 * w2[k] * dphi(u);
      } else if (u > 0) {
        H[o + k] = u;
        D[o + k] = a2 * w2[k];
      } else H[o + k] = 0;
    }
  }
  return { H: U, D: { rows: X.rows, cols: m, data: D } };
}

/**
 * Θ̂(X, Z) for a two-layer Mlp with one output (φ: relu or erf), (N × M) float64; with K outputs
 * the trace kernel Θ̂_tr (see above). Z defaults to X.
 */
export function empiricalNtkTwoLayer(net: Mlp, X: Mat32, Z?: Mat32, opts: TwoLayerEntkOptions = {}): Mat64 {
  hiddenActivation(net, 'empiricalNtkTwoLayer', 'any');
  const sym = !Z || Z === X;
  const N = X.rows,
    M = sym ? N : Z!.rows;
  const maxBytes = opts.maxBytes ?? 4 * 2 ** 30;
  if (N * M * 8 > maxBytes)
    fail(`empirical NTK of ${N}×${M} needs ${formatBytes(N * M * 8)} (limit ${formatBytes(maxBytes)}); track fewer points`);
  if (sym) {
    // lower triangle by two xSYRKs on factors written in the GEMM precision (no float64 copies), then mirrored
    const K = new TwoLayerKernel(X, { precision: opts.precision ?? 'float64', cache: false });
    K.update(net, { lambdaMax: false });
    mirrorLower(N, K.theta);
    return { rows: N, cols: N, data: K.theta };
  }
  const [L1, L2] = net.layers;
  const fx = factors(net, X);
  const fz = sym ? fx : factors(net, Z!);
  const f64 = (opts.precision ?? 'float64') === 'float64';
  const to64 = (A: Mat32): Mat64 => ({ rows: A.rows, cols: A.cols, data: Float64Array.from(A.data) });
  const prod = (A: Mat32, B: Mat32): Float64Array | Float32Array => {
    if (sym) return f64 ? syrk(to64(A), { alpha: 1 }).data : syrk(A).data;
    return f64 ? gemm(to64(A), to64(B), { transB: true }).data : gemm(A, B, { transB: true }).data;
  };
  const a1s = L1.wScale ** 2,
    a2s = L2.wScale ** 2;
  const c1s = L1.b ? L1.bScale ** 2 : 0,
    c2s = L2.b ? L2.bScale ** 2 : 0;
  // Built in place to keep at most two N×M temporaries alive.
  const T = sym ? syrk(to64(X)).data : gemm(to64(X), to64(Z!), { transB: true }).data; // x·z (float64)
  const DD = prod(fx.D, fz.D); // Σ_k D_k(x) D_k(z)
  for (let i = 0; i < N * M; i++) T[i] = (a1s * T[i] + c1s) * DD[i] + c2s;
  const HH = prod(fx.H, fz.H); // Σ_k h_k(x) h_k(z)
  for (let i = 0; i < N * M; i++) T[i] += a2s * HH[i];
  return { rows: N, cols: M, data: T };
}
