import { fail } from '@tangent/base';
import { gemm, mat64, rowsView, type Mat64, type Matrix } from '@tangent/linalg';
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

/** Calls fn(r0, r1, K[r0:r1, :]) for consecutive row blocks of K(X, C); the block is reused. */
export function forEachKernelBlock(X: Matrix, C: Matrix, opts: KernelBlockOptions, fn: (r0: number, r1: number, Kb: Mat64) => void): void {
  const b = Math.max(1, Math.floor(opts.blockRows ?? 2048));
  for (let r0 = 0; r0 < X.rows; r0 += b) {
    const r1 = Math.min(X.rows, r0 + b);
    const Kb = ntkGram(rowsView(X, r0, r1), C, { ...opts, label: opts.label ?? 'kernel block' });
    fn(r0, r1, Kb);
  }
}

/**
 * A linear operator for K_nM (n×M) and its transpose, either from a stored matrix or streamed in
 * blocks. `times(V)` = K_nM V (n×k), `timesT(U)` = K_nMᵀ U (M×k), and `normal(V)` = K_nMᵀ (K_nM V)
 * in one pass over the blocks (the Falkon iteration's only large product).
 */
export interface CrossKernel {
  readonly n: number;
  readonly m: number;
  /** 'stored': K_nM held in memory (8·n·M bytes); 'streamed': recomputed block by block. */
  readonly mode: 'stored' | 'streamed';
  times(V: Mat64): Mat64;
  timesT(U: Mat64): Mat64;
  normal(V: Mat64, rowMask?: Uint8Array): Mat64;
}

function checkRhs(V: Mat64, rows: number, what: string): void {
  if (V.rows !== rows) fail(`CrossKernel.${what}: right-hand side has ${V.rows} rows, expected ${rows}`);
}

/** Block product helpers shared by both modes. */
function blockOps(n: number, m: number, each: (fn: (r0: number, r1: number, Kb: Mat64) => void) => void) {
  return {
    times(V: Mat64): Mat64 {
      checkRhs(V, m, 'times');
      const out = mat64(n, V.cols);
      each((r0, r1, Kb) => gemmInto(Kb, V, rowsView(out, r0, r1), false));
      return out;
    },
    timesT(U: Mat64): Mat64 {
      checkRhs(U, n, 'timesT');
      const out = mat64(m, U.cols);
      each((r0, r1, Kb) => gemmInto(Kb, rowsView(U, r0, r1), out, true, 1));
      return out;
    },
    normal(V: Mat64, rowMask?: Uint8Array): Mat64 {
      checkRhs(V, m, 'normal');
      const out = mat64(m, V.cols);
      each((r0, r1, Kb) => {
        const T = mat64(r1 - r0, V.cols);
        gemmInto(Kb, V, T, false);
        if (rowMask) for (let i = r0; i < r1; i++) if (!rowMask[i]) T.data.fill(0, (i - r0) * V.cols, (i - r0 + 1) * V.cols);
        gemmInto(Kb, T, out, true, 1);
      });
      return out;
    },
  };
}

function gemmInto(A: Mat64, B: Mat64, out: Mat64, transA: boolean, beta = 0): void {
  gemm(A, B, { transA, out, beta });
}

/** K_nM streamed: each product recomputes the kernel in row blocks (memory O(blockRows·M)). */
export function streamedCrossKernel(X: Matrix, C: Matrix, opts: KernelBlockOptions): CrossKernel {
  const n = X.rows,
    m = C.rows;
  return { n, m, mode: 'streamed', ...blockOps(n, m, (fn) => forEachKernelBlock(X, C, opts, fn)) };
}

/** Row block of the products over a stored K_nM. */
export const STORED_PRODUCT_ROWS = 16384;

/** K_nM computed once (ntkGramAsync, threaded map) and kept: 8·n·M bytes, products are GEMMs. */
export async function storedCrossKernel(X: Matrix, C: Matrix, opts: KernelBlockOptions): Promise<CrossKernel> {
  const K = await ntkGramAsync(X, C, opts);
  // Products over the stored matrix go in large row blocks: both GEMMs of `normal` are
  // memory-bound (k ≈ 10 columns), and OpenBLAS is measured 1.5–2× slower per row at 2048 rows
  // than at 8192–16384 on 2 cores. Scratch per block is only b·k.
  const b = STORED_PRODUCT_ROWS;
  return {
    n: K.rows,
    m: K.cols,
    mode: 'stored',
    ...blockOps(K.rows, K.cols, (fn) => {
      for (let r0 = 0; r0 < K.rows; r0 += b) fn(r0, Math.min(K.rows, r0 + b), rowsView(K, r0, Math.min(K.rows, r0 + b)));
    }),
  };
}
