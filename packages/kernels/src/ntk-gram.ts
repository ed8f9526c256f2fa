import { Worker } from 'node:worker_threads';
import { fail, progress } from '@tangent/base';
import { backendInfo, gemm, mat64, syrk, type Mat64, type Matrix } from '@tangent/linalg';
import { drain, type Chunked, type RowPass } from './gram-worker.ts';
import { assertFitsInMemory, f64Bytes } from './memory-guard.ts';
import { simdGram, simdMapPass, simdMirrorPass, type SimdGram } from './relu-gram-passes.ts';
import { reluLayerScales, type ReluNetSpec } from './relu-kernel-recursion.ts';

import { activationGram } from './activation-gram.ts';
import type { ActivationName } from './activation-registry.ts';
import type { KernelKind } from './kernel-kind.ts';

/** Θ and Σ of the same network and inputs, from one Gram pass (ntkNngpGram). */
export interface ReluGrams {
  ntk: Mat64;
  nngp: Mat64;
}

export interface GramOptions extends ReluNetSpec {
  /** Threads for the row passes in ntkGramAsync (default: the linalg thread count). */
  threads?: number;
  /** 'ntk' (default): Θ; 'nngp': Σ, the kernel of the network's output at initialisation. */
  kind?: KernelKind;
  /** Memory budget in GB for the output (see memory-guard.ts). */
  maxMemoryGb?: number | null;
  /** Progress bar label. */
  label?: string;
  /** The WebAssembly SIMD row passes where they apply (default true; false: the JavaScript loops, same bits). */
  simd?: boolean;
  /**
   * The network's activation (activation-registry.ts; default 'relu'). ReLU runs the unrolled
   * passes below; any other goes through its dual (activation-gram.ts, single-threaded JavaScript).
   */
  activation?: ActivationName;
}

/** A non-ReLU activation's Gram(s), or null for ReLU (the passes below). */
function otherActivation(X: Matrix, Z: Matrix | undefined, opts: GramOptions, ntk: boolean, nngp: boolean) {
  if ((opts.activation ?? 'relu') === 'relu') return null;
  const spec = { depth: opts.depth ?? 2, sigmaW: opts.sigmaW ?? 1, sigmaB: opts.sigmaB ?? 0 };
  return activationGram(X, Z, { ...spec, activation: opts.activation!, maxMemoryGb: opts.maxMemoryGb }, { ntk, nngp });
}

function toMat64(A: Matrix, what: string): Mat64 {
  if (A.data instanceof Float64Array) return A as Mat64;
  if (A.data instanceof Float32Array) return { rows: A.rows, cols: A.cols, data: Float64Array.from(A.data) };
  fail(`ntkGram: ${what} must be a Mat64 or Mat32`);
}

function sqRowNorms(A: Mat64): Float64Array {
  const out = new Float64Array(A.rows);
  for (let i = 0; i < A.rows; i++) {
    let s = 0;
    for (let k = i * A.cols, e = k + A.cols; k < e; k++) s += A.data[k] * A.data[k];
    out[i] = s;
  }
  return out;
}

/** Checked float64 inputs, the network, and the per-row layer scales sqrt(q_l) (reluLayerScales). */
interface Prepared {
  A: Mat64;
  B: Mat64;
  symmetric: boolean;
  n: number;
  m: number;
  d: number;
  spec: ReluNetSpec;
  /** 'both': Θ and Σ from one pass (two outputs). */
  kind: KernelKind | 'both';
  sA: Float64Array[];
  sB: Float64Array[];
}

function prepare(X: Matrix, Z: Matrix | undefined, opts: GramOptions, both = false): Prepared {
  const spec: ReluNetSpec = { depth: opts.depth ?? 2, sigmaW: opts.sigmaW ?? 1, sigmaB: opts.sigmaB ?? 0 };
  if (!Number.isInteger(spec.depth) || spec.depth < 2) fail(`ntkGram: depth must be an integer ≥ 2 (weight layers), got ${spec.depth}`);
  if (!(spec.sigmaW! > 0) || !(spec.sigmaB! >= 0)) fail(`ntkGram: sigmaW must be > 0 and sigmaB ≥ 0, got ${spec.sigmaW}, ${spec.sigmaB}`);
  const kind = both ? 'both' : (opts.kind ?? 'ntk');
  if (kind !== 'ntk' && kind !== 'nngp' && kind !== 'both') fail(`ntkGram: kind must be 'ntk' or 'nngp', got '${kind}'`);
  const A = toMat64(X, 'X');
  const symmetric = Z === undefined || Z === X;
  const B = symmetric ? A : toMat64(Z!, 'Z');
  if (A.cols !== B.cols) fail(`ntkGram: X has ${A.cols} features but Z has ${B.cols}`);
  const d = A.cols;
  if (d === 0) fail('ntkGram: inputs have no features');
  for (const M of symmetric ? [A] : [A, B])
    for (let i = 0; i < M.data.length; i++)
      if (!Number.isFinite(M.data[i])) fail(`ntkGram: non-finite input at row ${Math.floor(i / d)}, column ${i % d}`);
  const n = A.rows,
    m = B.rows;
  const what = both ? `the ${n}×${m} NTK and NNGP kernel pair` : `the ${n}×${m} ${kind.toUpperCase()} kernel`;
  assertFitsInMemory((both ? 2 : 1) * f64Bytes(n, m), what, opts.maxMemoryGb);
  const sA = reluLayerScales(sqRowNorms(A), d, spec);
  const sB = symmetric ? sA : reluLayerScales(sqRowNorms(B), d, spec);
  return { A, B, symmetric, n, m, d, spec, kind, sA, sB };
}

/**
 * K[i, j] = Θ(x_i, z_j) (or Σ) of the depth-L ReLU network, for rows of X (n×d) against rows
 * of Z (m×d, default X: the symmetric Gram). float64 throughout, in three passes over K: the inner
 * products from one BLAS call, the layer recursion in place row by row (reluKernelRow), and for
 * the symmetric Gram the upper triangle copied from the lower. The symmetric Gram's inner
 * products come from SYRK, which writes only the lower triangle (half the flops of the GEMM),
 * and only that triangle is mapped (half the arc-cosine work). For depth 2 both row passes run in
 * WebAssembly SIMD where they can (relu-gram-passes.ts), with the bits of the JavaScript loops.
 * Memory: the n×m output plus O(n + m). Single-threaded passes; see ntkGramAsync for the parallel
 * ones.
 */
export function ntkGram(X: Matrix, Z?: Matrix, opts: GramOptions = { depth: 2 }): Mat64 {
  const kind = opts.kind ?? 'ntk';
  const other = otherActivation(X, Z, opts, kind === 'ntk', kind === 'nngp');
  if (other) return other[kind]!;
  return gramSerial(prepare(X, Z, opts), opts).K;
}

/**
 * Θ and Σ of the same network from ONE pass: one BLAS call for the inner products and one
 * arc-cosine per entry, since the NTK recursion computes the NNGP on the way (reluKernelRowPair);
 * each output has the bits ntkGram gives it with kind 'ntk' and 'nngp'. `opts.kind` is ignored.
 * Memory: both n×m outputs (the budget check counts both).
 */
export function ntkNngpGram(X: Matrix, Z?: Matrix, opts: GramOptions = { depth: 2 }): ReluGrams {
  const other = otherActivation(X, Z, opts, true, true);
  if (other) return { ntk: other.ntk!, nngp: other.nngp! };
  const { K, S } = gramSerial(prepare(X, Z, opts, true), opts);
  return { ntk: K, nngp: S! };
}

/** ntkNngpGram with the row passes shared by threads, as ntkGramAsync. */
export async function ntkNngpGramAsync(X: Matrix, Z?: Matrix, opts: GramOptions = { depth: 2 }): Promise<ReluGrams> {
  const other = otherActivation(X, Z, opts, true, true);
  if (other) return { ntk: other.ntk!, nngp: other.nngp! };
  const { K, S } = await gramParallel(prepare(X, Z, opts, true), opts);
  return { ntk: K, nngp: S! };
}

/** The output(s): K (Θ or Σ; Θ for 'both') and, for 'both', S = Σ. */
interface GramOut {
  K: Mat64;
  S?: Mat64;
}

/** ntkGram on prepared inputs, all on the calling thread. */
function gramSerial(p: Prepared, opts: GramOptions): GramOut {
  if (p.n === 0 || p.m === 0) return { K: mat64(p.n, p.m), S: p.kind === 'both' ? mat64(p.n, p.m) : undefined };
  const { out, simd } = allocate(p, opts, false);
  innerProducts(p, out.K);
  const bar = gramProgress(p, opts);
  for (const task of rowPasses(p, out, simd)) {
    const job = chunked(p, task, 1, new Int32Array(2));
    drain(job, () => bar.update(job.counter));
    bar.update(job.counter, true);
  }
  bar.stop();
  return out;
}

/** x_i·z_j into K: the lower triangle only (SYRK) for the symmetric Gram, else all of it (GEMM). */
function innerProducts(p: Prepared, K: Mat64): void {
  if (p.symmetric) syrk(p.A, { out: K, lowerOnly: true });
  else gemm(p.A, p.B, { transB: true, out: K });
}

/**
 * The output(s): in a shared WebAssembly memory where the SIMD passes apply (depth 2, ≤ 4 GiB),
 * else plain arrays, or SharedArrayBuffer ones for the workers.
 */
function allocate(p: Prepared, opts: GramOptions, shared: boolean): { out: GramOut; simd?: SimdGram } {
  const both = p.kind === 'both';
  const mat = (data: Float64Array): Mat64 => ({ rows: p.n, cols: p.m, data });
  const wasm = p.spec.depth === 2 && opts.simd !== false ? simdGram(p.n, p.m, p.sA[0], p.sB[0], both) : null;
  if (wasm) return { out: { K: mat(wasm.K), S: wasm.S && mat(wasm.S) }, simd: wasm.gram };
  const data = () => (shared ? new Float64Array(new SharedArrayBuffer(8 * p.n * p.m)) : new Float64Array(p.n * p.m));
  return { out: { K: mat(data()), S: both ? mat(data()) : undefined } };
}

/** The map, then (symmetric) the mirror of each output: the row passes after the inner products. */
function rowPasses(p: Prepared, out: GramOut, simd?: SimdGram): RowPass[] {
  const ntk = p.kind !== 'nngp';
  const map: RowPass = simd
    ? simdMapPass(simd, p.m, p.symmetric, p.d, p.spec.sigmaW! ** 2, p.spec.sigmaB! ** 2, p.kind)
    : { pass: 'map', K: out.K.data, m: p.m, symmetric: p.symmetric, sA: p.sA, sB: p.sB, d: p.d, spec: p.spec, ntk, S: out.S?.data };
  if (!p.symmetric) return [map];
  const mirrors: RowPass[] = simd ? [simdMirrorPass(simd, p.n, 'K')] : [{ pass: 'mirror', K: out.K.data, n: p.n }];
  if (out.S) mirrors.push(simd ? simdMirrorPass(simd, p.n, 'S') : { pass: 'mirror', K: out.S.data, n: p.n });
  return [map, ...mirrors];
}

/**
 * A pass in chunks of equal work (row i of the symmetric map costs i + 1, of the mirror n − 1 − i):
 * several per thread, so that the threads finish together on a busy machine, and ~64 rows each,
 * so the progress bar moves and the WebAssembly pass, whose first calls run V8's baseline code,
 * is soon called again in its optimised form (a first Gram of 7613 rows: 0.80 → 0.57 s).
 */
function chunked(p: Prepared, task: RowPass, threads: number, counter: Int32Array): Chunked {
  const parts = Math.min(p.n, Math.max(8 * threads, Math.ceil(p.n / 64)));
  const mirror = task.pass === 'mirror' || (task.pass === 'simd' && task.fn === 'mirrorRows');
  const weight = mirror ? (i: number) => p.n - 1 - i : p.symmetric ? (i: number) => i + 1 : () => 1;
  return { task, chunks: balancedRows(p.n, parts, weight), counter };
}

/** A bar over all row passes, moved by the rows done so far (whichever thread did them). */
function gramProgress(p: Prepared, opts: GramOptions) {
  const passes = p.symmetric ? (p.kind === 'both' ? 3 : 2) : 1;
  const bar = progress(opts.label ?? `${p.kind === 'both' ? 'ntk+nngp' : p.kind} gram ${p.n}×${p.m}`, passes * p.n, 'row passes');
  let shown = 0,
    before = 0;
  return {
    /** Rows done in the current pass, from its counter; `next` closes the pass. */
    update(counter: Int32Array, next = false) {
      const done = before + Atomics.load(counter, 1);
      bar.tick(done - shown);
      shown = done;
      if (next) before = shown;
    },
    stop: () => bar.stop(),
  };
}

/** Row ranges of equal work, row i costing weight(i). */
function balancedRows(n: number, parts: number, weight: (i: number) => number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let total = 0;
  for (let i = 0; i < n; i++) total += weight(i);
  let start = 0,
    acc = 0;
  for (let p = 1; p <= parts; p++) {
    let end = start;
    const goal = (total * p) / parts;
    while (end < n && acc + weight(end) <= goal + 1e-9) acc += weight(end++);
    if (p === parts) end = n;
    out.push([start, end]);
    start = end;
  }
  return out;
}

const bootUrl = new URL('./gram-worker-boot.mjs', import.meta.url);

/** Atomics.waitAsync (ES2024, in Node ≥ 16; the project's TypeScript lib is ES2023). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(a: Int32Array, index: number, value: number): { async: boolean; value: Promise<string> | string };
  }
).waitAsync;

/**
 * ntkGram with its row passes shared by `threads` threads (the main thread and workers) on an
 * output in shared memory (a WebAssembly memory for the SIMD passes). The inner products run
 * first on the main thread (BLAS is threaded already) while the workers start; the main thread
 * never waits for a worker that has not started: it takes the chunks itself and waits only for
 * chunks a worker has taken.
 */
export async function ntkGramAsync(X: Matrix, Z?: Matrix, opts: GramOptions = { depth: 2 }): Promise<Mat64> {
  if ((opts.activation ?? 'relu') !== 'relu') return ntkGram(X, Z, opts);
  return (await gramParallel(prepare(X, Z, opts), opts)).K;
}

/** The threaded passes of ntkGramAsync and ntkNngpGramAsync on prepared inputs. */
async function gramParallel(p: Prepared, opts: GramOptions): Promise<GramOut> {
  const threads = Math.max(1, Math.floor(opts.threads ?? backendInfo().threads));
  // Below a few million entries a worker's start-up (~0.1 s; ~0.4 s where the JavaScript passes
  // load TypeScript) costs more than it saves.
  if (threads === 1 || p.n * p.m < 4_000_000) return gramSerial(p, opts);
  const { out, simd } = allocate(p, opts, true);
  const workers = Array.from({ length: threads - 1 }, () => new Worker(bootUrl, { execArgv: [] }));
  let failed!: (e: unknown) => void;
  const failure = new Promise<never>((_, reject) => (failed = reject));
  for (const w of workers) w.once('error', (e) => failed(e));
  failure.catch(() => undefined); // a worker failing after its chunks were done changes nothing
  try {
    innerProducts(p, out.K);
    const bar = gramProgress(p, opts);
    for (const task of rowPasses(p, out, simd)) {
      const job = chunked(p, task, threads, new Int32Array(new SharedArrayBuffer(8)));
      for (const w of workers) w.postMessage(job);
      drain(job, () => bar.update(job.counter));
      for (let done = Atomics.load(job.counter, 1); done < p.n; done = Atomics.load(job.counter, 1)) {
        const w = waitAsync(job.counter, 1, done);
        if (w.async) await Promise.race([w.value, failure]);
      }
      bar.update(job.counter, true);
    }
    bar.stop();
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return out;
}
