/**
 * Worker side of the parallel Gram map: applies reluKernelRow to a range of rows of a
 * SharedArrayBuffer-backed kernel that already holds the inner products (upper part), then,
 * for a symmetric kernel, copies the upper triangle onto the lower one for a range of rows.
 */
import { parentPort } from 'node:worker_threads';
import { reluKernelRow, type ReluNetSpec } from './relu-kernel-recursion.ts';

export interface GramTask {
  K: Float64Array;
  n: number;
  m: number;
  symmetric: boolean;
  rows: [number, number];
  sA: Float64Array[];
  sB: Float64Array[];
  d: number;
  spec: ReluNetSpec;
  ntk: boolean;
}

/** Map rows [r0, r1) in place (j ≥ i only when symmetric). Shared by the main thread and workers. */
export function mapRows(t: GramTask): void {
  const sx = new Float64Array(t.spec.depth - 1);
  for (let i = t.rows[0]; i < t.rows[1]; i++) {
    for (let l = 0; l < sx.length; l++) sx[l] = t.sA[l][i];
    reluKernelRow(t.K.subarray(i * t.m, (i + 1) * t.m), t.symmetric ? i : 0, t.m, sx, t.sB, t.d, t.spec, t.ntk);
  }
}

/** A range of rows of the lower triangle to copy from the upper one. */
export interface MirrorTask {
  mirror: true;
  K: Float64Array;
  n: number;
  rows: [number, number];
}

/**
 * K[i][j] = K[j][i] for j < i, rows i in [r0, r1), in cache-sized tiles. The rows of a task read
 * only the upper triangle, which no task writes, so tasks run at the same time.
 */
export function mirrorRows(a: Float64Array, n: number, [r0, r1]: [number, number]): void {
  const T = 64;
  for (let ib = r0; ib < r1; ib += T) {
    const ie = Math.min(ib + T, r1);
    for (let jb = 0; jb < ie - 1; jb += T)
      for (let i = ib; i < ie; i++) {
        const je = Math.min(jb + T, i);
        for (let j = jb; j < je; j++) a[i * n + j] = a[j * n + i];
      }
  }
}

parentPort?.on('message', (t: GramTask | MirrorTask) => {
  if ('mirror' in t) mirrorRows(t.K, t.n, t.rows);
  else mapRows(t);
  parentPort!.postMessage('done');
});
