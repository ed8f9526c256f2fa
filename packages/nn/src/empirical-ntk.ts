/**
 * Empirical neural tangent kernel Θ̂(x, z) = ∇θ f(x) ∇θ f(z)ᵀ of an Mlp, by the layer structure
 * of the Jacobian (see jacobian.ts) so that J is never materialised:
 *   Θ̂[(i,o),(j,o')] = Σ_l ⟨Δ_l^x[(i,o)], Δ_l^z[(j,o')]⟩ · (a_l² ⟨h_{l-1}(x_i), h_{l-1}(z_j)⟩ + c_l² 1[bias])
 * i.e. per layer two GEMMs (Δ^x Δ^zᵀ and H^x H^zᵀ) and a Hadamard product. For the two-layer
 * scalar network f = W2 relu(W1 x/√d)/√m this is
 *   Θ̂(x,z) = (1/m)[(x·z/d) Σ_k W2_k² 1[u_k(x)>0] 1[u_k(z)>0] + Σ_k relu(u_k(x)) relu(u_k(z))].
 * The kernel is float64; the products run in float64 by default (`precision: 'float32'` runs the
 * GEMMs in float32 and accumulates in float64, about twice as fast).
 */
import { fail, formatBytes } from '@tangent/base';
import { gemm, mat64, syrk, type Mat32, type Mat64 } from '@tangent/linalg';
import { forward } from './backprop.ts';
import { outputDeltas } from './jacobian.ts';
import type { Mlp } from './mlp.ts';

/** The largest empirical kernel built unless the caller sets another limit: 4 GiB of float64. */
export const ENTK_MAX_BYTES = 4 * 2 ** 30;

export interface EntkOptions {
  precision?: 'float64' | 'float32';
  /** Refuse kernels larger than this many bytes (default ENTK_MAX_BYTES). */
  maxBytes?: number;
}

function toF64(m: Mat32): Mat64 {
  return { rows: m.rows, cols: m.cols, data: Float64Array.from(m.data) };
}

/** Bytes needed by a (rows × cols) float64 kernel. */
export function kernelBytes(rows: number, cols: number): number {
  return rows * cols * 8;
}

/**
 * Θ̂(X, Z) of shape (N·K) × (M·K), rows/cols ordered sample-major (i·K + o). Z defaults to X.
 */
export function empiricalNtkMlp(mlp: Mlp, X: Mat32, Z?: Mat32, opts: EntkOptions = {}): Mat64 {
  const K = mlp.spec.sizes[mlp.spec.sizes.length - 1];
  const sym = !Z || Z === X;
  const N = X.rows,
    M = sym ? N : Z!.rows;
  const bytes = kernelBytes(N * K, M * K);
  const maxBytes = opts.maxBytes ?? ENTK_MAX_BYTES;
  if (bytes > maxBytes)
    fail(
      `empirical NTK of ${N * K}×${M * K} needs ${formatBytes(bytes)} of float64, more than its ${formatBytes(maxBytes)} limit; use fewer points or raise the limit`,
    );
  const cx = forward(mlp, X).cache;
  const cz = sym ? cx : forward(mlp, Z!).cache;
  const dx = outputDeltas(mlp, cx);
  const dz = sym ? dx : outputDeltas(mlp, cz);
  const theta = mat64(N * K, M * K);
  const T = theta.data,
    cols = M * K;
  const f64 = (opts.precision ?? 'float64') === 'float64';
  mlp.layers.forEach((L, l) => {
    // A = Δ_l^x Δ_l^zᵀ ((N·K) × (M·K)) and B = H_{l-1}^x H_{l-1}^zᵀ (N × M)
    const prod = (P: Mat32, Q: Mat32): Mat32 | Mat64 => {
      if (P === Q) return f64 ? syrk(toF64(P)) : syrk(P); // symmetric case: half the flops
      return f64 ? gemm(toF64(P), toF64(Q), { transB: true }) : gemm(P, Q, { transB: true });
    };
    const A = prod(dx[l], dz[l]).data;
    const B = prod(cx.H[l], cz.H[l]).data;
    const a2 = L.wScale * L.wScale,
      c2 = L.b ? L.bScale * L.bScale : 0;
    for (let i = 0; i < N; i++)
      for (let o = 0; o < K; o++) {
        const r = (i * K + o) * cols;
        for (let j = 0; j < M; j++) {
          const s = a2 * B[i * M + j] + c2;
          for (let p = 0; p < K; p++) T[r + j * K + p] += A[r + j * K + p] * s;
        }
      }
  });
  return theta;
}

/** Θ̂ = J_x J_zᵀ from materialised Jacobians (float64 product). */
export function empiricalNtkFromJacobian(Jx: Mat32 | Mat64, Jz?: Mat32 | Mat64): Mat64 {
  const a = Jx.data instanceof Float64Array ? (Jx as Mat64) : toF64(Jx as Mat32);
  const b = !Jz || Jz === Jx ? a : Jz.data instanceof Float64Array ? (Jz as Mat64) : toF64(Jz as Mat32);
  if (a.cols !== b.cols) fail(`empiricalNtkFromJacobian: Jacobians have ${a.cols} and ${b.cols} parameter columns`);
  return gemm(a, b, { transB: true }) as Mat64;
}
