/**
 * Full-batch forward and backward passes of the two-layer network (one output)
 *   u = a1 W1 x + c1 b1,  h = relu(u),  f = a2 W2 h + c2 b2
 * on buffers reused across epochs (float32 storage, float64 accumulation). ReLU first (the
 * studies' network, and the fast path); any other φ of the registry after it:
 *   forward : U = a1 X W1ᵀ (sgemm), then one pass per row: f = a2 relu(u + c1 b1)·W2 + c2 b2; a
 *             training pass (keep) overwrites U by the activation mask M = 1[u > 0] as it goes.
 *   backward: with r = ∂L/∂f, G = ∂L/∂u = a2 (r W2ᵀ) ⊙ M never needs to be formed. Everything
 *             the gradient needs is ONE product P = Mᵀ diag(r) [X | 1] (m × (d+1), sgemm):
 *               ∂L/∂W1_k = a1 Σ_i G_ik x_i = a1 a2 W2_k P_k,1..d
 *               ∂L/∂b1_k = c1 Σ_i G_ik     = c1 a2 W2_k P_k,d+1
 *               ∂L/∂W2_k = a2 Σ_i r_i h_ik = a2 Σ_i r_i M_ik (a1 W1_k·x_i + c1 b1_k)
 *                                          = a2 (a1 W1_k·P_k,1..d + c1 b1_k P_k,d+1)
 *             (the last because h = M ⊙ u), so no elementwise pass over the N×m hidden layer is
 *             left in the backward pass: its cost is the sgemm and O(md).
 * Another φ (erf; hidden-activation.ts) takes the same route with M = φ'(u) in place of the
 * mask: P = Mᵀ diag(r) [X | 1] still gives ∂L/∂W1 and ∂L/∂b1, but h ≠ M ⊙ u, so the kept pass
 * also stores H = φ(u) (a second N×m buffer) and ∂L/∂W2 = a2 Hᵀ r is one more product (N·m).
 * The ReLU forward pass runs in WebAssembly SIMD where it can (two-layer-passes.ts), else in
 * JavaScript; another φ's runs in JavaScript (φ and φ' of the registry per entry; see README).
 * Same equations as @tangent/nn's forward/backward (backprop.ts), which the tests use as the oracle.
 */
import { fail } from '@tangent/base';
import { gemm, hugeFloat32, type Mat32 } from '@tangent/linalg';
import type { Mlp } from '@tangent/nn';
import { hiddenActivation, type HiddenActivation } from './hidden-activation.ts';
import { ReadoutBuffer } from './two-layer-passes.ts';

/** Rows of X whose pre-activations forward() copies, in this order, into `into` (rows.length × m). */
export interface RowCapture {
  rows: Int32Array;
  into: Float32Array;
}

/** Copy the captured rows that fall in r0..r1 from U (rows r0.. of the block at U[r0·m..]). */
export function copyRows(c: RowCapture, U: Float32Array, m: number, r0: number, r1: number): void {
  const rows = c.rows;
  for (let p = 0; p < rows.length; p++) {
    const r = rows[p];
    if (r >= r0 && r < r1) c.into.set(U.subarray(r * m, (r + 1) * m), p * m);
  }
}

export class TwoLayerGd {
  readonly net: Mlp;
  readonly m: number;
  readonly act: HiddenActivation;
  private readonly hidden = new Map<number, ReadoutBuffer | Float32Array>();
  private readonly uses = new Map<number, number>();
  private readonly simd: boolean;
  /** r ⊙ [X | 1] or [X | 1] (N × (d+1)), and P = Mᵀ diag(r) [X | 1] (m × (d+1)). */
  private rx = new Float32Array(0);
  private ones: { of: Float32Array; value: Float32Array } | null = null;
  private readonly P: Float32Array;
  /** M of the last kept forward pass: relu's mask 1[u > 0], another φ's φ'(u) (N × m). */
  private lastMask: Float32Array | null = null;
  private lastRows = -1;
  /** Not relu: H = φ(u) of the last kept forward pass (N × m), and the product Hᵀ r (m). */
  private keptH: Float32Array | null = null;
  private readonly hr: Float32Array;

  /** `simd: false` keeps every pass in JavaScript (the tests compare both). */
  constructor(net: Mlp, opts: { simd?: boolean } = {}) {
    const s = net.spec;
    this.act = hiddenActivation(net, 'TwoLayerGd');
    this.net = net;
    this.m = s.sizes[1];
    this.simd = (opts.simd ?? true) && this.act.relu; // the SIMD readout is relu's
    this.P = new Float32Array(this.m * (s.sizes[0] + 1));
    this.hr = new Float32Array(this.act.relu ? 0 : this.m);
  }

  /**
   * The hidden layer's buffer for `rows` inputs. The kept (training) one has its own, so an
   * evaluation pass in between leaves it intact. Huge pages (linalg huge-pages.ts) pay off only
   * for a buffer used every epoch: the training buffer gets them at once, another buffer on its
   * third use (the eval rows' does, the test rows' — used twice — never pays the fault-in cost).
   */
  private buffer(rows: number, keep: boolean): ReadoutBuffer | Float32Array {
    const key = keep ? -rows - 1 : rows;
    let b = this.hidden.get(key);
    const uses = (this.uses.get(key) ?? 0) + 1;
    this.uses.set(key, uses);
    const reused = keep || uses >= 3;
    if (!b || (!keep && uses === 3)) {
      const n = rows * this.m;
      b = (this.simd && ReadoutBuffer.create(rows, this.m, reused)) || (reused ? hugeFloat32(n) : new Float32Array(n));
      this.hidden.set(key, b);
    }
    return b;
  }

  /**
   * f(X) into `out` (length N). With `keep`, the activation mask 1[u > 0] (another φ: φ'(u), and
   * H = φ(u) beside it) stays in the kept buffers for the next backward(). With `capture`, the
   * pre-activations a1 W1 x of the listed rows are copied out on the way (the tracked subset's,
   * which would otherwise cost its own sgemm).
   */
  forward(X: Mat32, out: Float32Array, keep = false, capture?: RowCapture): Float32Array {
    const [L1, L2] = this.net.layers;
    const N = X.rows,
      m = this.m;
    if (X.cols !== L1.fanIn) fail(`X: has ${X.cols} columns but the network's input width is ${L1.fanIn}`);
    if (out.length !== N) fail(`forward: output buffer has ${out.length} entries for ${N} rows`);
    const buf = this.buffer(N, keep);
    const U = buf instanceof ReadoutBuffer ? buf.U : buf;
    if (keep && !this.act.relu && this.keptH?.length !== N * m) this.keptH = hugeFloat32(N * m);
    const w2 = L2.W.data,
      a2 = L2.wScale,
      b1 = L1.b,
      c1 = L1.bScale,
      off = L2.b ? L2.bScale * L2.b[0] : 0,
      cb = b1 ? Float32Array.from(b1, (b) => c1 * b) : null;
    // In row blocks of ~4 MiB: the readout reads each block of U while the sgemm has just left
    // it in cache, instead of streaming all of U (N·m·4 bytes) back from memory.
    const B = Math.min(N, Math.max(64, Math.round(2 ** 20 / m)));
    for (let r0 = 0; r0 < N; r0 += B) {
      const r1 = Math.min(N, r0 + B),
        d = X.cols;
      gemm({ rows: r1 - r0, cols: d, data: X.data.subarray(r0 * d, r1 * d) }, L1.W, {
        transB: true,
        alpha: L1.wScale,
        out: { rows: r1 - r0, cols: m, data: U.subarray(r0 * m, r1 * m) },
      });
      if (capture) copyRows(capture, U, m, r0, r1);
      if (buf instanceof ReadoutBuffer) buf.readout(w2, cb, a2, off, keep, out, r0, r1);
      else if (this.act.relu) this.readoutJs(U, cb, r0, r1, keep, out);
      else this.readoutPhi(U, cb, r0, r1, keep ? this.keptH : null, out);
    }
    if (keep) {
      this.lastMask = U;
      this.lastRows = N;
    }
    return out;
  }

  /**
   * The readout of rows r0..r1 in JavaScript (where WebAssembly SIMD is not used); `cb` the bias
   * term c1 b1 in float32, added as the SIMD pass adds it.
   */
  private readoutJs(U: Float32Array, cb: Float32Array | null, r0: number, r1: number, keep: boolean, out: Float32Array): void {
    const L2 = this.net.layers[1];
    const m = this.m,
      w2 = L2.W.data,
      a2 = L2.wScale,
      off = L2.b ? L2.bScale * L2.b[0] : 0;
    for (let i = r0; i < r1; i++) {
      const o = i * m;
      let s = 0;
      if (cb)
        for (let k = 0; k < m; k++) {
          const u = Math.fround(U[o + k] + cb[k]);
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
  }

  /**
   * The readout of rows r0..r1 for a φ other than relu: f = a2 φ(u + cb)·W2 + off, with
   * u = U + cb as the relu pass forms it; with `H` (a kept pass) H ← φ(u) and U ← φ'(u).
   */
  private readoutPhi(U: Float32Array, cb: Float32Array | null, r0: number, r1: number, H: Float32Array | null, out: Float32Array): void {
    const L2 = this.net.layers[1];
    const m = this.m,
      w2 = L2.W.data,
      a2 = L2.wScale,
      off = L2.b ? L2.bScale * L2.b[0] : 0;
    const { phi, dphi } = this.act;
    for (let i = r0; i < r1; i++) {
      const o = i * m;
      let s = 0;
      for (let k = 0; k < m; k++) {
        const u = cb ? Math.fround(U[o + k] + cb[k]) : U[o + k];
        const h = phi(u);
        s += h * w2[k];
        if (H) {
          H[o + k] = h;
          U[o + k] = dphi(u);
        }
      }
      out[i] = a2 * s + off;
    }
  }

  /** [X | 1] (N × (d+1)), kept for the training inputs it was made from. */
  private withOnes(X: Mat32): Float32Array {
    if (this.ones?.of !== X.data) {
      const N = X.rows,
        d = X.cols,
        b = new Float32Array(N * (d + 1));
      for (let i = 0; i < N; i++) {
        b.set(X.data.subarray(i * d, (i + 1) * d), i * (d + 1));
        b[i * (d + 1) + d] = 1;
      }
      this.ones = { of: X.data, value: b };
    }
    return this.ones.value;
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
    // P = Mᵀ diag(r) [X | 1]: diag(r) goes on the smaller side, N·min(m, d+1) products.
    let sumR = 0;
    for (let i = 0; i < N; i++) sumR += dPred[i];
    let B: Float32Array;
    if (m < e) {
      for (let i = 0; i < N; i++) {
        const r = dPred[i],
          o = i * m;
        for (let k = 0; k < m; k++) M[o + k] *= r;
      }
      B = this.withOnes(X);
    } else {
      if (this.rx.length !== N * e) this.rx = new Float32Array(N * e);
      const rx = this.rx,
        x = X.data;
      for (let i = 0; i < N; i++) {
        const r = dPred[i],
          o = i * e,
          p = i * d;
        for (let j = 0; j < d; j++) rx[o + j] = r * x[p + j];
        rx[o + d] = r;
      }
      B = rx;
    }
    const P = this.P;
    gemm({ rows: N, cols: m, data: M }, { rows: N, cols: e, data: B }, { transA: true, out: { rows: m, cols: e, data: P } });
    this.lastMask = null;
    // not relu: Σ_i r_i h_ik = (Hᵀ r)_k from the kept H (relu forms it from P below)
    const hr = this.act.relu ? null : this.hr;
    if (hr)
      gemm(
        { rows: N, cols: m, data: this.keptH! },
        { rows: N, cols: 1, data: dPred },
        { transA: true, out: { rows: m, cols: 1, data: hr } },
      );
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
      let hu = 0; // Σ_i r_i (W1_k·x_i) M_ik (relu: h = M ⊙ u)
      for (let j = 0; j < d; j++) {
        grad[w + j] = g * P[o + j];
        hu += W1[k * d + j] * P[o + j];
      }
      const pr = P[o + d]; // Σ_i r_i M_ik
      grad[L2.wOffset + k] = hr ? a2 * hr[k] : a2 * (a1 * hu + (b1 ? c1 * b1[k] * pr : 0));
      if (b1) grad[L1.bOffset + k] = c1 * a2 * w2[k] * pr;
    }
    if (L2.b) grad[L2.bOffset] = L2.bScale * sumR;
    return grad;
  }
}
