/**
 * Dense row-major matrices over typed arrays. Element (i, j) lives at data[i * cols + j].
 * A block of consecutive rows is a zero-copy view (`rowsView`), which is what blocked
 * kernels need. Fresh matrices are plain typed arrays: huge pages are for the buffers a hot loop
 * reuses (see huge-pages.ts for why not every large array).
 */
export type FloatArray = Float64Array | Float32Array;

export interface Matrix<T extends FloatArray = FloatArray> {
  readonly rows: number;
  readonly cols: number;
  readonly data: T;
}
export type Mat64 = Matrix<Float64Array>;
export type Mat32 = Matrix<Float32Array>;

export function mat64(rows: number, cols: number, data?: Float64Array | ArrayLike<number>): Mat64 {
  const d = data instanceof Float64Array ? data : data ? Float64Array.from(data) : new Float64Array(rows * cols);
  if (d.length !== rows * cols) throw new RangeError(`mat64: ${d.length} values for a ${rows}×${cols} matrix`);
  return { rows, cols, data: d };
}

export function mat32(rows: number, cols: number, data?: Float32Array | ArrayLike<number>): Mat32 {
  const d = data instanceof Float32Array ? data : data ? Float32Array.from(data) : new Float32Array(rows * cols);
  if (d.length !== rows * cols) throw new RangeError(`mat32: ${d.length} values for a ${rows}×${cols} matrix`);
  return { rows, cols, data: d };
}

/** Rows [start, end) as a view sharing memory with `m`. */
export function rowsView<T extends FloatArray>(m: Matrix<T>, start: number, end: number): Matrix<T> {
  return { rows: end - start, cols: m.cols, data: m.data.subarray(start * m.cols, end * m.cols) as T };
}

export function identity(n: number): Mat64 {
  const m = mat64(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

export function transpose<T extends FloatArray>(m: Matrix<T>): Matrix<T> {
  const out = new (m.data.constructor as { new (n: number): T })(m.rows * m.cols);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) out[j * m.rows + i] = m.data[i * m.cols + j];
  return { rows: m.cols, cols: m.rows, data: out };
}
