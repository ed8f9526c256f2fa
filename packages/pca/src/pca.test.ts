import { mat64, rng, setBackend, availableBackends, type Mat64 } from '@tangent/linalg';
import { PCA } from 'ml-pca';
import { afterAll, describe, expect, it } from 'vitest';
import { fitPca, projectPca, unitRows32 } from './pca.ts';

/** Embedding-like data: a low-rank correlated signal with decaying scales, plus isotropic noise and an offset. */
function correlated(n: number, D: number, rank: number, seed: number): Mat64 {
  const r = rng(seed);
  const mix = r.fillNormal(new Float64Array(rank * D));
  const X = mat64(n, D);
  for (let i = 0; i < n; i++) {
    for (let q = 0; q < rank; q++) {
      const z = r.normal() * 3 * 0.8 ** q;
      for (let j = 0; j < D; j++) X.data[i * D + j] += z * mix[q * D + j];
    }
    for (let j = 0; j < D; j++) X.data[i * D + j] += 0.3 * r.normal() + 0.05 * j;
  }
  return X;
}

function rows2d(X: Mat64): number[][] {
  return Array.from({ length: X.rows }, (_, i) => Array.from(X.data.subarray(i * X.cols, (i + 1) * X.cols)));
}

afterAll(() => {
  setBackend('auto');
});

describe.each(availableBackends().map((b) => [b]))('fitPca on backend %s', (backendName) => {
  it('matches ml-pca: explained variance ratios and projections up to per-component sign', () => {
    setBackend(backendName as 'ts');
    const X = correlated(500, 64, 12, 11);
    const d = 16;
    const model = fitPca(X, d);
    const oracle = new PCA(rows2d(X), { center: true, scale: false });
    const ratios = oracle.getExplainedVariance();
    for (let k = 0; k < d; k++) expect(model.explainedVarianceRatio[k]).toBeCloseTo(ratios[k], 12);
    const Y = projectPca(model, X);
    const Yo = oracle.predict(rows2d(X), { nComponents: d }).to2DArray();
    let worst = 0;
    for (let k = 0; k < d; k++) {
      let s = 0;
      for (let i = 0; i < X.rows; i++) s += Y.data[i * d + k] * Yo[i][k];
      const sign = s < 0 ? -1 : 1;
      for (let i = 0; i < X.rows; i++) worst = Math.max(worst, Math.abs(Y.data[i * d + k] - sign * Yo[i][k]));
    }
    expect(worst).toBeLessThan(1e-9);
    // Variances are the eigenvalues of the n−1 sample covariance, as ml-pca's S²/(n−1).
    const ev = oracle.getEigenvalues();
    for (let k = 0; k < d; k++) expect(model.variances[k]).toBeCloseTo(ev[k], 9);
  });
});

describe('fitPca', () => {
  it('closed form: four points on two axes', () => {
    // (±a, 0), (0, ±b): mean 0, covariance diag(2a²/3, 2b²/3) with divisor n − 1 = 3.
    const a = 3,
      b = 1;
    const X = mat64(4, 2, [a, 0, -a, 0, 0, b, 0, -b]);
    const m = fitPca(X, 2);
    expect(Array.from(m.mean)).toEqual([0, 0]);
    expect(m.variances[0]).toBeCloseTo((2 * a * a) / 3, 14);
    expect(m.variances[1]).toBeCloseTo((2 * b * b) / 3, 14);
    expect(m.explainedVarianceRatio[0]).toBeCloseTo((a * a) / (a * a + b * b), 14);
    // Sign convention: largest-magnitude entry positive.
    expect(Array.from(m.components.data).map((v) => (Math.abs(v) < 1e-15 ? 0 : v))).toEqual([1, 0, 0, 1]);
  });

  it('projections are unit norm, fitted-only-on-train data projects test rows too', () => {
    const X = correlated(300, 40, 6, 5);
    const test = correlated(50, 40, 6, 6);
    const m = fitPca(X, 8);
    for (const Y of [unitRows32(projectPca(m, X)), unitRows32(projectPca(m, test))]) {
      expect(Y.data).toBeInstanceOf(Float32Array);
      expect(Y.cols).toBe(8);
      for (let i = 0; i < Y.rows; i++) {
        let s = 0;
        for (let j = 0; j < 8; j++) s += Y.data[i * 8 + j] ** 2;
        expect(Math.sqrt(s)).toBeCloseTo(1, 6);
      }
    }
    // Components are orthonormal.
    for (let p = 0; p < 8; p++)
      for (let q = 0; q < 8; q++) {
        let s = 0;
        for (let j = 0; j < 40; j++) s += m.components.data[p * 40 + j] * m.components.data[q * 40 + j];
        expect(s).toBeCloseTo(p === q ? 1 : 0, 12);
      }
  });

  it('rejects impossible d and bad data with one clear line', () => {
    const X = correlated(20, 10, 3, 1);
    expect(() => fitPca(X, 11)).toThrowError(/d=11 exceeds the embedding dimension 10/);
    expect(() => fitPca(X, 0)).toThrowError(/d must be a whole number >= 1/);
    expect(() => fitPca(mat64(5, 10, correlated(5, 10, 3, 1).data), 6)).toThrowError(/rank bound n−1=4/);
    X.data[17] = NaN;
    expect(() => fitPca(X, 3)).toThrowError(/non-finite value in row 1, column 7/);
    expect(() => projectPca(fitPca(correlated(20, 10, 3, 1), 3), correlated(5, 9, 3, 1))).toThrowError(
      /9 columns but the model was fitted on 10/,
    );
  });
});
