/**
 * O(n²) and O(n) helpers the stages need around the heavy kernels. Plain TypeScript: they are
 * memory-bound, so a native call would not be faster. Sums accumulate in float64.
 */
import { fail } from '@tangent/base';
import type { FloatArray, Mat64, Matrix } from './matrix.ts';

function sameLength(x: ArrayLike<number>, y: ArrayLike<number>, op: string): void {
  if (x.length !== y.length) fail(`${op}: lengths differ (${x.length} and ${y.length})`);
}

/** xᵀy. */
export function dot(x: FloatArray, y: FloatArray): number {
  sameLength(x, y, 'dot');
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

/** y := a·x + y (in place); returns y. */
export function axpy<T extends FloatArray>(a: number, x: FloatArray, y: T): T {
  sameLength(x, y, 'axpy');
  for (let i = 0; i < x.length; i++) y[i] += a * x[i];
  return y;
}

/** x := a·x (in place); returns x. Works on a matrix's data too. */
export function scale<T extends FloatArray>(a: number, x: T): T {
  for (let i = 0; i < x.length; i++) x[i] *= a;
  return x;
}

/** ‖x‖₂ (scaled so that huge or tiny entries neither overflow nor underflow). */
export function norm2(x: FloatArray): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  if (m === 0 || !Number.isFinite(m)) return m;
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] / m;
    s += v * v;
  }
  return m * Math.sqrt(s);
}

/** Euclidean norm of every row. */
export function rowNorms(A: Matrix): Float64Array {
  const out = new Float64Array(A.rows);
  for (let i = 0; i < A.rows; i++) {
    let s = 0;
    const off = i * A.cols;
    for (let j = 0; j < A.cols; j++) s += A.data[off + j] * A.data[off + j];
    out[i] = Math.sqrt(s);
  }
  return out;
}

/** Divide every row by its Euclidean norm, in place; all-zero rows stay zero. Returns A. */
export function normalizeRows<T extends FloatArray>(A: Matrix<T>): Matrix<T> {
  const norms = rowNorms(A);
  for (let i = 0; i < A.rows; i++) {
    if (norms[i] === 0) continue;
    const inv = 1 / norms[i];
    const off = i * A.cols;
    for (let j = 0; j < A.cols; j++) A.data[off + j] *= inv;
  }
  return A;
}

/** Mean of every column. */
export function colMeans(A: Matrix): Float64Array {
  const out = new Float64Array(A.cols);
  for (let i = 0; i < A.rows; i++) {
    const off = i * A.cols;
    for (let j = 0; j < A.cols; j++) out[j] += A.data[off + j];
  }
  if (A.rows > 0) for (let j = 0; j < A.cols; j++) out[j] /= A.rows;
  return out;
}

/** Subtract `v` from every row, in place; returns A. */
export function subtractRow<T extends FloatArray>(A: Matrix<T>, v: ArrayLike<number>): Matrix<T> {
  if (v.length !== A.cols) fail(`subtractRow: vector has ${v.length} values, matrix has ${A.cols} columns`);
  for (let i = 0; i < A.rows; i++) {
    const off = i * A.cols;
    for (let j = 0; j < A.cols; j++) A.data[off + j] -= v[j];
  }
  return A;
}

/** y = A·x, or Aᵀ·x with `trans`; float64 result. */
export function matVec(A: Matrix, x: ArrayLike<number>, trans = false): Float64Array {
  const n = trans ? A.rows : A.cols;
  if (x.length !== n) fail(`matVec: vector has ${x.length} values, expected ${n}`);
  if (!trans) {
    const y = new Float64Array(A.rows);
    for (let i = 0; i < A.rows; i++) {
      let s = 0;
      const off = i * A.cols;
      for (let j = 0; j < A.cols; j++) s += A.data[off + j] * x[j];
      y[i] = s;
    }
    return y;
  }
  const y = new Float64Array(A.cols);
  for (let i = 0; i < A.rows; i++) {
    const xi = x[i];
    const off = i * A.cols;
    for (let j = 0; j < A.cols; j++) y[j] += A.data[off + j] * xi;
  }
  return y;
}

/** ‖A‖_F. */
export function frobeniusNorm(A: Matrix | FloatArray): number {
  return norm2(ArrayBuffer.isView(A) ? A : A.data);
}

/** max |A_ij − B_ij|. */
export function maxAbsDiff(A: Matrix | FloatArray, B: Matrix | FloatArray): number {
  const a = ArrayBuffer.isView(A) ? A : A.data;
  const b = ArrayBuffer.isView(B) ? B : B.data;
  sameLength(a, b, 'maxAbsDiff');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A := A + c·I (in place, square or not: the leading diagonal); returns A. */
export function addDiagonal<T extends FloatArray>(A: Matrix<T>, c: number | ArrayLike<number>): Matrix<T> {
  const k = Math.min(A.rows, A.cols);
  if (typeof c !== 'number' && c.length !== k) fail(`addDiagonal: ${c.length} values for a diagonal of ${k}`);
  for (let i = 0; i < k; i++) A.data[i * A.cols + i] += typeof c === 'number' ? c : c[i];
  return A;
}

/** The leading diagonal. */
export function diagonal(A: Matrix): Float64Array {
  const k = Math.min(A.rows, A.cols);
  const out = new Float64Array(k);
  for (let i = 0; i < k; i++) out[i] = A.data[i * A.cols + i];
  return out;
}

export function trace(A: Matrix): number {
  let s = 0;
  for (let i = 0; i < Math.min(A.rows, A.cols); i++) s += A.data[i * A.cols + i];
  return s;
}

/** Element-wise A − B into a new matrix of A's dtype. */
export function subtract<T extends FloatArray>(A: Matrix<T>, B: Matrix): Matrix<T> {
  if (A.rows !== B.rows || A.cols !== B.cols) fail(`subtract: shapes differ (${A.rows}×${A.cols} and ${B.rows}×${B.cols})`);
  const out = A.data.slice() as T;
  for (let i = 0; i < out.length; i++) out[i] -= B.data[i];
  return { rows: A.rows, cols: A.cols, data: out };
}

export function toMat64(A: Matrix): Mat64 {
  return { rows: A.rows, cols: A.cols, data: A.data instanceof Float64Array ? A.data.slice() : Float64Array.from(A.data) };
}

/**
 * Rows idx[0], idx[1], … of X (any order, repeats allowed) as a new contiguous matrix of X's
 * dtype, or written into `out` (idx.length × X.cols) of either dtype: float32 rows widen exactly
 * into float64, float64 rows round to nearest into float32.
 */
export function gatherRows<T extends FloatArray>(X: Matrix<T>, idx: ArrayLike<number>): Matrix<T>;
export function gatherRows<T extends FloatArray>(X: Matrix, idx: ArrayLike<number>, out: Matrix<T>): Matrix<T>;
export function gatherRows(X: Matrix, idx: ArrayLike<number>, out?: Matrix): Matrix {
  const c = X.cols;
  const o = out ?? { rows: idx.length, cols: c, data: new (X.data.constructor as new (n: number) => FloatArray)(idx.length * c) };
  if (o.rows !== idx.length || o.cols !== c) fail(`gatherRows: out is ${o.rows}×${o.cols}, the rows gathered are ${idx.length}×${c}`);
  for (let r = 0; r < idx.length; r++) {
    const i = idx[r];
    if (!(i >= 0 && i < X.rows)) fail(`gatherRows: row index ${i} outside 0..${X.rows - 1}`);
    o.data.set(X.data.subarray(i * c, (i + 1) * c), r * c);
  }
  return o;
}

/** Columns [start, end) as a new contiguous matrix (columns are not contiguous in row-major). */
export function colsSlice<T extends FloatArray>(A: Matrix<T>, start: number, end: number): Matrix<T> {
  if (start < 0 || end > A.cols || start > end) fail(`colsSlice: [${start}, ${end}) outside 0..${A.cols}`);
  const w = end - start;
  const out = new (A.data.constructor as new (n: number) => T)(A.rows * w);
  for (let i = 0; i < A.rows; i++) out.set(A.data.subarray(i * A.cols + start, i * A.cols + end), i * w);
  return { rows: A.rows, cols: w, data: out };
}

/** Squared Euclidean distances between rows of X (n×d) and rows of Y (m×d), via ‖x‖²+‖y‖²−2xᵀy; float64, clamped at 0. */
export function sqDistFromGram(G: Mat64, xNormsSq: Float64Array, yNormsSq: Float64Array): Mat64 {
  if (G.rows !== xNormsSq.length || G.cols !== yNormsSq.length)
    fail(`sqDistFromGram: Gram is ${G.rows}×${G.cols}, norms ${xNormsSq.length} and ${yNormsSq.length}`);
  const out = new Float64Array(G.rows * G.cols);
  for (let i = 0; i < G.rows; i++)
    for (let j = 0; j < G.cols; j++) out[i * G.cols + j] = Math.max(0, xNormsSq[i] + yNormsSq[j] - 2 * G.data[i * G.cols + j]);
  return { rows: G.rows, cols: G.cols, data: out };
}
