/**
 * The row passes of a Gram that already holds its inner products: the ReLU-kernel map in place
 * and, for a symmetric Gram, the upper triangle from the lower one. The main thread and the
 * workers (gram-worker-boot.mjs) run the same code on a kernel in shared memory, taking chunks of
 * rows from a shared counter until none is left, so a thread that gets less of a busy machine
 * simply takes fewer chunks.
 */
import { mirrorLower } from '@tangent/linalg';
import { simdRows, type SimdPass } from './relu-gram-passes.ts';
import { reluKernelRow, reluKernelRowPair, type ReluNetSpec } from './relu-kernel-recursion.ts';

export interface MapPass {
  pass: 'map';
  K: Float64Array;
  m: number;
  /** Symmetric: row i holds x_i·x_j for j ≤ i only (syrk's lower triangle), and only those are mapped. */
  symmetric: boolean;
  sA: Float64Array[];
  sB: Float64Array[];
  d: number;
  spec: ReluNetSpec;
  ntk: boolean;
  /** Both kernels from one pass: K becomes Θ and S (same shape) gets Σ; `ntk` is then ignored. */
  S?: Float64Array;
}

export interface MirrorPass {
  pass: 'mirror';
  K: Float64Array;
  n: number;
}

/** The JavaScript passes, or their WebAssembly SIMD versions (same bits) where K lives in a WebAssembly memory. */
export type RowPass = MapPass | MirrorPass | SimdPass;

/** One pass over rows [r0, r1). */
export function runRows(t: RowPass, rows: [number, number]): void {
  if (t.pass === 'simd') return simdRows(t, rows);
  if (t.pass === 'mirror') return mirrorLower(t.n, t.K, rows);
  const sx = new Float64Array(t.spec.depth - 1);
  for (let i = rows[0]; i < rows[1]; i++) {
    for (let l = 0; l < sx.length; l++) sx[l] = t.sA[l][i];
    const k = t.K.subarray(i * t.m, (i + 1) * t.m),
      len = t.symmetric ? i + 1 : t.m;
    if (t.S) reluKernelRowPair(k, t.S.subarray(i * t.m, (i + 1) * t.m), 0, len, sx, t.sB, t.d, t.spec);
    else reluKernelRow(k, 0, len, sx, t.sB, t.d, t.spec, t.ntk);
  }
}

/** A pass split into chunks; counter[0] is the next chunk to take, counter[1] the rows done. */
export interface Chunked {
  task: RowPass;
  chunks: Array<[number, number]>;
  counter: Int32Array;
}

/** Take chunks until none is left; `after` runs after each (the main thread's progress bar). */
export function drain({ task, chunks, counter }: Chunked, after?: () => void): void {
  for (let c = Atomics.add(counter, 0, 1); c < chunks.length; c = Atomics.add(counter, 0, 1)) {
    runRows(task, chunks[c]);
    Atomics.add(counter, 1, chunks[c][1] - chunks[c][0]);
    Atomics.notify(counter, 1);
    after?.();
  }
}
