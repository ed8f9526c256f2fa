import { describe, expect, it } from 'vitest';
import { hasEigh, mat64, rng, type Mat64 } from '@tangent/linalg';
import { autoSolver, crossValidateRidge, groupHoldoutScores, subKernel } from './cross-validate-ridge.ts';
import { kernelRidgeFit, kernelRidgePredict } from './kernel-ridge-fit.ts';
import { looResiduals } from './loo-residuals.ts';
import { ntkGram } from './ntk-gram.ts';
import { ridgeSpectrum, spectralRidgeAlphas } from './spectral-ridge.ts';

/** Independent oracle: Gaussian elimination with partial pivoting on (K + λI) α = y. */
function gaussSolve(K: Mat64, y: Float64Array, lambda: number): Float64Array {
  const n = K.rows;
  const A = Array.from({ length: n }, (_, i) => [
    ...Array.from(K.data.subarray(i * n, (i + 1) * n), (v, j) => v + (i === j ? lambda : 0)),
    y[i],
  ]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
    [A[c], A[p]] = [A[p], A[c]];
    for (let r = c + 1; r < n; r++) {
      const f = A[r][c] / A[c][c];
      for (let k = c; k <= n; k++) A[r][k] -= f * A[c][k];
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = A[r][n];
    for (let k = r + 1; k < n; k++) s -= A[r][k] * x[k];
    x[r] = s / A[r][r];
  }
  return x;
}

function data(n: number, d: number, seed: number) {
  const r = rng(seed);
  const X = mat64(
    n,
    d,
    Float64Array.from({ length: n * d }, () => r.normal()),
  );
  // A noisy nonlinear rule, so that λ matters and CV has something to choose.
  const t = Int8Array.from({ length: n }, (_, i) => (Math.sin(2 * X.data[i * d]) + X.data[i * d + 1] + 0.5 * r.normal() > 0 ? 1 : 0));
  const y = Float64Array.from(t, (v) => 2 * v - 1);
  return { X, t, y };
}
const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let num = 0,
    den = 0;
  for (let i = 0; i < a.length; i++) ((num = Math.max(num, Math.abs(a[i] - b[i]))), (den = Math.max(den, Math.abs(b[i]))));
  return num / den;
};

describe('kernel ridge regression', () => {
  const { X, t, y } = data(60, 4, 5);
  const K = ntkGram(X, undefined, { depth: 2 });

  it('Cholesky fit and the spectral path both match Gaussian elimination', () => {
    const lambdas = [1e-3, 0.05, 3];
    const spec = ridgeSpectrum(mat64(K.rows, K.cols, K.data.slice()), y);
    const A = spectralRidgeAlphas(spec, lambdas);
    lambdas.forEach((lam, c) => {
      const ref = gaussSolve(K, y, lam);
      expect(maxRel(kernelRidgeFit(K, y, lam), ref)).toBeLessThan(1e-9);
      expect(
        maxRel(
          Float64Array.from({ length: K.rows }, (_, i) => A.data[i * lambdas.length + c]),
          ref,
        ),
      ).toBeLessThan(1e-9);
    });
    // The fit interpolates as λ → 0: training predictions approach y.
    const pred = kernelRidgePredict(K, kernelRidgeFit(K, y, 1e-9));
    expect(maxRel(pred, y)).toBeLessThan(1e-4);
  });

  it('closed-form leave-one-out residuals equal explicit leave-one-out refits', () => {
    const lambdas = [1e-2, 0.3];
    const R = looResiduals(ridgeSpectrum(mat64(K.rows, K.cols, K.data.slice()), y), lambdas, 16);
    const n = K.rows;
    for (const [c, lam] of lambdas.entries())
      for (const i of [0, 7, 33, 59]) {
        const keep = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i);
        const alpha = gaussSolve(
          subKernel(K, keep, keep),
          Float64Array.from(keep, (j) => y[j]),
          lam,
        );
        const yhat = kernelRidgePredict(subKernel(K, [i], keep), alpha)[0];
        expect(R.data[i * lambdas.length + c]).toBeCloseTo(y[i] - yhat, 9);
      }
  });

  it('leave-group-out identity: held-out predictions from one eigendecomposition equal explicit refits', () => {
    const lambdas = [1e-3, 0.1, 2];
    const n = K.rows;
    const held = [3, 4, 17, 30, 31, 58]; // a fold, scattered
    const S = groupHoldoutScores(ridgeSpectrum(mat64(n, n, K.data.slice()), y), y, held, lambdas);
    const keep = Array.from({ length: n }, (_, j) => j).filter((j) => !held.includes(j));
    for (const [c, lam] of lambdas.entries()) {
      const alpha = gaussSolve(
        subKernel(K, keep, keep),
        Float64Array.from(keep, (j) => y[j]),
        lam,
      );
      const want = kernelRidgePredict(subKernel(K, held, keep), alpha);
      const got = held.map((_, a) => S.data[a * lambdas.length + c]);
      expect(maxRel(got, want)).toBeLessThan(1e-9);
    }
  });

  it('λ = 0 on duplicated points is a clear error on both paths, never NaN; jitter is opt-in', () => {
    const D = mat64(6, 2, [1, 0, 0, 1, 1, 0, 0.5, 0.5, -1, 0.2, 0.3, -0.7]); // rows 0 and 2 coincide
    const KD = ntkGram(D, undefined, { depth: 2 });
    const yd = Float64Array.from([1, -1, 1, 1, -1, -1]);
    expect(() => kernelRidgeFit(KD, yd, 0)).toThrow(/singular at λ = 0 .*use λ > 0/);
    expect(() => spectralRidgeAlphas(ridgeSpectrum(KD, yd), [0])).toThrow(/singular at λ = 0/);
    const a = kernelRidgeFit(KD, yd, 0, { jitter: 1e-8 });
    expect(a.every(Number.isFinite)).toBe(true);
  });

  it('cross-validation: the eigen path and the per-λ Cholesky path agree', () => {
    const { X: X2, t: t2, y: y2 } = data(150, 3, 9);
    const K2 = ntkGram(X2, undefined, { depth: 2 });
    const fold = Int8Array.from({ length: 150 }, (_, i) => i % 4);
    const lambdas = [1e-4, 1e-3, 1e-2, 1e-1, 1];
    const e = crossValidateRidge(K2, y2, t2, fold, { lambdas, solver: 'eigh' });
    const c = crossValidateRidge(K2, y2, t2, fold, { lambdas, solver: 'cholesky' });
    const g = crossValidateRidge(K2, y2, t2, fold, { lambdas, solver: 'shared-eigh' });
    expect(e.solver).toBe('eigh');
    expect(c.solver).toBe('cholesky');
    expect(g.solver).toBe('shared-eigh');
    expect(e.folds).toBe(4);
    for (const other of [e, g])
      for (let f = 0; f < 4; f++) {
        expect(Array.from(other.accuracy[f])).toEqual(Array.from(c.accuracy[f]));
        expect(Array.from(other.f1[f])).toEqual(Array.from(c.f1[f]));
        expect(maxRel(other.mse[f], c.mse[f])).toBeLessThan(1e-8);
      }
    // auto shares one eigendecomposition when it is there anyway (given, for LOO) or cheaper than the
    // folds × λ Choleskys; 4 × 5 solves are not; a jitter keeps the per-fold paths. Without a native
    // LAPACK eigensolver (TANGENT_BLAS=ts or ort) auto always takes the Choleskys.
    const shared = hasEigh() ? 'shared-eigh' : 'cholesky';
    const spectrum = ridgeSpectrum(mat64(150, 150, K2.data.slice()), y2);
    expect(crossValidateRidge(K2, y2, t2, fold, { lambdas, spectrum }).solver).toBe(shared);
    expect(crossValidateRidge(K2, y2, t2, fold, { lambdas }).solver).toBe('cholesky');
    expect(autoSolver(20, 0, 5)).toBe(shared);
    expect(autoSolver(20, 1e-9, 5, true)).toBe('cholesky');
    expect(autoSolver(30, 1e-9, 5)).toBe(hasEigh() ? 'eigh' : 'cholesky');
    // Something was learned: better than the majority class on held-out folds.
    const best = Math.max(...lambdas.map((_, j) => e.accuracy.reduce((s, a) => s + a[j], 0) / 4));
    const major =
      Math.max(
        t2.reduce((s, v) => s + v, 0),
        150 - t2.reduce((s, v) => s + v, 0),
      ) / 150;
    expect(best).toBeGreaterThan(major + 0.05);
    void t;
  });
});
