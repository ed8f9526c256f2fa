/**
 * Worker side of the parallel Gram map: applies reluKernelRow to a range of rows of a
 * SharedArrayBuffer-backed kernel that already holds the inner products (upper part).
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

parentPort?.on('message', (t: GramTask) => {
  mapRows(t);
  parentPort!.postMessage('done');
});
