/**
 * The empirical NTK of the two-layer network on a FIXED set of rows, recomputed as the
 * network trains, with the summaries the mlp stage records fused into the one pass that builds
 * it (same closed form as empiricalNtkTwoLayer):
 *
 *   Θ̂(x, z) = (a1² x·z + c1²) Σ_k D_k(x) D_k(z) + c2² + a2² Σ_k h_k(x) h_k(z),
 *   D_k = a2 W2_k φ'(u_k), h = φ(u), u = a1 W1 x + c1 b1
 *
 * (relu: φ' = 1[u > 0], in WebAssembly SIMD where it can; another φ of the registry through its
 * φ and φ' in JavaScript, see hidden-activation.ts). A network with K outputs gets its trace
 * kernel Θ̂_tr = (1/K) Σ_k Θ̂_kk: the same pass with W2_k replaced by w̄_k = √((1/K) Σ_o W2[o,k]²)
 * (output-trace.ts).
 *
 * Only the lower triangle is formed (xSYRK), in a float64 buffer reused across epochs; the
 * x·z factor is computed once. In the pass that combines the GEMM outputs it accumulates
 *   ‖Θ̂‖²_F, yᵀΘ̂y (kernel–target alignment), and ‖Θ̂ − Θ̂_ref‖²_F directly (no cancellation:
 *   ΔΘ ~ 1 % would lose four digits in ‖Θ̂‖² + ‖Θ̂_ref‖² − 2⟨Θ̂, Θ̂_ref⟩),
 * each off-diagonal entry counted twice. λ_max comes from warm-started Lanczos on xSYMV.
 */
import { fail } from '@tangent/base';
import {
  gemm,
  hugeFloat32,
  hugeFloat64,
  syrk,
  symvLower,
  topEigenpair,
  type FloatArray,
  type Mat32,
  type Mat64,
  type Matrix,
} from '@tangent/linalg';
import type { Mlp } from '@tangent/nn';
import { hiddenActivation } from './hidden-activation.ts';
import { traceReadoutWeights } from './output-trace.ts';
import { FactorBuffer, KernelWorkspace } from './two-layer-passes.ts';

export interface KernelSummary {
  /** ‖Θ̂ − Θ̂_ref‖_F / ‖Θ̂_ref‖_F, or null without a reference. */
  deltaTheta: number | null;
  lambdaMax: number;
  /** yᵀΘ̂y / (‖Θ̂‖_F ‖y‖²), or null without targets. */
  alignment: number | null;
}

type F = Float32Array | Float64Array;

/** What one TwoLayerKernel.update() compares Θ̂ with and computes beside it. */
export interface KernelUpdate {
  /**
   * The lower triangle of Θ̂_ref for ΔΘ (may be this.theta's earlier copy, e.g. snapshot()); none:
   * deltaTheta null. A reference is never modified in place: its norm is computed once and kept.
   */
  ref?: Float64Array | null;
  /** Targets for the kernel–target alignment; none: alignment null. */
  y?: ArrayLike<number> | null;
  /** λ_max by Lanczos (default true); false: lambdaMax NaN. */
  lambdaMax?: boolean;
  /**
   * The last update of a `keepXz` kernel (the full-fit kernel at t = T): Θ̂ is built in the kept
   * x·z buffer itself, which is then gone.
   */
  consumeXz?: boolean;
}

export interface TwoLayerKernelOptions {
  /** GEMM precision of the factor products (the kernel is float64 either way). */
  precision: 'float32' | 'float64';
  /**
   * Keep the x·z factor and two product buffers between calls (fast, 2·8 + 2·4 bytes per entry:
   * the tracked subset), or rebuild x·z each call and reuse one product buffer (8 + 4 bytes per
   * entry: the full-fit kernel at t = 0 and T).
   */
  cache: boolean;
  /**
   * Without `cache`: still keep the x·z factor after the first update (8 bytes per entry held),
   * so that a later update with `consumeXz` (KernelUpdate; the full-fit kernel at t = T) skips
   * the float64 xSYRK and builds Θ̂ in the x·z buffer itself.
   */
  keepXz?: boolean;
  /** false: the factor pass in JavaScript even where WebAssembly SIMD is available (tests compare both). */
  simd?: boolean;
}

/**
 * A zeroed buffer: on huge pages when it is reused every epoch (the tracked subset's), plain
 * when it is written once or twice (the full-fit kernel: a fresh huge page can cost more to
 * fault in than the TLB misses it saves; see linalg huge-pages.ts).
 */
function zeros(f64: boolean, n: number, reused: boolean): F {
  if (reused) return f64 ? hugeFloat64(n) : hugeFloat32(n);
  return f64 ? new Float64Array(n) : new Float32Array(n);
}

export class TwoLayerKernel {
  readonly n: number;
  /** Θ̂ lower triangle (row-major n×n; the strict upper part is not maintained). */
  theta: Float64Array;
  private readonly X: Mat32;
  private readonly opts: TwoLayerKernelOptions;
  private xz: Float64Array | null = null;
  private buf1: F | null = null;
  private buf2: F | null = null;
  private D: F | null = null;
  private H: F | null = null;
  private U: Float32Array | null = null;
  private uGiven = false;
  /** U, H and D in WebAssembly memory for the SIMD factor pass (float32 GEMMs), when it can. */
  private simdBuf: FactorBuffer | null = null;
  /** The cached path's n×n buffers in WebAssembly memory for the SIMD kernel pass, when it can. */
  private ws: KernelWorkspace | null = null;
  private readonly eig: Float64Array;
  private refNorm: { ref: Float64Array; value: number } | null = null;

  constructor(X: Mat32, opts: TwoLayerKernelOptions) {
    this.X = X;
    this.n = X.rows;
    this.opts = opts;
    if (opts.cache && opts.precision === 'float32' && opts.simd !== false) this.ws = KernelWorkspace.create(this.n);
    this.theta = this.ws?.theta ?? (zeros(true, this.n * this.n, opts.cache) as Float64Array);
    this.eig = new Float64Array(this.n);
  }

  private get f64(): boolean {
    return this.opts.precision === 'float64';
  }

  /** a1² x·z + c1² into `out` (lower triangle), float64. */
  private xzInto(net: Mlp, out: Float64Array): void {
    const [L1] = net.layers;
    const n = this.n,
      d = this.X.cols;
    const a1s = L1.wScale ** 2,
      c1s = L1.b ? L1.bScale ** 2 : 0;
    syrk({ rows: n, cols: d, data: Float64Array.from(this.X.data) }, { out: { rows: n, cols: n, data: out }, lowerOnly: true });
    for (let i = 0; i < n; i++) {
      const o = i * n;
      for (let j = 0; j <= i; j++) out[o + j] = a1s * out[o + j] + c1s;
    }
  }

  /** The n × m buffer of the pre-activations a1 X W1ᵀ (allocated with the factor buffers on first use). */
  preactivationBuffer(m: number): Float32Array {
    const n = this.n;
    if (!this.U || this.U.length !== n * m) {
      this.simdBuf = this.opts.simd === false ? null : FactorBuffer.create(n, m, this.opts.cache, this.f64);
      this.U = this.simdBuf?.U ?? (zeros(false, n * m, this.opts.cache) as Float32Array);
      this.D = this.simdBuf?.D ?? zeros(this.f64, n * m, this.opts.cache);
      this.H = this.simdBuf?.H ?? zeros(this.f64, n * m, this.opts.cache);
      this.uGiven = false;
    }
    return this.U;
  }

  /**
   * The next update() takes its pre-activations from preactivationBuffer() as the caller filled
   * them (the training forward pass computes these rows anyway) instead of its own sgemm.
   */
  preactivationsGiven(): void {
    this.uGiven = true;
  }

  /** Factor matrices D (a2 W2 ⊙ φ'(u); K outputs: a2 w̄ ⊙ φ'(u)) and H (φ(u)), n × m, in the GEMM precision. */
  private factors(net: Mlp): void {
    const act = hiddenActivation(net, 'empirical NTK', 'any');
    const [L1, L2] = net.layers;
    const n = this.n,
      m = L1.fanOut,
      d = L1.fanIn;
    if (this.X.cols !== d) fail(`empirical NTK: inputs have ${this.X.cols} columns, the network expects ${d}`);
    const U = this.preactivationBuffer(m),
      D = this.D!,
      H = this.H!;
    if (this.uGiven) this.uGiven = false;
    else gemm(this.X, L1.W, { transB: true, alpha: L1.wScale, out: { rows: n, cols: m, data: U } });
    const w2 = traceReadoutWeights(net), // W2 itself for one output
      a2 = L2.wScale,
      b1 = L1.b,
      c1 = L1.bScale;
    const dk = Float32Array.from(w2, (w) => a2 * w); // D_k where unit k is active
    const cb = b1 ? Float32Array.from(b1, (b) => c1 * b) : null; // in float32, as the SIMD pass adds it
    if (!act.relu) return this.factorsPhi(act, dk, cb); // into the same buffers (the SIMD pass's too)
    if (this.simdBuf) return this.simdBuf.factors(dk, cb);
    for (let i = 0; i < n; i++) {
      const o = i * m;
      for (let k = 0; k < m; k++) {
        const u = cb ? Math.fround(U[o + k] + cb[k]) : U[o + k];
        const on = +(u > 0); // branch-free
        H[o + k] = u * on;
        D[o + k] = dk[k] * on;
      }
    }
  }

  /** H = φ(u), D = dk ⊙ φ'(u) with u = U + cb formed as the relu passes form it, for a φ other than relu. */
  private factorsPhi(act: { phi(x: number): number; dphi(x: number): number }, dk: Float32Array, cb: Float32Array | null): void {
    const U = this.U!,
      D = this.D!,
      H = this.H!,
      m = dk.length;
    for (let i = 0; i < this.n; i++) {
      const o = i * m;
      for (let k = 0; k < m; k++) {
        const u = cb ? Math.fround(U[o + k] + cb[k]) : U[o + k];
        H[o + k] = act.phi(u);
        D[o + k] = dk[k] * act.dphi(u);
      }
    }
  }

  /** Recompute Θ̂ for the network's current parameters and summarise it (see KernelUpdate). */
  update(net: Mlp, opts: KernelUpdate = {}): KernelSummary {
    const ref = opts.ref ?? null,
      y = opts.y ?? null,
      consumeXz = opts.consumeXz ?? false;
    const [L1, L2] = net.layers;
    const n = this.n,
      m = L1.fanOut;
    const a2s = L2.wScale ** 2,
      c2s = L2.b ? L2.bScale ** 2 : 0;
    this.factors(net);
    let T = this.theta;
    const prod = (A: F, out: F) =>
      syrk({ rows: n, cols: m, data: A } as Matrix<FloatArray>, { out: { rows: n, cols: n, data: out }, lowerOnly: true });
    if (!this.buf1 || this.buf1.length !== n * n) this.buf1 = this.ws?.P ?? zeros(this.f64, n * n, this.opts.cache);
    const P = this.buf1;
    let fro = 0,
      diff = 0,
      yKy = 0;
    if (this.opts.cache) {
      if (!this.xz) {
        this.xz = this.ws?.xz ?? hugeFloat64(n * n);
        this.xzInto(net, this.xz);
      }
      if (!this.buf2 || this.buf2.length !== n * n) this.buf2 = this.ws?.Q ?? zeros(this.f64, n * n, true);
      prod(this.D!, P); // Σ_k D_k(x) D_k(z)
      prod(this.H!, this.buf2); // Σ_k h_k(x) h_k(z)
    }
    // Θ̂ = x·z ⊙ P + c2² + a2² Q and its sums: in SIMD where the buffers are in its memory
    if (this.ws && (ref === null || ref === this.ws.ref)) ({ fro, diff, yKy } = this.ws.combine(c2s, a2s, ref !== null, y));
    else if (this.opts.cache) {
      const xz = this.xz!,
        Q = this.buf2!;
      // Branch-free inner loop over j < i (counted twice), the diagonal after it. Without a
      // reference the difference is taken against the value just written (0); without targets
      // against zeros.
      const R = ref ?? T,
        Y = y ?? new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const o = i * n;
        let rf = 0,
          rd = 0,
          ry = 0;
        for (let j = 0; j < i; j++) {
          const v = xz[o + j] * P[o + j] + c2s + a2s * Q[o + j];
          T[o + j] = v;
          const e = v - R[o + j];
          rf += v * v;
          rd += e * e;
          ry += v * Y[j];
        }
        const v = xz[o + i] * P[o + i] + c2s + a2s * Q[o + i];
        T[o + i] = v;
        const e = v - R[o + i];
        fro += 2 * rf + v * v;
        diff += 2 * rd + e * e;
        yKy += Y[i] * (2 * ry + v * Y[i]);
      }
    } else {
      let src: Float64Array = T;
      if (this.opts.keepXz) {
        if (!this.xz) {
          this.xz = new Float64Array(n * n);
          this.xzInto(net, this.xz);
        }
        src = this.xz;
        if (consumeXz) {
          // the last use of x·z: Θ̂ is built in its buffer
          this.theta = T = this.xz;
          this.xz = null;
        }
      } else this.xzInto(net, T);
      prod(this.D!, P);
      for (let i = 0; i < n; i++) {
        const o = i * n;
        for (let j = 0; j <= i; j++) T[o + j] = src[o + j] * P[o + j] + c2s;
      }
      prod(this.H!, P);
      for (let i = 0; i < n; i++) {
        const o = i * n,
          yi = y ? y[i] : 0;
        let rf = 0,
          rd = 0,
          ry = 0;
        for (let j = 0; j <= i; j++) {
          const v = T[o + j] + a2s * P[o + j];
          T[o + j] = v;
          const w = j === i ? 1 : 2;
          rf += w * v * v;
          if (ref) {
            const e = v - ref[o + j];
            rd += w * e * e;
          }
          if (y) ry += w * v * y[j];
        }
        fro += rf;
        diff += rd;
        yKy += yi * ry;
      }
    }
    if (!this.opts.cache) this.U = this.D = this.H = this.buf1 = this.simdBuf = null; // large and rarely reused: release the work buffers
    let deltaTheta: number | null = null;
    if (ref) deltaTheta = Math.sqrt(diff / this.squaredNorm(ref));
    let alignment: number | null = null;
    if (y) {
      let yy = 0;
      for (let i = 0; i < n; i++) yy += y[i] * y[i];
      alignment = yKy / (Math.sqrt(fro) * yy);
    }
    const lambdaMax = (opts.lambdaMax ?? true) ? this.topEigenvalue() : NaN;
    return { deltaTheta, lambdaMax, alignment };
  }

  /**
   * The current Θ̂ as the reference of later updates' ΔΘ (e.g. Θ̂_0): a copy, kept in the SIMD
   * workspace where there is one.
   */
  snapshot(): Float64Array {
    this.refNorm = null;
    if (!this.ws) return this.theta.slice();
    this.ws.ref.set(this.theta);
    return this.ws.ref;
  }

  /** ‖ref‖²_F of a lower-triangle kernel, computed once per reference (ΔΘ's denominator every epoch). */
  private squaredNorm(ref: Float64Array): number {
    if (this.refNorm?.ref === ref) return this.refNorm.value;
    const n = this.n;
    let value = 0;
    for (let i = 0; i < n; i++) {
      const o = i * n;
      let r = 0;
      for (let j = 0; j < i; j++) r += ref[o + j] * ref[o + j];
      value += 2 * r + ref[o + i] * ref[o + i];
    }
    this.refNorm = { ref, value };
    return value;
  }

  /** λ_max of the current Θ̂ (Lanczos, warm-started from the previous call's eigenvector). */
  topEigenvalue(): number {
    const A: Mat64 = { rows: this.n, cols: this.n, data: this.theta };
    return topEigenpair(this.n, (x, y) => symvLower(A, x, { y, beta: 0 }), { start: this.eig }).value;
  }

  /** Θ̂ as a full symmetric matrix (a copy). */
  full(): Mat64 {
    const n = this.n,
      out = new Float64Array(n * n),
      T = this.theta;
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) {
        out[i * n + j] = T[i * n + j];
        out[j * n + i] = T[i * n + j];
      }
    return { rows: n, cols: n, data: out };
  }

  /** Release the large buffers. */
  dispose(): void {
    this.xz = this.buf1 = this.buf2 = this.D = this.H = this.U = this.simdBuf = this.ws = null;
  }
}
