/**
 * Full-batch forward and backward passes of the two-layer network (one output)
 *   u = a1 W1 x + c1 b1,  h = relu(u),  f = a2 W2 h + c2 b2
 * on buffers reused across epochs (float32 storage, float64 accumulation):
 *   forward : U = a1 X W1ᵀ (sgemm), then one pass per row: f = a2 relu(u + c1 b1)·W2 + c2 b2; a
 *             training pass (keep) overwrites U by the activation mask M = 1[u > 0] as it goes.
 *   backward: with r = ∂L/∂f, G = ∂L/∂u = a2 (r W2ᵀ) ⊙ M never needs to be formed. Everything
 *             the gradient needs is ONE product P = Mᵀ [r ⊙ X | r] (m × (d+1), sgemm):
 *               ∂L/∂W1_k = a1 Σ_i G_ik x_i = a1 a2 W2_k P_k,1..d
 *               ∂L/∂b1_k = c1 Σ_i G_ik     = c1 a2 W2_k P_k,d+1
 *               ∂L/∂W2_k = a2 Σ_i r_i h_ik = a2 Σ_i r_i M_ik (a1 W1_k·x_i + c1 b1_k)
 *                                          = a2 (a1 W1_k·P_k,1..d + c1 b1_k P_k,d+1)
 *             (the last because h = M ⊙ u), so no elementwise pass over the N×m hidden layer is
 *             left in the backward pass: its cost is the sgemm and O(md).
 * Same equations as @tangent/nn's forward/backward (backprop.ts), which the tests use as the oracle.
 */
import { fail } from '@tangent/arrow-io';
import { gemm, hugeFloat32, type Mat32 } from '@tangent/linalg';
import type { Mlp } from '@tangent/nn';

export class TwoLayerGd {
  readonly net: Mlp;
  readonly m: number;
  private readonly hidden = new Map<number, Float32Array>();
  /** [r ⊙ X | r] (N × (d+1)) and P = Mᵀ [r ⊙ X | r] (m × (d+1)). */
  private rx = new Float32Array(0);
  private readonly P: Float32Array;
  private lastMask: Float32Array | null = null;
  private lastRows = -1;

  constructor(net: Mlp) {
    const s = net.spec;
    if (s.sizes.length !== 3 || s.sizes[2] !== 1 || s.activation !== 'relu')
      fail(`TwoLayerGd: needs a two-layer relu network with one output, got sizes ${JSON.stringify(s.sizes)} and ${s.activation}`);
    this.net = net;
    this.m = s.sizes[1];
    this.P = new Float32Array(this.m * (s.sizes[0] + 1));
  }

  /** The kept (training) hidden layer has its own buffer, so an evaluation pass in between leaves it intact. */
  private buffer(rows: number, keep: boolean): Float32Array {
    const key = keep ? -rows - 1 : rows;
    let b = this.hidden.get(key);
    if (!b) this.hidden.set(key, (b = hugeFloat32(rows * this.m)));
    return b;
  }

  /**
   * f(X) into `out` (length N). With `keep`, the activation mask 1[u > 0] stays in the kept
   * buffer for the next backward().
   */
  forward(X: Mat32, out: Float32Array, keep = false): Float32Array {
    const [L1, L2] = this.net.layers;
    const N = X.rows,
      m = this.m;
    if (X.cols !== L1.fanIn) fail(`X: has ${X.cols} columns but the network's input width is ${L1.fanIn}`);
    if (out.length !== N) fail(`forward: output buffer has ${out.length} entries for ${N} rows`);
    const U = this.buffer(N, keep);
    gemm(X, L1.W, { transB: true, alpha: L1.wScale, out: { rows: N, cols: m, data: U } });
    const w2 = L2.W.data,
      a2 = L2.wScale,
      b1 = L1.b,
      c1 = L1.bScale,
      off = L2.b ? L2.bScale * L2.b[0] : 0;
    for (let i = 0; i < N; i++) {
      const o = i * m;
      let s = 0;
      if (b1)
        for (let k = 0; k < m; k++) {
          const u = Math.fround(U[o + k] + c1 * b1[k]);
          const on = +(u > 0); // branch-free relu (a data-dependent branch mispredicts half the time)
          s += u * on * w2[k];
          if (keep) U[o + k] = on;
        }
      else {
        // four partial sums: a single accumulator serialises on the add latency
        let s1 = 0,
          s2 = 0,
          s3 = 0,
          k = 0;
        for (; k + 3 < m; k += 4) {
          const u0 = U[o + k],
            u1 = U[o + k + 1],
            u2 = U[o + k + 2],
            u3 = U[o + k + 3];
          const on0 = +(u0 > 0),
            on1 = +(u1 > 0),
            on2 = +(u2 > 0),
            on3 = +(u3 > 0);
          s += u0 * on0 * w2[k];
          s1 += u1 * on1 * w2[k + 1];
          s2 += u2 * on2 * w2[k + 2];
          s3 += u3 * on3 * w2[k + 3];
          if (keep) {
            U[o + k] = on0;
            U[o + k + 1] = on1;
            U[o + k + 2] = on2;
            U[o + k + 3] = on3;
          }
        }
        for (; k < m; k++) {
          const u = U[o + k];
          const on = +(u > 0);
          s += u * on * w2[k];
          if (keep) U[o + k] = on;
        }
        s = s + s1 + (s2 + s3);
      }
      out[i] = a2 * s + off;
    }
    if (keep) {
      this.lastMask = U;
      this.lastRows = N;
    }
    return out;
  }

  /** ∂L/∂θ into `grad` (laid out like net.params) from r = ∂L/∂f on the X of the last forward(X, keep). Consumes it. */
  backward(X: Mat32, dPred: Float32Array, grad: Float32Array): Float32Array {
    const [L1, L2] = this.net.layers;
    const N = X.rows,
      m = this.m,
      d = L1.fanIn,
      e = d + 1;
    const M = this.lastMask;
    if (!M || this.lastRows !== N) fail('TwoLayerGd.backward: call forward(X, out, true) on the same inputs first');
    if (dPred.length !== N) fail(`backward: ${dPred.length} output gradients for ${N} rows`);
    if (grad.length !== this.net.params.length)
      fail(`backward: gradient buffer has ${grad.length} entries, need ${this.net.params.length}`);
    // [r ⊙ X | r], then P = Mᵀ [r ⊙ X | r]
    if (this.rx.length !== N * e) this.rx = new Float32Array(N * e);
    const rx = this.rx,
      x = X.data;
    let sumR = 0;
    for (let i = 0; i < N; i++) {
      const r = dPred[i],
        o = i * e,
        p = i * d;
      for (let j = 0; j < d; j++) rx[o + j] = r * x[p + j];
      rx[o + d] = r;
      sumR += r;
    }
    const P = this.P;
    gemm({ rows: N, cols: m, data: M }, { rows: N, cols: e, data: rx }, { transA: true, out: { rows: m, cols: e, data: P } });
    this.lastMask = null;
    const W1 = L1.W.data,
      w2 = L2.W.data,
      a1 = L1.wScale,
      a2 = L2.wScale,
      b1 = L1.b,
      c1 = L1.bScale;
    for (let k = 0; k < m; k++) {
      const o = k * e,
        g = a1 * a2 * w2[k],
        w = L1.wOffset + k * d;
      let hr = 0; // Σ_i r_i (a1 W1_k·x_i) M_ik
      for (let j = 0; j < d; j++) {
        grad[w + j] = g * P[o + j];
        hr += W1[k * d + j] * P[o + j];
      }
      const pr = P[o + d]; // Σ_i r_i M_ik
      grad[L2.wOffset + k] = a2 * (a1 * hr + (b1 ? c1 * b1[k] * pr : 0));
      if (b1) grad[L1.bOffset + k] = c1 * a2 * w2[k] * pr;
    }
    if (L2.b) grad[L2.bOffset] = L2.bScale * sumR;
    return grad;
  }
}
