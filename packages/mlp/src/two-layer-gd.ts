/**
 * Full-batch forward and backward passes of the two-layer network (one output)
 *   u = a1 W1 x + c1 b1,  h = relu(u),  f = a2 W2 h + c2 b2
 * on buffers reused across epochs, with every elementwise step fused into one pass over the
 * N×m hidden layer (float32 storage, float64 accumulation):
 *   forward : U = a1 X W1ᵀ (sgemm), then one read-only pass per row: f = a2 relu(u + c1 b1)·W2 + c2 b2
 *             (h is not stored: the backward pass recomputes it from U);
 *   backward: with r = ∂L/∂f, one pass accumulates ∂L/∂W2 = a2 Σ_i r_i h_i and overwrites U by
 *             G = ∂L/∂u = a2 r W2 ⊙ 1[u > 0] (and ∂L/∂b1 = c1 Σ_i G_i), then ∂L/∂W1 = a1 Gᵀ X (sgemm).
 * Same equations as @tangent/nn's forward/backward (backprop.ts), which the tests use as the oracle.
 */
import { fail } from '@tangent/arrow-io';
import { gemm, hugeFloat32, type Mat32 } from '@tangent/linalg';
import type { Mlp } from '@tangent/nn';

export class TwoLayerGd {
  readonly net: Mlp;
  readonly m: number;
  private readonly hidden = new Map<number, Float32Array>();
  private readonly accW2: Float64Array;
  private readonly accB1: Float64Array;
  private lastH: Float32Array | null = null;
  private lastRows = -1;

  constructor(net: Mlp) {
    const s = net.spec;
    if (s.sizes.length !== 3 || s.sizes[2] !== 1 || s.activation !== 'relu')
      fail(`TwoLayerGd: needs a two-layer relu network with one output, got sizes ${JSON.stringify(s.sizes)} and ${s.activation}`);
    this.net = net;
    this.m = s.sizes[1];
    this.accW2 = new Float64Array(this.m);
    this.accB1 = new Float64Array(this.m);
  }

  /** The kept (training) hidden layer has its own buffer, so an evaluation pass in between leaves it intact. */
  private buffer(rows: number, keep: boolean): Float32Array {
    const key = keep ? -rows - 1 : rows;
    let b = this.hidden.get(key);
    if (!b) this.hidden.set(key, (b = hugeFloat32(rows * this.m)));
    return b;
  }

  /**
   * f(X) into `out` (length N). With `keep`, relu(U) stays in its buffer for the next backward().
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
          s += u * +(u > 0) * w2[k]; // branch-free relu (a data-dependent branch mispredicts half the time)
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
          s += u0 * +(u0 > 0) * w2[k];
          s1 += u1 * +(u1 > 0) * w2[k + 1];
          s2 += u2 * +(u2 > 0) * w2[k + 2];
          s3 += u3 * +(u3 > 0) * w2[k + 3];
        }
        for (; k < m; k++) {
          const u = U[o + k];
          s += u * +(u > 0) * w2[k];
        }
        s = s + s1 + (s2 + s3);
      }
      out[i] = a2 * s + off;
    }
    if (keep) {
      this.lastH = U;
      this.lastRows = N;
    }
    return out;
  }

  /** ∂L/∂θ into `grad` (laid out like net.params) from r = ∂L/∂f on the X of the last forward(X, keep). Consumes it. */
  backward(X: Mat32, dPred: Float32Array, grad: Float32Array): Float32Array {
    const [L1, L2] = this.net.layers;
    const N = X.rows,
      m = this.m;
    const H = this.lastH;
    if (!H || this.lastRows !== N) fail('TwoLayerGd.backward: call forward(X, out, true) on the same inputs first');
    if (dPred.length !== N) fail(`backward: ${dPred.length} output gradients for ${N} rows`);
    if (grad.length !== this.net.params.length)
      fail(`backward: gradient buffer has ${grad.length} entries, need ${this.net.params.length}`);
    const w2 = L2.W.data,
      a2 = L2.wScale,
      accW2 = this.accW2,
      accB1 = this.accB1,
      b1 = L1.b,
      c1 = L1.bScale,
      bias1 = !!b1;
    accW2.fill(0);
    accB1.fill(0);
    let sumR = 0;
    let i = 0;
    if (!bias1)
      // two rows per sweep: each accW2[k] is loaded and stored once per pair
      for (; i + 1 < N; i += 2) {
        const o = i * m,
          p = o + m,
          r = dPred[i],
          q = dPred[i + 1],
          g = a2 * r,
          h = a2 * q;
        sumR += r + q;
        for (let k = 0; k < m; k++) {
          const u = H[o + k],
            v = H[p + k];
          const on = +(u > 0),
            onv = +(v > 0);
          accW2[k] += r * u * on + q * v * onv;
          const w = w2[k];
          H[o + k] = Math.fround(g * w) * on;
          H[p + k] = Math.fround(h * w) * onv;
        }
      }
    for (; i < N; i++) {
      const o = i * m,
        r = dPred[i],
        g = a2 * r;
      sumR += r;
      if (bias1)
        for (let k = 0; k < m; k++) {
          const u = Math.fround(H[o + k] + c1 * b1![k]);
          const on = +(u > 0);
          accW2[k] += r * u * on;
          const v = Math.fround(g * w2[k]) * on;
          H[o + k] = v;
          accB1[k] += v;
        }
      else
        for (let k = 0; k < m; k++) {
          const u = H[o + k];
          const on = +(u > 0);
          accW2[k] += r * u * on;
          H[o + k] = Math.fround(g * w2[k]) * on;
        }
    }
    this.lastH = null;
    for (let k = 0; k < m; k++) grad[L2.wOffset + k] = a2 * accW2[k];
    if (L2.b) grad[L2.bOffset] = L2.bScale * sumR;
    if (L1.b) for (let k = 0; k < m; k++) grad[L1.bOffset + k] = L1.bScale * accB1[k];
    // ∂L/∂W1 = a1 Gᵀ X, straight into the flat gradient
    gemm({ rows: N, cols: m, data: H }, X, {
      transA: true,
      alpha: L1.wScale,
      beta: 0,
      out: { rows: m, cols: L1.fanIn, data: grad.subarray(L1.wOffset, L1.wOffset + m * L1.fanIn) },
    });
    return grad;
  }
}
