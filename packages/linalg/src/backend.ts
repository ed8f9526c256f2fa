/**
 * Kernel backends. Each works on raw row-major contiguous arrays (leading dimension = column
 * count); `ops.ts` validates shapes and allocates. The backend is picked once, lazily:
 * TANGENT_BLAS=openblas|ort|ts|auto (auto: native BLAS/LAPACK, then onnxruntime, then TS).
 */
import { availableParallelism } from 'node:os';
import { fail } from '@tangent/base';
import type { FloatArray } from './matrix.ts';
import { gemmRef, potrfLowerRef, syevRef, syrkLowerRef, trsmLeftRef } from './reference.ts';

export type BackendName = 'openblas' | 'ort' | 'ts';

export interface Backend {
  name: BackendName;
  /** The shared library or runtime behind it. */
  library: string;
  threads: number;
  /** C = alpha·op(A)·op(B) + beta·C; op(A) m×k, op(B) k×n; A, B, C the same array type. */
  gemm(
    ta: boolean,
    tb: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: FloatArray,
    b: FloatArray,
    beta: number,
    c: FloatArray,
  ): void;
  /** Lower triangle of C = alpha·A·Aᵀ (A n×k), or alpha·Aᵀ·A (trans, A k×n). */
  syrkLower(trans: boolean, n: number, k: number, alpha: number, a: FloatArray, c: FloatArray): void;
  /** In-place lower Cholesky; returns 0 or the 1-based failing pivot. Strict upper part: unspecified. */
  potrfLower(n: number, a: FloatArray): number;
  /** B (n×m) := op(T)⁻¹·B, T triangular n×n. */
  trsmLeft(lower: boolean, trans: boolean, n: number, m: number, t: FloatArray, b: FloatArray): void;
  /** y := alpha·A·x + beta·y with A symmetric n×n, only its lower triangle read (BLAS xSYMV); optional. */
  symvLower?(n: number, alpha: number, a: FloatArray, x: FloatArray, beta: number, y: FloatArray): void;
  /** Symmetric eigensolver for large n; `a` becomes the eigenvectors (column j ↔ w[j] ascending). Returns LAPACK info. */
  syev?(n: number, a: Float64Array, w: Float64Array): number;
  setThreads?(n: number): void;
}

export const tsBackend: Backend = {
  name: 'ts',
  library: 'plain TypeScript',
  threads: 1,
  gemm: gemmRef,
  syrkLower: syrkLowerRef,
  potrfLower: potrfLowerRef,
  trsmLeft: trsmLeftRef,
};

/** Threads for native kernels: TANGENT_THREADS, else every core the process may use. */
export function defaultThreads(): number {
  const env = Number(process.env.TANGENT_THREADS);
  return Number.isInteger(env) && env > 0 ? env : availableParallelism();
}

type Loader = () => Backend;
const loaders = new Map<BackendName, Loader>();
const loaded = new Map<BackendName, Backend | Error>();
let current: Backend | null = null;
let announced = false;

/** Registered by native.ts / ort.ts (kept out of this file so it has no native imports). */
export function registerBackend(name: BackendName, load: Loader): void {
  loaders.set(name, load);
}

/** Load (once) a backend by name; an Error records why it is unavailable. */
export function tryLoad(name: BackendName): Backend | Error {
  if (name === 'ts') return tsBackend;
  const hit = loaded.get(name);
  if (hit) return hit;
  const load = loaders.get(name);
  let r: Backend | Error;
  try {
    if (!load) throw new Error('not registered');
    r = load();
  } catch (e) {
    r = e instanceof Error ? e : new Error(String(e));
  }
  loaded.set(name, r);
  return r;
}

/** Names of the backends that load on this machine, best first. */
export function availableBackends(): BackendName[] {
  return (['openblas', 'ort', 'ts'] as BackendName[]).filter((n) => !(tryLoad(n) instanceof Error));
}

function choose(): Backend {
  const want = (process.env.TANGENT_BLAS ?? 'auto').toLowerCase();
  if (want !== 'auto' && want !== 'openblas' && want !== 'ort' && want !== 'ts')
    fail(`TANGENT_BLAS=${want}: unknown backend; use openblas, ort, ts or auto`);
  if (want !== 'auto') {
    const b = tryLoad(want as BackendName);
    if (b instanceof Error) fail(`TANGENT_BLAS=${want}: backend unavailable (${b.message.split('\n')[0]})`);
    return b;
  }
  for (const n of ['openblas', 'ort'] as BackendName[]) {
    const b = tryLoad(n);
    if (!(b instanceof Error)) return b;
  }
  return tsBackend;
}

export function backend(): Backend {
  if (!current) {
    current = choose();
    if (!announced && !process.env.TANGENT_QUIET) {
      announced = true;
      process.stderr.write(
        `linalg: backend ${current.name} (${current.library}, ${current.threads} thread${current.threads === 1 ? '' : 's'})\n`,
      );
    }
  }
  return current;
}

/** Switch backend in-process (tests, benchmarks); 'auto' re-runs the environment choice. */
export function setBackend(name: BackendName | 'auto'): Backend {
  if (name === 'auto') {
    current = null;
    return backend();
  }
  const b = tryLoad(name);
  if (b instanceof Error) fail(`linalg: backend '${name}' unavailable (${b.message.split('\n')[0]})`);
  current = b;
  return b;
}

export function backendInfo(): { name: BackendName; library: string; threads: number } {
  const b = backend();
  return { name: b.name, library: b.library, threads: b.threads };
}

/** Set the thread count of the current backend (no-op for single-threaded ones). */
export function setThreads(n: number): void {
  const b = backend();
  b.setThreads?.(n);
}

/** True when a fast eigensolver (native LAPACK) is available for large matrices. */
export function hasEigh(): boolean {
  return backend().syev !== undefined;
}

export { syevRef };
