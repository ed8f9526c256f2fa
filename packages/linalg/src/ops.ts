/**
 * The public kernels: shape checks, allocation and the symmetric/triangular bookkeeping, on
 * top of whichever backend `backend()` picked. Same dtype in and out.
 */
import { TangentError, fail } from '@tangent/base';
import { backend, hasEigh } from './backend.ts';
import type { FloatArray, Mat64, Matrix } from './matrix.ts';
import { symvLowerRef, syevRef } from './reference.ts';

/** Raised by `cholesky` when the matrix is not (numerically) positive definite. */
export class NotPositiveDefiniteError extends TangentError {
  /** 1-based index of the first pivot that was not positive. */
  readonly pivot: number;
  constructor(pivot: number, n: number, what = 'matrix') {
    super(
      `cholesky: ${what} (${n}×${n}) is not positive definite: pivot ${pivot} is not positive; add jitter to the diagonal or check for duplicate/degenerate rows`,
    );
    this.name = 'NotPositiveDefiniteError';
    this.pivot = pivot;
  }
}

/** A zeroed result array (plain pages: a fresh result is written once; see huge-pages.ts). */
function alloc<T extends FloatArray>(like: T, n: number): T {
  return (like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n)) as T;
}

function dtypeName(a: FloatArray): string {
  return a instanceof Float64Array ? 'float64' : a instanceof Float32Array ? 'float32' : typeof a;
}

function checkMatrix(m: Matrix, what: string, op: string): void {
  if (!m || !(m.data instanceof Float64Array || m.data instanceof Float32Array)) fail(`${op}: ${what} must be a Mat64 or Mat32`);
  if (!Number.isInteger(m.rows) || !Number.isInteger(m.cols) || m.rows < 0 || m.cols < 0)
    fail(`${op}: ${what} has invalid shape ${m.rows}×${m.cols}`);
  if (m.data.length !== m.rows * m.cols)
    fail(`${op}: ${what} is ${m.rows}×${m.cols} but holds ${m.data.length} values (must be contiguous)`);
}

function sameType(a: Matrix, b: Matrix, op: string): void {
  if (a.data.constructor !== b.data.constructor)
    fail(`${op}: mixed dtypes (${dtypeName(a.data)} and ${dtypeName(b.data)}); convert one first`);
}

function checkSquare(m: Matrix, what: string, op: string): void {
  checkMatrix(m, what, op);
  if (m.rows !== m.cols) fail(`${op}: ${what} must be square, got ${m.rows}×${m.cols}`);
}

export interface GemmOptions<T extends FloatArray> {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  /** Only used with `out`: out := alpha·op(A)·op(B) + beta·out. */
  beta?: number;
  out?: Matrix<T>;
}

/** C = alpha·op(A)·op(B) + beta·C (BLAS xGEMM). */
export function gemm<T extends FloatArray>(A: Matrix<T>, B: Matrix<T>, opts: GemmOptions<T> = {}): Matrix<T> {
  checkMatrix(A, 'A', 'gemm');
  checkMatrix(B, 'B', 'gemm');
  sameType(A, B, 'gemm');
  const ta = !!opts.transA;
  const tb = !!opts.transB;
  const m = ta ? A.cols : A.rows;
  const k = ta ? A.rows : A.cols;
  const kb = tb ? B.cols : B.rows;
  const n = tb ? B.rows : B.cols;
  if (k !== kb) fail(`gemm: inner dimensions differ: op(A) is ${m}×${k}, op(B) is ${kb}×${n}`);
  const beta = opts.out ? (opts.beta ?? 0) : 0;
  let C: Matrix<T>;
  if (opts.out) {
    checkMatrix(opts.out, 'out', 'gemm');
    sameType(A, opts.out, 'gemm');
    if (opts.out.rows !== m || opts.out.cols !== n) fail(`gemm: out is ${opts.out.rows}×${opts.out.cols}, expected ${m}×${n}`);
    if (opts.out.data.buffer === A.data.buffer || opts.out.data.buffer === B.data.buffer) {
      if (overlaps(opts.out.data, A.data) || overlaps(opts.out.data, B.data))
        fail('gemm: out overlaps an input; use a separate output matrix');
    }
    C = opts.out;
  } else C = { rows: m, cols: n, data: alloc(A.data, m * n) };
  if (m === 0 || n === 0) return C;
  if (k === 0) {
    for (let i = 0; i < C.data.length; i++) C.data[i] = beta === 0 ? 0 : beta * C.data[i];
    return C;
  }
  backend().gemm(ta, tb, m, n, k, opts.alpha ?? 1, A.data, B.data, beta, C.data);
  return C;
}

function overlaps(x: FloatArray, y: FloatArray): boolean {
  const x0 = x.byteOffset,
    x1 = x0 + x.byteLength;
  const y0 = y.byteOffset,
    y1 = y0 + y.byteLength;
  return x0 < y1 && y0 < x1;
}

/**
 * C = alpha·A·Aᵀ, or alpha·Aᵀ·A with `trans` (BLAS xSYRK), a full symmetric matrix. `out` reuses a buffer; `lowerOnly` skips
 * mirroring (the strict upper triangle is then unspecified: left as it was, or filled, by backend).
 */
export function syrk<T extends FloatArray>(
  A: Matrix<T>,
  opts: { trans?: boolean; alpha?: number; out?: Matrix<T>; lowerOnly?: boolean } = {},
): Matrix<T> {
  checkMatrix(A, 'A', 'syrk');
  const trans = !!opts.trans;
  const n = trans ? A.cols : A.rows;
  const k = trans ? A.rows : A.cols;
  let C: Matrix<T>;
  if (opts.out) {
    checkMatrix(opts.out, 'out', 'syrk');
    sameType(A, opts.out, 'syrk');
    if (opts.out.rows !== n || opts.out.cols !== n) fail(`syrk: out is ${opts.out.rows}×${opts.out.cols}, expected ${n}×${n}`);
    if (opts.out.data.buffer === A.data.buffer && overlaps(opts.out.data, A.data))
      fail('syrk: out overlaps the input; use a separate output matrix');
    C = opts.out;
  } else C = { rows: n, cols: n, data: alloc(A.data, n * n) };
  if (n === 0) return C;
  if (k === 0) {
    if (opts.out) C.data.fill(0);
    return C;
  }
  backend().syrkLower(trans, n, k, opts.alpha ?? 1, A.data, C.data);
  if (!opts.lowerOnly) mirrorLower(n, C.data);
  return C;
}

/**
 * y := alpha·A·x + beta·y for a symmetric n×n A of which only the lower triangle is read (BLAS
 * xSYMV: half the memory traffic of a full matrix–vector product, no mirroring needed). A, x, y
 * share a dtype; `y` defaults to a fresh zero vector.
 */
export function symvLower<T extends FloatArray>(A: Matrix<T>, x: T, opts: { alpha?: number; beta?: number; y?: T } = {}): T {
  checkSquare(A, 'A', 'symvLower');
  const n = A.rows;
  if (x.length !== n) fail(`symvLower: x has ${x.length} entries for a ${n}×${n} matrix`);
  if (x.constructor !== A.data.constructor) fail(`symvLower: mixed dtypes (${dtypeName(A.data)} and ${dtypeName(x)})`);
  const y = opts.y ?? alloc(A.data, n);
  if (y.length !== n || y.constructor !== A.data.constructor) fail(`symvLower: y must be a ${dtypeName(A.data)} vector of ${n}`);
  const alpha = opts.alpha ?? 1,
    beta = opts.y ? (opts.beta ?? 0) : 0;
  const b = backend();
  if (b.symvLower) b.symvLower(n, alpha, A.data, x, beta, y);
  else symvLowerRef(n, alpha, A.data, x, beta, y);
  return y;
}

/**
 * Copy the lower triangle onto the upper one: a[j][i] = a[i][j] for i > j, for the upper rows j
 * in [r0, r1) (default all), in cache-sized tiles. Disjoint row ranges write disjoint rows and
 * read only the lower triangle, so threads can fill them at once.
 */
export function mirrorLower(n: number, a: FloatArray, [r0, r1]: [number, number] = [0, n]): void {
  const B = 64;
  for (let jb = r0; jb < r1; jb += B) {
    const je = Math.min(jb + B, r1);
    for (let ib = jb; ib < n; ib += B) {
      const ie = Math.min(ib + B, n);
      for (let j = jb; j < je; j++) for (let i = Math.max(ib, j + 1); i < ie; i++) a[j * n + i] = a[i * n + j];
    }
  }
}

function zeroUpper(n: number, a: FloatArray): void {
  for (let i = 0; i < n; i++) a.fill(0, i * n + i + 1, (i + 1) * n);
}

/**
 * Lower Cholesky factor L with A = L·Lᵀ (upper part zeroed). Only the lower triangle of A is
 * read. `overwrite` factors in place (A's storage becomes L). Throws NotPositiveDefiniteError.
 */
export function cholesky<T extends FloatArray>(A: Matrix<T>, opts: { overwrite?: boolean; what?: string } = {}): Matrix<T> {
  checkSquare(A, 'A', 'cholesky');
  const n = A.rows;
  const L: Matrix<T> = opts.overwrite ? A : { rows: n, cols: n, data: A.data.slice() as T };
  const info = backend().potrfLower(n, L.data);
  if (info > 0) throw new NotPositiveDefiniteError(info, n, opts.what);
  zeroUpper(n, L.data);
  return L;
}

function asMatrix<T extends FloatArray>(B: Matrix<T> | T, n: number, op: string): { M: Matrix<T>; vector: boolean } {
  if (ArrayBuffer.isView(B)) {
    if (B.length !== n) fail(`${op}: right-hand side has ${B.length} values, expected ${n}`);
    return { M: { rows: n, cols: 1, data: B.slice() as T }, vector: true };
  }
  checkMatrix(B, 'B', op);
  if (B.rows !== n) fail(`${op}: B has ${B.rows} rows, expected ${n}`);
  return { M: { rows: B.rows, cols: B.cols, data: B.data.slice() as T }, vector: false };
}

/** X = op(T)⁻¹·B for triangular T (lower by default); B a matrix (n×m) or a vector (n). */
export function triangularSolve<T extends FloatArray, R extends Matrix<T> | T>(
  Tm: Matrix<T>,
  B: R,
  opts: { lower?: boolean; trans?: boolean } = {},
): R {
  checkSquare(Tm, 'T', 'triangularSolve');
  const n = Tm.rows;
  const { M, vector } = asMatrix(B as Matrix<T> | T, n, 'triangularSolve');
  if (M.data.constructor !== Tm.data.constructor) fail(`triangularSolve: mixed dtypes (${dtypeName(Tm.data)} and ${dtypeName(M.data)})`);
  backend().trsmLeft(opts.lower ?? true, !!opts.trans, n, M.cols, Tm.data, M.data);
  return (vector ? M.data : M) as R;
}

/** X = A⁻¹·B given the lower Cholesky factor L of A (forward then back substitution). */
export function choleskySolve<T extends FloatArray, R extends Matrix<T> | T>(L: Matrix<T>, B: R): R {
  checkSquare(L, 'L', 'choleskySolve');
  const n = L.rows;
  const { M, vector } = asMatrix(B as Matrix<T> | T, n, 'choleskySolve');
  if (M.data.constructor !== L.data.constructor) fail(`choleskySolve: mixed dtypes (${dtypeName(L.data)} and ${dtypeName(M.data)})`);
  const be = backend();
  be.trsmLeft(true, false, n, M.cols, L.data, M.data);
  be.trsmLeft(true, true, n, M.cols, L.data, M.data);
  return (vector ? M.data : M) as R;
}

export interface Eigh {
  /** Eigenvalues, ascending. */
  values: Float64Array;
  /** Column j is the unit eigenvector of values[j]. */
  vectors: Mat64;
}

/** Largest n the TypeScript eigensolver is used for when no native LAPACK is loaded. */
export const TS_EIGH_MAX_N = 2048;

/**
 * Symmetric eigendecomposition A = V·diag(λ)·Vᵀ (LAPACK dsyevd when native, else the
 * tridiagonal-QL TypeScript solver up to TS_EIGH_MAX_N). Only the lower triangle is read.
 */
export function eigh(A: Mat64, opts: { overwrite?: boolean } = {}): Eigh {
  checkSquare(A, 'A', 'eigh');
  if (!(A.data instanceof Float64Array)) fail('eigh: A must be float64 (Mat64); eigenvectors need the precision');
  const n = A.rows;
  const be = backend();
  if (!be.syev && n > TS_EIGH_MAX_N)
    fail(
      `eigh: ${n}×${n} is too large for the TypeScript eigensolver (backend '${be.name}' has no LAPACK); use TANGENT_BLAS=openblas or check hasEigh() first`,
    );
  const V: Mat64 = opts.overwrite ? A : { rows: n, cols: n, data: A.data.slice() };
  for (let i = 0; i < V.data.length; i++)
    if (!Number.isFinite(V.data[i])) fail(`eigh: A has a non-finite entry at (${Math.floor(i / n)}, ${i % n})`);
  const w = new Float64Array(n);
  if (be.syev) {
    // dsyevd reads the column-major upper triangle = our row-major lower triangle.
    const info = be.syev(n, V.data, w);
    if (info !== 0) fail(`eigh: LAPACK dsyevd failed to converge (info ${info}) for a ${n}×${n} matrix`);
  } else syevRef(n, V.data, w);
  return { values: w, vectors: V };
}

export { hasEigh };
