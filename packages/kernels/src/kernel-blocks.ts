import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fail } from '@tangent/base';
import { gemm, mat32, mat64, rowsView, type FloatArray, type Mat64, type Matrix } from '@tangent/linalg';
import { ntkGram, ntkGramAsync, type GramOptions } from './ntk-gram.ts';

/**
 * Streaming kernel products for N too large for an N×N (or even N×M) matrix: the cross kernel
 * K(X, C) is produced `blockRows` rows at a time by ntkGram (one GEMM through BLAS for the inner
 * products, then the ReLU layer recursion in place), consumed, and dropped. Scratch is
 * O(blockRows·M); nothing N×N is ever allocated.
 */
export interface KernelBlockOptions extends GramOptions {
  /** Rows of X per kernel block (default 2048). */
  blockRows?: number;
}

/**
 * Free the kernel blocks already dropped. ntkGram and ntkGramAsync put each kernel in a fresh
 * shared WebAssembly memory (or SharedArrayBuffer), which V8 does not weigh as heap: a loop over
 * blocks grows the RSS by one block per call until a collection happens to run (measured: 40
 * blocks of 33 MB, 1.5 GB; with a collection after each, 0.35 GB). A memory budget that streams
 * blocks therefore collects once `BLOCK_COLLECT_BYTES` of blocks have been dropped; a collection
 * of this package's small heap takes milliseconds against a block's hundreds.
 */
export const BLOCK_COLLECT_BYTES = 64 * 2 ** 20;
let dropped = 0;
let gc: (() => void) | null = null;
export function dropKernelBlock(bytes: number): void {
  dropped += bytes;
  if (dropped < BLOCK_COLLECT_BYTES) return;
  dropped = 0;
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/** Calls fn(r0, r1, K[r0:r1, :]) for consecutive row blocks of K(X, C); the block is reused. */
export function forEachKernelBlock(X: Matrix, C: Matrix, opts: KernelBlockOptions, fn: (r0: number, r1: number, Kb: Mat64) => void): void {
  const b = Math.max(1, Math.floor(opts.blockRows ?? 2048));
  for (let r0 = 0; r0 < X.rows; r0 += b) {
    const r1 = Math.min(X.rows, r0 + b);
    const Kb = ntkGram(rowsView(X, r0, r1), C, { ...opts, label: opts.label ?? 'kernel block' });
    fn(r0, r1, Kb);
    dropKernelBlock(Kb.data.byteLength);
  }
}

/**
 * K(X, C)·A (rows(X) × cols(A)) with the kernel made in blocks of at most BUILD_BLOCK_ENTRIES
 * entries by ntkGramAsync (every thread maps a block), each consumed by one GEMM and dropped:
 * predictions f(X) = K(X, C) α.
 */
export async function kernelTimes(X: Matrix, C: Matrix, A: Mat64, opts: KernelBlockOptions): Promise<Mat64> {
  if (A.rows !== C.rows) fail(`kernelTimes: ${A.rows} coefficient rows for ${C.rows} centres`);
  const out = mat64(X.rows, A.cols);
  const rb = Math.max(1, Math.floor(BUILD_BLOCK_ENTRIES / Math.max(1, C.rows)));
  for (let r0 = 0; r0 < X.rows; r0 += rb) {
    const r1 = Math.min(X.rows, r0 + rb);
    const Kb = await ntkGramAsync(rowsView(X, r0, r1), C, opts);
    gemm(Kb, A, { out: rowsView(out, r0, r1) });
    dropKernelBlock(Kb.data.byteLength);
  }
  return out;
}

/** How K_nM is held: 'float32' halves the memory and the bytes each CG iteration reads. */
export type CrossKernelDtype = 'float32' | 'float64';

/**
 * A linear operator for K_nM (n×M) and its transpose, either from a stored matrix or streamed in
 * blocks. `times(V)` = K_nM V (n×k), `timesT(U)` = K_nMᵀ U (M×k), and `normal(V)` = K_nMᵀ (K_nM V)
 * in one pass over the blocks (the Falkon iteration's only large product). Inputs and results are
 * float64 whatever the storage: a float32 K_nM is multiplied in float32 one row block at a time and
 * the block results are summed in float64, so no float32 sum runs over more than one block's rows
 * (K_nM V: M terms; K_nMᵀ U: `productRows` terms).
 */
export interface CrossKernel {
  readonly n: number;
  readonly m: number;
  /** 'stored': K_nM held in memory; 'streamed': recomputed block by block. */
  readonly mode: 'stored' | 'streamed';
  /** Storage precision of a stored K_nM ('float64' for a streamed one: its blocks are float64). */
  readonly dtype: CrossKernelDtype;
  times(V: Mat64): Promise<Mat64>;
  timesT(U: Mat64): Promise<Mat64>;
  normal(V: Mat64, rowMask?: Uint8Array): Promise<Mat64>;
  /** Rows [r0, r1) as an operator of their own: a view of the stored matrix, or the rows' blocks when streamed. */
  rows(r0: number, r1: number): CrossKernel;
  /** Columns `cols` (positions among the M centres) as an operator: copied from the stored matrix, not recomputed. */
  columns(cols: ArrayLike<number>): CrossKernel;
}

function checkRhs(V: Mat64, rows: number, what: string): void {
  if (V.rows !== rows) fail(`CrossKernel.${what}: right-hand side has ${V.rows} rows, expected ${rows}`);
}

function checkRange(r0: number, r1: number, n: number): void {
  if (!(Number.isInteger(r0) && Number.isInteger(r1) && 0 <= r0 && r0 <= r1 && r1 <= n))
    fail(`CrossKernel.rows: [${r0}, ${r1}) is not a row range of an operator with ${n} rows`);
}

/** V in the storage's dtype (a float64 V is used as it is). */
function as<T extends FloatArray>(like: T, V: Mat64): Matrix<T> {
  return (like instanceof Float64Array ? V : mat32(V.rows, V.cols, new Float32Array(V.data))) as Matrix<T>;
}

function addInto(out: Float64Array, src: FloatArray, at = 0): void {
  for (let i = 0; i < src.length; i++) out[at + i] += src[i];
}

/**
 * The three products over row blocks of K_nM (each block float32 or float64, from memory or
 * freshly computed). A block's products are one GEMM each into scratch of its dtype; float32
 * results are widened into the float64 outputs block by block.
 */
function blockOps(n: number, m: number, each: (fn: (r0: number, r1: number, Kb: Matrix) => void) => Promise<void>) {
  return {
    async times(V: Mat64): Promise<Mat64> {
      checkRhs(V, m, 'times');
      const out = mat64(n, V.cols);
      await each((r0, r1, Kb) => {
        if (Kb.data instanceof Float64Array) gemm(Kb as Mat64, V, { out: rowsView(out, r0, r1) });
        else out.data.set(gemm(Kb, as(Kb.data, V)).data, r0 * V.cols);
      });
      return out;
    },
    async timesT(U: Mat64): Promise<Mat64> {
      checkRhs(U, n, 'timesT');
      const out = mat64(m, U.cols);
      await each((r0, r1, Kb) => {
        const Ub = rowsView(U, r0, r1);
        if (Kb.data instanceof Float64Array) gemm(Kb as Mat64, Ub, { transA: true, out, beta: 1 });
        else addInto(out.data, gemm(Kb, as(Kb.data, Ub), { transA: true }).data);
      });
      return out;
    },
    async normal(V: Mat64, rowMask?: Uint8Array): Promise<Mat64> {
      checkRhs(V, m, 'normal');
      const k = V.cols;
      const out = mat64(m, k);
      let V32: Matrix | null = null;
      await each((r0, r1, Kb) => {
        const f64 = Kb.data instanceof Float64Array;
        const Vb = f64 ? V : (V32 ??= as(Kb.data, V));
        const T = gemm(Kb, Vb);
        if (rowMask) for (let i = r0; i < r1; i++) if (!rowMask[i]) T.data.fill(0, (i - r0) * k, (i - r0 + 1) * k);
        if (f64) gemm(Kb as Mat64, T as Mat64, { transA: true, out, beta: 1 });
        else addInto(out.data, gemm(Kb, T, { transA: true }).data);
      });
      return out;
    },
  };
}

/** Rows [r0, r1) of X, or of X's rows listed in `order` (copied, float64). */
function rowsOf(X: Matrix, order: Int32Array | null, r0: number, r1: number): Matrix {
  return order ? gather(X, order.subarray(r0, r1)) : rowsView(X, r0, r1);
}

/** Rows `idx` of X as a new float64 matrix (nystrom.ts's gatherRows; kept here so the two modules need not import each other). */
function gather(X: Matrix, idx: ArrayLike<number>): Mat64 {
  const d = X.cols;
  const out = mat64(idx.length, d);
  for (let r = 0; r < idx.length; r++) for (let k = 0; k < d; k++) out.data[r * d + k] = X.data[idx[r] * d + k];
  return out;
}

export interface CrossKernelOptions extends KernelBlockOptions {
  /** Row r of the operator is X's row order[r] (default: X's own order). The validation split puts fit rows first. */
  order?: Int32Array;
}

function checkOrder(X: Matrix, order: Int32Array | undefined): Int32Array | null {
  if (!order) return null;
  for (let r = 0; r < order.length; r++)
    if (!(order[r] >= 0 && order[r] < X.rows)) fail(`CrossKernel: order[${r}] = ${order[r]} is not a row of X (${X.rows} rows)`);
  return order;
}

/**
 * K_nM streamed: each product recomputes the kernel in row blocks (memory O(blockRows·M)), each
 * block by ntkGramAsync so that its layer map runs on every thread (the map, not the GEMM, is
 * most of a block's time).
 */
export function streamedCrossKernel(X: Matrix, C: Matrix, opts: CrossKernelOptions): CrossKernel {
  const order = checkOrder(X, opts.order);
  const n = order ? order.length : X.rows,
    m = C.rows;
  const b = Math.max(1, Math.floor(opts.blockRows ?? 2048));
  const kernel = { ...opts, order: undefined, label: opts.label ?? 'kernel block' };
  const each = async (fn: (r0: number, r1: number, Kb: Matrix) => void) => {
    for (let r0 = 0; r0 < n; r0 += b) {
      const r1 = Math.min(n, r0 + b);
      const Kb = await ntkGramAsync(rowsOf(X, order, r0, r1), C, kernel);
      fn(r0, r1, Kb);
      dropKernelBlock(Kb.data.byteLength);
    }
  };
  return {
    n,
    m,
    mode: 'streamed',
    dtype: 'float64',
    ...blockOps(n, m, each),
    rows(r0, r1) {
      checkRange(r0, r1, n);
      return streamedCrossKernel(X, C, { ...opts, order: order ? order.subarray(r0, r1) : rangeOrder(r0, r1) });
    },
    columns(cols) {
      return streamedCrossKernel(X, gather(C, checkColumns(cols, m)), opts);
    },
  };
}

function rangeOrder(r0: number, r1: number): Int32Array {
  return Int32Array.from({ length: r1 - r0 }, (_, i) => r0 + i);
}

function checkColumns(cols: ArrayLike<number>, m: number): ArrayLike<number> {
  for (let j = 0; j < cols.length; j++)
    if (!(Number.isInteger(cols[j]) && cols[j] >= 0 && cols[j] < m)) fail(`CrossKernel.columns: ${cols[j]} is not one of the ${m} columns`);
  return cols;
}

/** Bytes of one stored row block read by a product: ~10 MiB stays in this machine's caches between its two GEMMs. */
const PRODUCT_BLOCK_BYTES = 10 * 2 ** 20;
/** float64 kernel entries computed per block when a float32 K_nM is built (512 MiB of transient float64). */
export const BUILD_BLOCK_ENTRIES = 2 ** 26;

/** Rows per product block over a stored n×m matrix of `bytes`-wide entries. */
export function productRows(m: number, bytes: number): number {
  return Math.max(64, Math.floor(PRODUCT_BLOCK_BYTES / (bytes * Math.max(1, m))));
}

/**
 * K_nM computed once (ntkGramAsync, threaded map) and kept: 4·n·M bytes as float32 (built from
 * float64 blocks of at most BUILD_BLOCK_ENTRIES, then rounded), 8·n·M as float64.
 */
export async function storedCrossKernel(
  X: Matrix,
  C: Matrix,
  opts: CrossKernelOptions & { dtype?: CrossKernelDtype },
): Promise<CrossKernel> {
  const order = checkOrder(X, opts.order);
  const n = order ? order.length : X.rows,
    m = C.rows;
  const kernel = { ...opts, order: undefined };
  if ((opts.dtype ?? 'float32') === 'float64') return storedOperator(await ntkGramAsync(order ? rowsOf(X, order, 0, n) : X, C, kernel));
  const K = mat32(n, m);
  const rb = Math.max(1, Math.floor(BUILD_BLOCK_ENTRIES / Math.max(1, m)));
  for (let r0 = 0; r0 < n; r0 += rb) {
    const r1 = Math.min(n, r0 + rb);
    const Kb = await ntkGramAsync(rowsOf(X, order, r0, r1), C, kernel);
    K.data.set(Kb.data, r0 * m);
    dropKernelBlock(Kb.data.byteLength);
  }
  return storedOperator(K);
}

/**
 * The operator over a stored K_nM (float32 or float64). Products go in row blocks of ~10 MiB:
 * both GEMMs of `normal` are memory-bound (k ≈ 10 columns), and a block that small is still in
 * cache when the second GEMM reads it again, so K_nM crosses the memory bus about once per
 * iteration instead of twice.
 */
export function storedOperator(K: Matrix): CrossKernel {
  const n = K.rows,
    m = K.cols;
  const b = productRows(m, K.data.BYTES_PER_ELEMENT);
  return {
    n,
    m,
    mode: 'stored',
    dtype: K.data instanceof Float32Array ? 'float32' : 'float64',
    ...blockOps(n, m, async (fn) => {
      for (let r0 = 0; r0 < n; r0 += b) fn(r0, Math.min(n, r0 + b), rowsView(K, r0, Math.min(n, r0 + b)));
    }),
    rows(r0, r1) {
      checkRange(r0, r1, n);
      return storedOperator(rowsView(K, r0, r1));
    },
    columns(cols) {
      checkColumns(cols, m);
      const w = cols.length;
      const out = K.data instanceof Float32Array ? mat32(n, w) : mat64(n, w);
      for (let i = 0; i < n; i++) for (let j = 0; j < w; j++) out.data[i * w + j] = K.data[i * m + cols[j]];
      return storedOperator(out);
    },
  };
}
