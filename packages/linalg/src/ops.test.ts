import { TangentError } from '@tangent/base';
import { afterAll, describe, expect, it } from 'vitest';
import { availableBackends, backendInfo, hasEigh, setBackend, type BackendName } from './backend.ts';
import './native.ts';
import './ort.ts';
import { mat32, mat64, rowsView, type Mat64, type Matrix } from './matrix.ts';
import { NotPositiveDefiniteError, cholesky, choleskySolve, eigh, gemm, syrk, triangularSolve } from './ops.ts';
import { rng } from './random.ts';
import { nativeBlasInstalled } from './testing.ts';

// Brute-force oracles, deliberately written without any of the code under test.
function naiveMul(A: Matrix, B: Matrix, ta = false, tb = false): Float64Array {
  const m = ta ? A.cols : A.rows,
    k = ta ? A.rows : A.cols,
    n = tb ? B.rows : B.cols;
  const a = (i: number, p: number) => (ta ? A.data[p * A.cols + i] : A.data[i * A.cols + p]);
  const b = (p: number, j: number) => (tb ? B.data[j * B.cols + p] : B.data[p * B.cols + j]);
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a(i, p) * b(p, j);
      out[i * n + j] = s;
    }
  return out;
}

function relErr(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let num = 0,
    den = 0;
  for (let i = 0; i < x.length; i++) {
    num += (x[i] - y[i]) ** 2;
    den += y[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-300));
}

const R = rng(2024);
function randn(rows: number, cols: number): Mat64 {
  return mat64(rows, cols, R.fillNormal(new Float64Array(rows * cols)));
}
function to32(A: Mat64) {
  return mat32(A.rows, A.cols, Float32Array.from(A.data));
}

/** A known lower factor: unit-ish random entries with a comfortably positive diagonal. */
function knownFactor(n: number): Mat64 {
  const L = mat64(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) L.data[i * n + j] = R.normal() / Math.sqrt(n);
    L.data[i * n + i] = 1 + R.uniform();
  }
  return L;
}

/** L·Lᵀ for lower L, using the triangle so the oracle stays cheap at n ≈ 500. */
function lowerGram(L: Mat64): Mat64 {
  const n = L.rows;
  const A = mat64(n, n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let p = 0; p <= j; p++) s += L.data[i * n + p] * L.data[j * n + p];
      A.data[i * n + j] = A.data[j * n + i] = s;
    }
  return A;
}

const backends = availableBackends();

afterAll(() => {
  setBackend('auto');
});

it('finds the native backend exactly when this machine has a BLAS library, onnxruntime always, and the TS one always', () => {
  expect(backends).toContain('ts');
  expect(backends).toContain('ort'); // onnxruntime-node ships its own MLAS: a regression if it ever fails to load
  expect(backends.includes('openblas')).toBe(nativeBlasInstalled());
});

describe.each(backends.map((b) => [b] as [BackendName]))('backend %s', (name) => {
  const use = () => setBackend(name);

  it('gemm: all transpose variants, non-square, float64 and float32', () => {
    use();
    const [m, k, n] = [37, 53, 29];
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ]) {
      const A = ta ? randn(k, m) : randn(m, k);
      const B = tb ? randn(n, k) : randn(k, n);
      const want = naiveMul(A, B, ta, tb);
      const C = gemm(A, B, { transA: ta, transB: tb });
      expect([C.rows, C.cols]).toEqual([m, n]);
      expect(relErr(C.data, want)).toBeLessThan(1e-14);
      const C32 = gemm(to32(A), to32(B), { transA: ta, transB: tb });
      expect(C32.data).toBeInstanceOf(Float32Array);
      expect(relErr(C32.data, want)).toBeLessThan(1e-6);
      expect(relErr(C32.data, want)).toBeGreaterThan(0); // really computed in float32
    }
  });

  it('gemm: alpha, beta with out, row-block views, 1×k·k×1', () => {
    use();
    const A = randn(40, 12),
      B = randn(12, 9);
    const C0 = randn(40, 9);
    const out = mat64(40, 9, C0.data.slice());
    gemm(A, B, { alpha: -2, beta: 0.5, out });
    const ab = naiveMul(A, B);
    expect(
      relErr(
        out.data,
        ab.map((v, i) => -2 * v + 0.5 * C0.data[i]),
      ),
    ).toBeLessThan(1e-14);
    const V = rowsView(A, 10, 25);
    expect(V.data.byteOffset).toBeGreaterThan(0);
    expect(relErr(gemm(V, B).data, naiveMul(V, B))).toBeLessThan(1e-14);
    const V32 = rowsView(to32(A), 10, 25);
    expect(relErr(gemm(V32, to32(B)).data, naiveMul(V, B))).toBeLessThan(1e-6);
    const x = randn(1, 12),
      y = randn(12, 1);
    expect(gemm(x, y).data[0]).toBeCloseTo(naiveMul(x, y)[0], 12);
  });

  it('syrk: A·Aᵀ and Aᵀ·A, full symmetric', () => {
    use();
    const A = randn(23, 31);
    for (const trans of [false, true]) {
      const S = syrk(A, { trans, alpha: 0.25 });
      const want = naiveMul(A, A, trans, !trans).map((v) => 0.25 * v);
      expect(S.rows).toBe(trans ? 31 : 23);
      expect(relErr(S.data, want)).toBeLessThan(1e-14);
      const S32 = syrk(to32(A), { trans });
      expect(
        relErr(
          S32.data,
          want.map((v) => 4 * v),
        ),
      ).toBeLessThan(1e-6);
    }
  });

  it('cholesky recovers a known factor (n spans several blocks) and solves', () => {
    use();
    const n = name === 'ts' ? 120 : 560;
    const L = knownFactor(n);
    const A = lowerGram(L);
    const F = cholesky(A);
    expect(relErr(F.data, L.data)).toBeLessThan(1e-12);
    let upper = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) upper = Math.max(upper, Math.abs(F.data[i * n + j]));
    expect(upper).toBe(0);
    const X = randn(n, 3);
    const B = mat64(n, 3, naiveMul(A, X));
    expect(relErr(choleskySolve(F, B).data, X.data)).toBeLessThan(1e-10);
    const x = X.data.filter((_, i) => i % 3 === 0);
    const bx = choleskySolve(F, mat64(n, 1, naiveMul(A, mat64(n, 1, x))).data);
    expect(bx).toBeInstanceOf(Float64Array);
    expect(relErr(bx, x)).toBeLessThan(1e-10);
    // float32: same factor to single precision.
    const F32 = cholesky(to32(A));
    expect(F32.data).toBeInstanceOf(Float32Array);
    expect(relErr(F32.data, L.data)).toBeLessThan(1e-4);
    // overwrite factors in place.
    const A2 = mat64(n, n, A.data.slice());
    expect(cholesky(A2, { overwrite: true }).data).toBe(A2.data);
    expect(relErr(A2.data, L.data)).toBeLessThan(1e-12);
  });

  it('triangularSolve: lower/upper × transposed or not', () => {
    use();
    const n = name === 'ts' ? 50 : 300;
    const L = knownFactor(n);
    const U = mat64(
      n,
      n,
      naiveMul(
        L,
        mat64(
          n,
          n,
          new Float64Array(n * n).map((_, i) => (i % (n + 1) === 0 ? 1 : 0)),
        ),
        true,
      ),
    ); // Lᵀ
    const X = randn(n, 4);
    for (const [Tm, lower] of [
      [L, true],
      [U, false],
    ] as const)
      for (const trans of [false, true]) {
        const B = mat64(n, 4, naiveMul(Tm, X, trans));
        expect(relErr(triangularSolve(Tm, B, { lower, trans }).data, X.data)).toBeLessThan(1e-11);
      }
  });

  it('cholesky throws NotPositiveDefiniteError naming the failing pivot', () => {
    use();
    const D = mat64(4, 4, [1, 0, 0, 0, 0, 2, 0, 0, 0, 0, -1, 0, 0, 0, 0, 3]);
    expect(() => cholesky(D)).toThrowError(NotPositiveDefiniteError);
    try {
      cholesky(D);
    } catch (e) {
      expect(e).toBeInstanceOf(TangentError);
      expect((e as NotPositiveDefiniteError).pivot).toBe(3);
      expect((e as Error).message).toMatch(/pivot 3 is not positive/);
    }
    // Rank-deficient Gram matrix (n > rank) fails too, large enough for the blocked path.
    const n = 300;
    const G = syrk(randn(n, 20));
    expect(() => cholesky(G)).toThrowError(/not positive definite/);
  });

  it('eigh: closed-form spectrum of the second-difference matrix', () => {
    use();
    const n = 60;
    const T = mat64(n, n);
    for (let i = 0; i < n; i++) {
      T.data[i * n + i] = 2;
      if (i > 0) T.data[i * n + i - 1] = T.data[(i - 1) * n + i] = -1;
    }
    const { values, vectors } = eigh(T);
    for (let k = 0; k < n; k++) expect(values[k]).toBeCloseTo(2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1)), 13);
    // Eigenvector k ∝ sin(j(k+1)π/(n+1)), up to sign.
    for (const k of [0, 7, n - 1]) {
      let dotv = 0;
      const ref = Array.from({ length: n }, (_, j) => Math.sin(((j + 1) * (k + 1) * Math.PI) / (n + 1)) * Math.sqrt(2 / (n + 1)));
      for (let j = 0; j < n; j++) dotv += vectors.data[j * n + k] * ref[j];
      expect(Math.abs(dotv)).toBeCloseTo(1, 12);
    }
  });

  it('eigh: residual and orthogonality on a random symmetric matrix with a known spectrum', () => {
    use();
    const n = 150;
    // A = Q·diag(λ)·Qᵀ with Q a product of two Householder reflections (exactly orthogonal).
    const lam = Float64Array.from({ length: n }, (_, i) => (i - 40) * 0.37 + (i % 5) * 1e-3);
    const u = R.fillNormal(new Float64Array(n)),
      v = R.fillNormal(new Float64Array(n));
    const nu = Math.hypot(...u),
      nv = Math.hypot(...v);
    const Q = mat64(n, n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = (i === j ? 1 : 0) - (2 * u[i] * u[j]) / nu ** 2; // H_u
        Q.data[i * n + j] = s;
      }
    const Hv = mat64(
      n,
      n,
      new Float64Array(n * n).map((_, ij) => (ij % (n + 1) === 0 ? 1 : 0) - (2 * v[Math.floor(ij / n)] * v[ij % n]) / nv ** 2),
    );
    const QQ = mat64(n, n, naiveMul(Q, Hv));
    const QL = mat64(
      n,
      n,
      QQ.data.map((x, ij) => x * lam[ij % n]),
    );
    const A = mat64(n, n, naiveMul(QL, QQ, false, true));
    const { values, vectors } = eigh(A);
    const sorted = Float64Array.from(lam).sort();
    for (let i = 0; i < n; i++) expect(values[i]).toBeCloseTo(sorted[i], 12);
    const AV = naiveMul(A, vectors);
    const VL = vectors.data.map((x, ij) => x * values[ij % n]);
    let normA = 0;
    for (const x of A.data) normA += x * x;
    expect(relErr(AV, VL) * Math.sqrt(VL.reduce((s, x) => s + x * x, 0) / normA)).toBeLessThan(1e-13);
    const VtV = naiveMul(vectors, vectors, true);
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) off = Math.max(off, Math.abs(VtV[i * n + j] - (i === j ? 1 : 0)));
    expect(off).toBeLessThan(1e-13);
  });

  it('agrees with the TypeScript reference to round-off', () => {
    const A = randn(90, 70);
    const run = () => {
      const G = gemm(A, A, { transA: true });
      const S = syrk(A, { trans: true });
      for (let i = 0; i < 70; i++) S.data[i * 71] += 1;
      const L = cholesky(S);
      return { G, S, L, e: eigh(S).values };
    };
    setBackend('ts');
    const ref = run();
    use();
    const got = run();
    expect(relErr(got.G.data, ref.G.data)).toBeLessThan(1e-14);
    expect(relErr(got.S.data, ref.S.data)).toBeLessThan(1e-14);
    expect(relErr(got.L.data, ref.L.data)).toBeLessThan(1e-13);
    expect(relErr(got.e, ref.e)).toBeLessThan(1e-13);
  });

  it('reports itself', () => {
    use();
    const info = backendInfo();
    expect(info.name).toBe(name);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(hasEigh()).toBe(name === 'openblas');
  });
});

describe('argument errors are one clear line', () => {
  it('rejects mismatched shapes, dtypes and non-square inputs', () => {
    setBackend('ts');
    expect(() => gemm(randn(3, 4), randn(5, 2))).toThrowError(/gemm: inner dimensions differ: op\(A\) is 3×4, op\(B\) is 5×2/);
    expect(() => gemm(randn(3, 4), to32(randn(4, 2)) as unknown as Mat64)).toThrowError(/mixed dtypes \(float64 and float32\)/);
    expect(() => cholesky(randn(3, 4))).toThrowError(/must be square, got 3×4/);
    expect(() => choleskySolve(knownFactor(3), randn(4, 1))).toThrowError(/B has 4 rows, expected 3/);
    expect(() => eigh(to32(randn(3, 3)) as unknown as Mat64)).toThrowError(/must be float64/);
    const bad = randn(3, 3);
    bad.data[4] = NaN;
    expect(() => eigh(bad)).toThrowError(/non-finite entry at \(1, 1\)/);
    expect(() => gemm({ rows: 2, cols: 2, data: new Float64Array(3) } as Mat64, randn(2, 2))).toThrowError(/holds 3 values/);
    const A = randn(4, 4);
    expect(() => gemm(A, A, { out: A })).toThrowError(/out overlaps an input/);
  });

  it('TS eigensolver refuses huge matrices instead of hanging', () => {
    setBackend('ts');
    expect(() => eigh(mat64(3000, 3000))).toThrowError(/too large for the TypeScript eigensolver/);
  });
});
