/**
 * Full-batch forward and backward passes of the two-layer network with K outputs (K > 2 classes;
 * the one-output network has its own fused passes, two-layer-gd.ts), on buffers reused across
 * epochs (float32 storage and products, as TwoLayerGd):
 *
 *   U = a1 X W1ᵀ + c1 1 b1ᵀ,  H = φ(U),  F = a2 H W2ᵀ + c2 1 b2ᵀ        (N × m, N × m, N × K)
 *
 * and, with R = ∂L/∂F (N × K), the chain rule (the same equations as @tangent/nn backprop.ts,
 * which the tests use as the oracle besides finite differences):
 *
 *   ∂L/∂W2 = a2 Rᵀ H (K × m),   ∂L/∂b2 = c2 Rᵀ 1,
 *   G = ∂L/∂U = a2 (R W2) ⊙ φ'(U),   ∂L/∂W1 = a1 Gᵀ X (m × d),   ∂L/∂b1 = c1 Gᵀ 1.
 *
 * Four sgemms per epoch (2Nmd + 2NmK each way) and two elementwise passes over N × m. The forward
 * pass runs in row blocks of ~4 MiB of U, so the elementwise pass and the readout product read
 * each block while the first product has just left it in cache. A kept (training) pass leaves
 * φ'(U) in U and φ(U) in H for backward(), which then reuses H for G once ∂L/∂W2 is taken.
 */
import { fail } from '@tangent/base';
import { gemm, hugeFloat32, type Mat32 } from '@tangent/linalg';
import type { Mlp } from '@tangent/nn';
import { hiddenActivation, type HiddenActivation } from './hidden-activation.ts';
import { copyRows, type RowCapture } from './two-layer-gd.ts';

interface Hidden {
  U: Float32Array;
  H: Float32Array;
}

export class TwoLayerGdMulti {
  readonly net: Mlp;
  readonly m: number;
  readonly K: number;
  readonly act: HiddenActivation;
  private readonly hidden = new Map<number, Hidden>();
  /** The buffers of the last kept forward pass (U = φ'(u), H = φ(u)), for backward(). */
  private kept: Hidden | null = null;
  private keptRows = -1;

  constructor(net: Mlp) {
    this.act = hiddenActivation(net, 'TwoLayerGdMulti', 'any');
    this.net = net;
    this.m = net.spec.sizes[1];
    this.K = net.spec.sizes[2];
  }

  /** U and H for `rows` inputs: the kept (training) pass has its own, on huge pages (reused every epoch). */
  private buffers(rows: number, keep: boolean): Hidden {
    const key = keep ? -rows - 1 : rows;
    let b = this.hidden.get(key);
    if (!b) {
      const n = rows * this.m,
        alloc = (k: number) => (keep ? hugeFloat32(k) : new Float32Array(k));
      b = { U: alloc(n), H: alloc(n) };
      this.hidden.set(key, b);
    }
    return b;
  }

  /**
   * F(X) into `out` (N × K row-major). With `keep`, φ'(u) and φ(u) stay for the next backward();
   * with `capture`, the pre-activations a1 W1 x of the listed rows are copied out on the way.
   */
  forward(X: Mat32, out: Float32Array, keep = false, capture?: RowCapture): Float32Array {
    const [L1, L2] = this.net.layers;
    const N = X.rows,
      m = this.m,
      K = this.K,
      d = X.cols;
    if (d !== L1.fanIn) fail(`X: has ${d} columns but the network's input width is ${L1.fanIn}`);
    if (out.length !== N * K) fail(`forward: output buffer has ${out.length} entries for ${N} rows × ${K} outputs`);
    const { U, H } = this.buffers(N, keep);
    const B = Math.min(N, Math.max(64, Math.round(2 ** 18 / m)));
    for (let r0 = 0; r0 < N; r0 += B) {
      const r1 = Math.min(N, r0 + B),
        rows = r1 - r0;
      const Ub = { rows, cols: m, data: U.subarray(r0 * m, r1 * m) },
        Hb = { rows, cols: m, data: H.subarray(r0 * m, r1 * m) };
      gemm({ rows, cols: d, data: X.data.subarray(r0 * d, r1 * d) }, L1.W, { transB: true, alpha: L1.wScale, out: Ub });
      if (capture) copyRows(capture, U, m, r0, r1);
      this.activate(Ub.data, Hb.data, keep);
      gemm(Hb, L2.W, { transB: true, alpha: L2.wScale, out: { rows, cols: K, data: out.subarray(r0 * K, r1 * K) } });
    }
    if (L2.b) {
      const c2 = L2.bScale,
        b2 = L2.b;
      for (let i = 0; i < N; i++) for (let k = 0; k < K; k++) out[i * K + k] += c2 * b2[k];
    }
    if (keep) ((this.kept = { U, H }), (this.keptRows = N));
    return out;
  }

  /** H ← φ(u) with u = U + c1 b1 (as the one-output passes form it, in float32); with `keep`, U ← φ'(u). */
  private activate(U: Float32Array, H: Float32Array, keep: boolean): void {
    const L1 = this.net.layers[0];
    const cb = L1.b ? Float32Array.from(L1.b, (b) => L1.bScale * b) : null;
    if (cb) addRowVector(U, cb); // u = U + c1 b1 in float32, as Math.fround(U + cb) in the one-output passes
    if (!this.act.relu) return phiPass(U, H, keep, this.act.phi, this.act.dphi);
    // relu, branch-free (a data-dependent branch mispredicts half the time)
    if (keep)
      for (let i = 0; i < U.length; i++) {
        const u = U[i],
          on = +(u > 0);
        H[i] = u * on;
        U[i] = on;
      }
    else
      for (let i = 0; i < U.length; i++) {
        const u = U[i];
        H[i] = u * +(u > 0);
      }
  }

  /** ∂L/∂θ into `grad` (laid out like net.params) from R = ∂L/∂F (N × K) on the X of the last forward(X, out, true). Consumes it. */
  backward(X: Mat32, dPred: Float32Array, grad: Float32Array): Float32Array {
    const [L1, L2] = this.net.layers;
    const N = X.rows,
      m = this.m,
      K = this.K,
      d = L1.fanIn;
    const kept = this.kept;
    if (!kept || this.keptRows !== N) fail('TwoLayerGdMulti.backward: call forward(X, out, true) on the same inputs first');
    if (dPred.length !== N * K) fail(`backward: ${dPred.length} output gradients for ${N} rows × ${K} outputs`);
    if (grad.length !== this.net.params.length)
      fail(`backward: gradient buffer has ${grad.length} entries, need ${this.net.params.length}`);
    const R = { rows: N, cols: K, data: dPred },
      H = { rows: N, cols: m, data: kept.H };
    // ∂L/∂W2 = a2 Rᵀ H, ∂L/∂b2 = c2 Rᵀ 1
    gemm(R, H, { transA: true, alpha: L2.wScale, out: { rows: K, cols: m, data: grad.subarray(L2.wOffset, L2.wOffset + K * m) } });
    if (L2.b) columnSums(dPred, N, K, L2.bScale, grad.subarray(L2.bOffset, L2.bOffset + K));
    // G = a2 (R W2) ⊙ φ'(U), in H's buffer (H is spent)
    gemm(R, L2.W, { alpha: L2.wScale, out: H });
    const G = H.data,
      dU = kept.U;
    for (let i = 0; i < G.length; i++) G[i] *= dU[i];
    // ∂L/∂W1 = a1 Gᵀ X, ∂L/∂b1 = c1 Gᵀ 1
    gemm(H, X, { transA: true, alpha: L1.wScale, out: { rows: m, cols: d, data: grad.subarray(L1.wOffset, L1.wOffset + m * d) } });
    if (L1.b) columnSums(G, N, m, L1.bScale, grad.subarray(L1.bOffset, L1.bOffset + m));
    this.kept = null;
    return grad;
  }
}

/** A[i, :] += v for every row of a row-major A (float32 sums). */
function addRowVector(A: Float32Array, v: Float32Array): void {
  const m = v.length;
  for (let o = 0; o < A.length; o += m) for (let k = 0; k < m; k++) A[o + k] += v[k];
}

/** H ← φ(U); with `keep`, U ← φ'(U). */
function phiPass(U: Float32Array, H: Float32Array, keep: boolean, phi: (u: number) => number, dphi: (u: number) => number): void {
  for (let i = 0; i < U.length; i++) {
    const u = U[i];
    H[i] = phi(u);
    if (keep) U[i] = dphi(u);
  }
}

/** out_j = c Σ_i A[i, j] for a row-major rows × cols A (float64 sums). */
function columnSums(A: Float32Array, rows: number, cols: number, c: number, out: Float32Array): void {
  const s = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) s[j] += A[i * cols + j];
  for (let j = 0; j < cols; j++) out[j] = c * s[j];
}
