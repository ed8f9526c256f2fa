import { describe, expect, it } from 'vitest';
import { mat32, mat64 } from './matrix.ts';
import {
  addDiagonal,
  axpy,
  colMeans,
  colsSlice,
  dot,
  frobeniusNorm,
  gatherRows,
  matVec,
  norm2,
  normalizeRows,
  rowNorms,
  subtractRow,
  trace,
} from './reduce.ts';

describe('reductions', () => {
  const A = mat64(2, 3, [1, 2, 2, -3, 0, 4]);
  it('match hand-computed values', () => {
    expect(Array.from(rowNorms(A))).toEqual([3, 5]);
    expect(Array.from(colMeans(A))).toEqual([-1, 1, 3]);
    expect(Array.from(matVec(A, [1, 1, 1]))).toEqual([5, 1]);
    expect(Array.from(matVec(A, [1, -1], true))).toEqual([4, 2, -2]);
    expect(frobeniusNorm(A)).toBeCloseTo(Math.sqrt(34), 15);
    expect(dot(A.data, A.data)).toBe(34);
    expect(trace(A)).toBe(1);
    expect(Array.from(axpy(2, new Float64Array([1, 2]), new Float64Array([10, 20])))).toEqual([12, 24]);
    expect(Array.from(subtractRow(mat64(2, 3, A.data.slice()), [1, 2, 3]).data)).toEqual([0, 0, -1, -4, -2, 1]);
    expect(Array.from(addDiagonal(mat64(2, 3, A.data.slice()), 10).data)).toEqual([11, 2, 2, -3, 10, 4]);
    expect(Array.from(colsSlice(A, 1, 3).data)).toEqual([2, 2, 0, 4]);
  });
  it('normalise rows (zero rows stay zero) and keep float32', () => {
    const B = normalizeRows(mat32(3, 2, [3, 4, 0, 0, -1, 0]));
    expect(Array.from(B.data)).toEqual([0.6000000238418579, 0.800000011920929, 0, 0, -1, 0]);
    expect(B.data).toBeInstanceOf(Float32Array);
  });
  it('gathers rows in the order asked, in the dtype of X or of out', () => {
    const X = mat32(3, 2, [1, 2, 3.1, 4, 5, 6]);
    const G = gatherRows(X, [2, 0, 2]);
    expect(G).toMatchObject({ rows: 3, cols: 2 });
    expect(G.data).toBeInstanceOf(Float32Array);
    expect(Array.from(G.data)).toEqual([5, 6, 1, 2, 5, 6]);
    const W = gatherRows(X, Int32Array.of(1), mat64(1, 2));
    expect(W.data).toBeInstanceOf(Float64Array);
    expect(Array.from(W.data)).toEqual([Math.fround(3.1), 4]); // widened exactly, not re-rounded
    expect(gatherRows(mat64(2, 2, [1 / 3, 0, 0, 0]), [0], mat32(1, 2)).data[0]).toBe(Math.fround(1 / 3));
    expect(() => gatherRows(X, [3])).toThrowError(/gatherRows: row index 3 outside 0\.\.2/);
    expect(() => gatherRows(X, [0], mat64(2, 2))).toThrowError(/gatherRows: out is 2×2, the rows gathered are 1×2/);
  });
  it('norm2 neither overflows nor underflows', () => {
    expect(norm2(new Float64Array([3e200, 4e200])) / 5e200).toBeCloseTo(1, 14);
    expect(norm2(new Float64Array([3e-200, 4e-200])) / 5e-200).toBeCloseTo(1, 14);
  });
  it('rejects mismatched lengths with one line', () => {
    expect(() => dot(new Float64Array(2), new Float64Array(3))).toThrowError(/dot: lengths differ \(2 and 3\)/);
    expect(() => matVec(A, [1, 2])).toThrowError(/matVec: vector has 2 values, expected 3/);
  });
});
