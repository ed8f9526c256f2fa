/**
 * The elementwise passes of the two-layer network, in WebAssembly SIMD (two-layer-passes.wat):
 * over the N×m hidden layer, the readout f = a2 relu(U + cb)·W2 + off (optionally leaving the
 * activation mask 1[u > 0] in U for the backward pass) and the empirical-NTK factors H = relu(u),
 * D = a2 W2 ⊙ 1[u > 0]; over the tracked n×n kernel, Θ = xz ⊙ P + c2² + a2² Q with its three
 * summaries. V8 does not vectorise the JavaScript loops. Measured on one core: a readout at
 * N = 6091, m = 4096 takes 79 ms in JavaScript vs 19 ms here, with bit-identical outputs (float32
 * products are exact in float64 and summed there, as the JavaScript loop does); the kernel pass
 * at n = 1000, 5.0 vs 1.8 ms (sums equal to 1e-15); the float64 factors of a float64 empirical
 * NTK of 2000 points at m = 4096 save ~50 ms of its ~0.7 s.
 *
 * WebAssembly code reads only its own linear memory, so these buffers live there: each owner gets
 * a WebAssembly.Memory of its own, laid out once; the BLAS reads and writes it through typed-array
 * views like any other array (koffi passes the view's address). A layout beyond wasm32's 4 GiB, an
 * engine without SIMD, or TANGENT_SIMD=0 gets null: the caller keeps its JavaScript loop.
 */
import { WASM_MAX_PAGES, WASM_PAGE, simdModule, wasmApi } from '@tangent/base';
import { adviseHugePages } from '@tangent/linalg';
import wasmBase64 from './two-layer-passes-wasm.ts';

interface Exports {
  reluReadout(u: number, rows: number, m: number, w2: number, cb: number, out: number, a2: number, off: number, mask: number): void;
  reluFactors(u: number, rows: number, m: number, dk: number, cb: number, h: number, d: number, wide: number): void;
  combineKernel(n: number, xz: number, p: number, q: number, t: number, r: number, y: number, c2s: number, a2s: number, out: number): void;
}

type Region = [count: number, type: typeof Float32Array | typeof Float64Array];
type Floats = Float32Array | Float64Array;

interface Carved {
  views: Floats[];
  offsets: number[];
  ex: Exports;
}

/** Typed-array regions of one fresh memory, one after another (16-byte aligned); null when they do not fit. */
function carve(regions: Region[], hugePages: number[] = []): Carved | null {
  const mod = simdModule(wasmBase64);
  if (!mod) return null;
  const offsets: number[] = [];
  let bytes = 0;
  for (const [n, T] of regions) {
    offsets.push(bytes);
    bytes += Math.ceil((n * T.BYTES_PER_ELEMENT) / 16) * 16;
  }
  const pages = Math.max(1, Math.ceil(bytes / WASM_PAGE));
  if (pages > WASM_MAX_PAGES) return null;
  let memory: { buffer: ArrayBuffer };
  try {
    memory = new wasmApi!.Memory({ initial: pages, maximum: pages });
  } catch {
    return null; // address space refused: the JavaScript loops
  }
  const ex = new wasmApi!.Instance(mod, { env: { memory } }).exports as Exports;
  const views = regions.map(([n, T], i) => new T(memory.buffer, offsets[i], n));
  // Advised before the first touch (a fresh memory is untouched); only buffers a hot loop reuses.
  for (const i of hugePages) adviseHugePages(views[i]);
  return { views, offsets, ex };
}

/** A WebAssembly memory laid out by carve(), with the module instance bound to it. */
abstract class WasmBuffers {
  protected readonly at: number[];
  protected readonly ex: Exports;

  protected constructor(c: Carved) {
    this.at = c.offsets;
    this.ex = c.ex;
  }
}

/** A rows×m pre-activation buffer U with the readout pass. */
export class ReadoutBuffer extends WasmBuffers {
  /** U (row-major rows×m): the sgemm writes a1 X W1ᵀ here; after readout(…, true) it holds the mask. */
  readonly U: Float32Array;
  private readonly w2: Float32Array;
  private readonly cb: Float32Array;
  private readonly out: Float32Array;

  private constructor(c: Carved) {
    super(c);
    [this.U, this.w2, this.cb, this.out] = c.views as Float32Array[];
  }

  /** null where WebAssembly SIMD is unavailable or the buffer exceeds 4 GiB; `reused`: huge pages (see linalg). */
  static create(rows: number, m: number, reused: boolean): ReadoutBuffer | null {
    const c = carve(
      [
        [rows * m, Float32Array],
        [m, Float32Array],
        [m, Float32Array],
        [rows, Float32Array],
      ],
      reused ? [0] : [],
    );
    return c && new ReadoutBuffer(c);
  }

  get rows(): number {
    return this.out.length;
  }

  /**
   * out_i = a2 Σ_k relu(U_ik + cb_k) w2_k + off (cb: the bias term c1 b1, or null) for rows
   * r0 ≤ i < r1 (default all); with `mask`, U ← 1[U + cb > 0] on the way.
   */
  readout(
    w2: Float32Array,
    cb: Float32Array | null,
    a2: number,
    off: number,
    mask: boolean,
    out: Float32Array,
    r0 = 0,
    r1 = this.rows,
  ): Float32Array {
    const m = this.w2.length;
    this.w2.set(w2);
    if (cb) this.cb.set(cb);
    else this.cb.fill(0);
    const [u, pw, pc, po] = this.at;
    this.ex.reluReadout(u + r0 * m * 4, r1 - r0, m, pw, pc, po + r0 * 4, a2, off, mask ? 1 : 0);
    out.set(this.out.subarray(r0, r1), r0);
    return out;
  }
}

/** A rows×m pre-activation buffer U with the factor pass into H and D (float32, or float64). */
export class FactorBuffer extends WasmBuffers {
  readonly U: Float32Array;
  readonly H: Floats;
  readonly D: Floats;
  private readonly dk: Float32Array;
  private readonly cb: Float32Array;

  private constructor(c: Carved) {
    super(c);
    [this.U, this.H, this.D, this.dk, this.cb] = c.views as [Float32Array, Floats, Floats, Float32Array, Float32Array];
  }

  /**
   * U in float32 (the sgemm output), H and D in float32 or, with `f64`, float64 (for float64
   * kernel GEMMs). null where WebAssembly SIMD is unavailable or the buffers exceed 4 GiB;
   * `reused`: huge pages (see linalg).
   */
  static create(rows: number, m: number, reused: boolean, f64 = false): FactorBuffer | null {
    const F = f64 ? Float64Array : Float32Array;
    const c = carve(
      [
        [rows * m, Float32Array],
        [rows * m, F],
        [rows * m, F],
        [m, Float32Array],
        [m, Float32Array],
      ],
      reused ? [0, 1, 2] : [],
    );
    return c && new FactorBuffer(c);
  }

  /** H = relu(U + cb), D = dk ⊙ 1[U + cb > 0] (dk = a2 W2; cb = c1 b1 or null), computed in float32. */
  factors(dk: Float32Array, cb: Float32Array | null): void {
    this.dk.set(dk);
    if (cb) this.cb.set(cb);
    else this.cb.fill(0);
    const [u, h, d, pk, pc] = this.at;
    this.ex.reluFactors(u, this.U.length / this.dk.length, this.dk.length, pk, pc, h, d, +(this.H instanceof Float64Array));
  }
}

/**
 * The tracked subset's kernel buffers (n×n, lower triangles used): x·z factor, Θ, a reference
 * Θ_ref (ΔΘ), the two sgemm outputs P = D Dᵀ and Q = H Hᵀ, and the targets.
 */
export class KernelWorkspace extends WasmBuffers {
  readonly xz: Float64Array;
  readonly theta: Float64Array;
  /** The reference kernel ΔΘ is measured against (TwoLayerKernel.snapshot() copies Θ here). */
  readonly ref: Float64Array;
  readonly P: Float32Array;
  readonly Q: Float32Array;
  private readonly y: Float32Array;
  private readonly sums: Float64Array;

  private constructor(c: Carved) {
    super(c);
    [this.xz, this.theta, this.ref, this.P, this.Q, this.y, this.sums] = c.views as [
      Float64Array,
      Float64Array,
      Float64Array,
      Float32Array,
      Float32Array,
      Float32Array,
      Float64Array,
    ];
  }

  static create(n: number): KernelWorkspace | null {
    const nn = n * n;
    const c = carve(
      [
        [nn, Float64Array],
        [nn, Float64Array],
        [nn, Float64Array],
        [nn, Float32Array],
        [nn, Float32Array],
        [n, Float32Array],
        [3, Float64Array],
      ],
      [0, 1, 2, 3, 4],
    );
    return c && new KernelWorkspace(c);
  }

  /**
   * Θ = xz ⊙ P + c2s + a2s Q into theta (lower triangle) and its sums ‖Θ‖²_F, ‖Θ − R‖²_F, yᵀΘy,
   * R = this.ref (withRef) or Θ itself (difference 0), y = the targets or zeros.
   */
  combine(c2s: number, a2s: number, withRef: boolean, y: ArrayLike<number> | null): { fro: number; diff: number; yKy: number } {
    if (y) this.y.set(y);
    else this.y.fill(0);
    const [xz, t, r, p, q, py, out] = this.at;
    this.ex.combineKernel(this.y.length, xz, p, q, t, withRef ? r : t, py, c2s, a2s, out);
    return { fro: this.sums[0], diff: this.sums[1], yKy: this.sums[2] };
  }
}
