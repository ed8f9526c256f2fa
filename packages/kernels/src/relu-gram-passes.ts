/**
 * The Gram's row passes in WebAssembly SIMD (relu-gram-passes.wat) for the depth-2 network, the
 * pipeline's case: the arc-cosine map and the mirror, in place over a kernel that lives in a
 * shared WebAssembly memory, so the BLAS writes the inner products there, the main thread and the
 * workers bind the same memory, and the caller gets a Float64Array view of it. The map gives the
 * bits of the JavaScript loop (reluKernelRow with Math.acos: fdlibm's algorithm, no fused
 * multiply-adds); measured on one core it is ~1.4× faster (three divisions and two square roots
 * per pair of entries bound it), and the mirror ~2× (0.19 vs 0.36–0.42 s at n = 7613). A kernel beyond wasm32's 4 GiB, a
 * deeper network, an engine without SIMD or TANGENT_SIMD=0 keeps the JavaScript passes.
 */
import { WASM_MAX_PAGES, WASM_PAGE, simdModule, wasmApi } from '@tangent/base';
import wasmBase64 from './relu-gram-passes-wasm.ts';

/**
 * An n×m kernel (or two: Θ in K and Σ in S, from one pass) in a shared WebAssembly memory, with
 * the row and column scales √q after it.
 */
export interface SimdGram {
  module: object;
  memory: object;
  /** Byte offsets of K, of S (= K when there is one kernel), of √q(x_i) and of √q(z_j). */
  at: { K: number; S: number; sA: number; sB: number };
}

/**
 * A row pass as one export of the module, called as fn(...head, r0, r1, ...tail) on each range of
 * rows: plain data, so a worker runs it without loading this package (gram-worker-boot.mjs).
 */
export interface SimdPass {
  pass: 'simd';
  gram: SimdGram;
  fn: 'mapRows' | 'mirrorRows';
  head: number[];
  tail: number[];
}

/** The kernel's memory (two kernels' with `pair`), or null where the JavaScript passes run (see above). */
export function simdGram(
  n: number,
  m: number,
  sA: Float64Array,
  sB: Float64Array,
  pair = false,
): { gram: SimdGram; K: Float64Array; S?: Float64Array } | null {
  const module = simdModule(wasmBase64);
  if (!module) return null;
  // 16 spare bytes after K and after each scale vector: a row's odd last entry is read as a pair.
  const at = { K: 0, S: pair ? 8 * n * m + 16 : 0, sA: 0, sB: 0 };
  at.sA = pair ? at.S + 8 * n * m + 16 : 8 * n * m + 16;
  at.sB = sA === sB ? at.sA : at.sA + 8 * n + 16;
  const bytes = at.sB + 8 * m + 16;
  const pages = Math.ceil(bytes / WASM_PAGE);
  if (pages > WASM_MAX_PAGES) return null;
  let memory: { buffer: ArrayBuffer };
  try {
    memory = new wasmApi!.Memory({ initial: pages, maximum: pages, shared: true });
  } catch {
    return null; // address space refused
  }
  new Float64Array(memory.buffer, at.sA, n).set(sA);
  new Float64Array(memory.buffer, at.sB, m).set(sB);
  const S = pair ? new Float64Array(memory.buffer, at.S, n * m) : undefined;
  return { gram: { module, memory, at }, K: new Float64Array(memory.buffer, 0, n * m), S };
}

/**
 * The depth-2 map in place (the arguments of reluKernelRow's unrolled case), rows of length m:
 * K becomes Θ ('ntk') or Σ ('nngp'), or Θ with Σ written to S ('both').
 */
export function simdMapPass(
  gram: SimdGram,
  m: number,
  symmetric: boolean,
  d: number,
  w2: number,
  b2: number,
  out: 'ntk' | 'nngp' | 'both',
): SimdPass {
  const { K, S, sA, sB } = gram.at;
  const mode = out === 'nngp' ? 0 : out === 'ntk' ? 1 : 2;
  return {
    pass: 'simd',
    gram,
    fn: 'mapRows',
    head: [K, S, m],
    tail: [symmetric ? 1 : 0, sA, sB, w2 / d, b2, w2 / 2, 1 / Math.PI, mode],
  };
}

/** linalg's mirrorLower over upper rows of the n×n kernel K (or of S). */
export function simdMirrorPass(gram: SimdGram, n: number, which: 'K' | 'S' = 'K'): SimdPass {
  return { pass: 'simd', gram, fn: 'mirrorRows', head: [gram.at[which], n], tail: [] };
}

// One instance per memory and thread.
type Exports = Record<SimdPass['fn'], (...args: number[]) => void>;
const instances = new WeakMap<object, Exports>();

/** Rows [r0, r1) of a SIMD pass. */
export function simdRows(t: SimdPass, [r0, r1]: [number, number]): void {
  let ex = instances.get(t.gram.memory);
  if (!ex) instances.set(t.gram.memory, (ex = new wasmApi!.Instance(t.gram.module, { env: { memory: t.gram.memory } }).exports as Exports));
  ex[t.fn](...t.head, r0, r1, ...t.tail);
}
