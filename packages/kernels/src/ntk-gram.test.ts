import { describe, expect, it } from 'vitest';
import { mat32, mat64, rng } from '@tangent/linalg';
import { kernelRidgeFit } from './kernel-ridge-fit.ts';
import { ntkGram, ntkGramAsync, ntkNngpGram, ntkNngpGramAsync } from './ntk-gram.ts';
import { ntkRelu2 } from './ntk-relu2.ts';
import { reluNetKernel } from './relu-kernel-recursion.ts';

function randomMat(n: number, d: number, seed: number) {
  const r = rng(seed);
  return mat64(
    n,
    d,
    Float64Array.from({ length: n * d }, () => r.normal() * (0.3 + r.uniform())),
  );
}
const row = (M: { cols: number; data: Float64Array }, i: number) => M.data.subarray(i * M.cols, (i + 1) * M.cols);
const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);
/** Bitwise equality of two float arrays (vitest's deep equal is far too slow on millions of entries). */
const sameBits = (a: Float64Array, b: Float64Array) =>
  a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('ntkGram', () => {
  const X = randomMat(37, 5, 1),
    Z = randomMat(23, 5, 2);

  it('symmetric depth-2 NTK equals the closed form entry by entry', () => {
    const K = ntkGram(X, undefined, { depth: 2 });
    let worst = 0;
    for (let i = 0; i < X.rows; i++)
      for (let j = 0; j < X.rows; j++) {
        const xi = row(X, i),
          xj = row(X, j);
        const ref = ntkRelu2(Math.sqrt(dot(xi, xi)), Math.sqrt(dot(xj, xj)), dot(xi, xj), 5);
        worst = Math.max(worst, Math.abs(K.data[i * X.rows + j] - ref) / (i === j ? 1e5 : 1));
        expect(K.data[i * X.rows + j]).toBe(K.data[j * X.rows + i]);
      }
    expect(worst).toBeLessThan(1e-13);
  });

  it('cross kernel with depth 4, bias and NNGP matches the scalar recursion', () => {
    for (const kind of ['ntk', 'nngp'] as const) {
      const spec = { depth: 4, sigmaW: 1.2, sigmaB: 0.3 };
      const K = ntkGram(X, Z, { ...spec, kind });
      for (let i = 0; i < X.rows; i++)
        for (let j = 0; j < Z.rows; j++) {
          const xi = row(X, i),
            zj = row(Z, j);
          const s = reluNetKernel(dot(xi, xi), dot(zj, zj), dot(xi, zj), 5, spec);
          expect(K.data[i * Z.rows + j]).toBeCloseTo(kind === 'ntk' ? s.ntk : s.nngp, 12);
        }
    }
  });

  it('accepts float32 inputs and gives the float64 kernel of their values', () => {
    const X32 = mat32(X.rows, X.cols, Float32Array.from(X.data));
    const K32 = ntkGram(X32, undefined, { depth: 2 });
    const K64 = ntkGram(mat64(X.rows, X.cols, Float64Array.from(X32.data)), undefined, { depth: 2 });
    expect(K32.data).toEqual(K64.data);
  });

  it('refuses bad input and oversize kernels with one clear line', () => {
    const bad = randomMat(4, 3, 3);
    bad.data[5] = NaN;
    expect(() => ntkGram(bad)).toThrow(/non-finite input at row 1, column 2/);
    expect(() => ntkGram(X, randomMat(3, 4, 1))).toThrow(/X has 5 features but Z has 4/);
    expect(() => ntkGram(X, undefined, { depth: 1 })).toThrow(/depth must be an integer ≥ 2/);
    expect(() => ntkGram(mat64(60_000, 1), undefined, { depth: 2, maxMemoryGb: 1 })).toThrow(
      /60000×60000 NTK kernel needs 26\.8 GiB .*more than the maxMemoryGb limit of 1 GB \(1\.00 GiB\); raise the budget if it does fit/,
    );
  });

  it('the WebAssembly SIMD passes give the bits of the JavaScript ones (Math.acos), odd rows and edges of arccos included', async () => {
    // Duplicates, negations and orthogonal pairs put c = σ/r at exactly 1, −1 and 0; 0.5 and −0.5 are
    // fdlibm's branch points; odd row lengths take the pair-with-one-lane path.
    const E = mat64(
      9,
      3,
      Float64Array.from([
        1,
        0,
        0,
        -1,
        0,
        0,
        0,
        1,
        0,
        0.5,
        Math.sqrt(3) / 2,
        0,
        -0.5,
        Math.sqrt(3) / 2,
        0,
        1,
        0,
        0,
        0,
        0,
        2,
        1e-9,
        1,
        0,
        0.3,
        -0.2,
        0.9,
      ]),
    );
    const R = randomMat(201, 3, 9);
    const A = mat64(E.rows + R.rows, 3, Float64Array.from([...E.data, ...R.data]));
    const B = randomMat(57, 3, 10);
    for (const spec of [{ depth: 2 }, { depth: 2, sigmaW: 1.3, sigmaB: 0.4 }])
      for (const kind of ['ntk', 'nngp'] as const) {
        const js = ntkGram(A, undefined, { ...spec, kind, simd: false });
        expect(sameBits(ntkGram(A, undefined, { ...spec, kind }).data, js.data)).toBe(true);
        expect(sameBits(ntkGram(A, B, { ...spec, kind }).data, ntkGram(A, B, { ...spec, kind, simd: false }).data)).toBe(true);
      }
    const big = randomMat(2101, 4, 11);
    const js = ntkGram(big, undefined, { depth: 2, simd: false });
    expect(sameBits((await ntkGramAsync(big, undefined, { depth: 2, threads: 2 })).data, js.data)).toBe(true);
    expect(sameBits((await ntkGramAsync(big, undefined, { depth: 2, threads: 3, simd: false })).data, js.data)).toBe(true);
  });

  it('the worker-parallel map gives bit-identical kernels, and its shared memory works with the solvers', async () => {
    const big = randomMat(2100, 4, 7),
      other = randomMat(1900, 4, 8);
    const serial = ntkGram(big, undefined, { depth: 2 });
    const par = await ntkGramAsync(big, undefined, { depth: 2, threads: 2 });
    expect(par.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(sameBits(par.data, serial.data)).toBe(true);
    expect(sameBits((await ntkGramAsync(big, undefined, { depth: 2, threads: 3 })).data, serial.data)).toBe(true); // three mirror ranges
    const cross = await ntkGramAsync(big, other, { depth: 3, sigmaB: 0.1, kind: 'nngp', threads: 3 });
    expect(sameBits(cross.data, ntkGram(big, other, { depth: 3, sigmaB: 0.1, kind: 'nngp' }).data)).toBe(true);
    const y = Float64Array.from({ length: 2100 }, (_, i) => (i % 3 ? 1 : -1));
    expect(sameBits(kernelRidgeFit(par, y, 1e-3, { overwrite: true }), kernelRidgeFit(serial, y, 1e-3))).toBe(true);
  });

  it('one pass gives Θ and Σ with the bits of the two separate Grams (SIMD and JavaScript, serial and threaded)', async () => {
    const A = randomMat(203, 5, 12),
      B = randomMat(61, 5, 13);
    for (const spec of [{ depth: 2 }, { depth: 2, sigmaW: 1.3, sigmaB: 0.4 }, { depth: 3, sigmaB: 0.2 }])
      for (const Z of [undefined, B])
        for (const simd of [true, false]) {
          const both = ntkNngpGram(A, Z, { ...spec, simd });
          expect(sameBits(both.ntk.data, ntkGram(A, Z, { ...spec, kind: 'ntk', simd }).data)).toBe(true);
          expect(sameBits(both.nngp.data, ntkGram(A, Z, { ...spec, kind: 'nngp', simd }).data)).toBe(true);
          expect([both.nngp.rows, both.nngp.cols]).toEqual([A.rows, (Z ?? A).rows]);
        }
    // An independent oracle: the scalar recursion, pair by pair (depth 3 with bias, cross kernel).
    const spec = { depth: 3, sigmaW: 0.9, sigmaB: 0.2 };
    const both = ntkNngpGram(A, B, spec);
    let worst = 0;
    for (let i = 0; i < A.rows; i++)
      for (let j = 0; j < B.rows; j++) {
        const s = reluNetKernel(dot(row(A, i), row(A, i)), dot(row(B, j), row(B, j)), dot(row(A, i), row(B, j)), 5, spec);
        worst = Math.max(worst, Math.abs(both.ntk.data[i * B.rows + j] / s.ntk - 1), Math.abs(both.nngp.data[i * B.rows + j] / s.nngp - 1));
      }
    expect(worst).toBeLessThan(1e-12);
    // Threaded (workers on both outputs, WebAssembly and JavaScript passes): the serial bits.
    const big = randomMat(2101, 4, 14);
    const serial = { ntk: ntkGram(big, undefined, { depth: 2 }), nngp: ntkGram(big, undefined, { depth: 2, kind: 'nngp' }) };
    for (const opts of [{ threads: 2 }, { threads: 3, simd: false }]) {
      const par = await ntkNngpGramAsync(big, undefined, { depth: 2, ...opts });
      expect(sameBits(par.ntk.data, serial.ntk.data)).toBe(true);
      expect(sameBits(par.nngp.data, serial.nngp.data)).toBe(true);
    }
    expect(() => ntkNngpGram(mat64(40_000, 1), undefined, { depth: 2, maxMemoryGb: 20 })).toThrow(
      /40000×40000 NTK and NNGP kernel pair needs 23\.8 GiB .*more than the maxMemoryGb limit of 20 GB/,
    );
  });
});
