import { describe, expect, it } from 'vitest';
import { mat64, rng, type Mat64 } from '@tangent/linalg';
import { argmaxLabels, encodeOneHot } from './classification-metrics.ts';
import { crossValidateRidge, groupHoldoutScores, subKernel } from './cross-validate-ridge.ts';
import { kernelRidgeFit, kernelRidgePredict } from './kernel-ridge-fit.ts';
import { looResiduals } from './loo-residuals.ts';
import { ntkGram } from './ntk-gram.ts';
import { ridgeSpectrum, spectralRidgeAlphas } from './spectral-ridge.ts';

/** Three Gaussian clusters on the unit sphere in R^5 (50 rows each, shuffled), centred on e_0, e_1, e_2: class = cluster. */
function clusters(n = 150, d = 5, K = 3, seed = 21) {
  const r = rng(seed);
  const centres = Array.from({ length: K }, (_, c) => Array.from({ length: d }, (_, k) => (k === c ? 1 : 0)));
  const order = r.permutation(n);
  const t = Int8Array.from(order, (p) => p % K);
  const X = mat64(n, d);
  for (let i = 0; i < n; i++) {
    const x = centres[t[i]].map((v) => v + 0.3 * r.normal());
    const s = Math.hypot(...x);
    for (let k = 0; k < d; k++) X.data[i * d + k] = x[k] / s;
  }
  return { X, t, K };
}

/** Column k of a row-major matrix. */
const column = (M: Mat64, k: number) => Float64Array.from({ length: M.rows }, (_, i) => M.data[i * M.cols + k]);
const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('multi-class kernel ridge: K right-hand sides from one factorisation', () => {
  const { X, t, K } = clusters();
  const n = X.rows;
  const G = ntkGram(X, undefined, { depth: 2 });
  const Y = encodeOneHot(t, K);
  const lambdas = [1e-3, 0.03, 1];
  const copy = () => mat64(n, n, G.data.slice());

  it('Cholesky, spectral, LOO and leave-group-out with K targets equal K single-target solves to 1e-10', () => {
    const spec = ridgeSpectrum(copy(), Y);
    expect(spec.targets).toBe(K);
    const A = spectralRidgeAlphas(spec, lambdas); // n × (|λ|·K), column c·K + k
    const R = looResiduals(spec, lambdas);
    const held = [0, 5, 6, 40, 77, 149];
    const H = groupHoldoutScores(spec, Y, held, lambdas, A);
    for (let k = 0; k < K; k++) {
      const yk = column(Y, k);
      const one = ridgeSpectrum(copy(), yk);
      const a1 = spectralRidgeAlphas(one, lambdas);
      const r1 = looResiduals(one, lambdas);
      const h1 = groupHoldoutScores(one, yk, held, lambdas);
      for (const [c, lam] of lambdas.entries()) {
        const ref = kernelRidgeFit(G, yk, lam);
        const tol = 1e-10 * maxAbs(ref);
        expect(maxDiff(column(kernelRidgeFit(G, Y, lam), k), ref)).toBeLessThan(tol);
        expect(maxDiff(column(A, c * K + k), column(a1, c))).toBeLessThan(tol);
        expect(maxDiff(column(A, c * K + k), ref)).toBeLessThan(1e-8 * maxAbs(ref)); // spectral vs Cholesky: the conditioning of K + λI
        expect(maxDiff(column(R, c * K + k), column(r1, c))).toBeLessThan(1e-10 * maxAbs(column(r1, c)));
        expect(maxDiff(column(H, c * K + k), column(h1, c))).toBeLessThan(1e-10 * maxAbs(column(h1, c)));
      }
    }
    // predictions: K columns of one product
    const P = kernelRidgePredict(subKernel(G, held, [...Array(n).keys()]), kernelRidgeFit(G, Y, 0.03));
    expect(P.rows).toBe(held.length);
    expect(P.cols).toBe(K);
  });

  it('CV: the three solvers agree, and each fold’s accuracy and macro-F1 equal K explicit refits + argmax', () => {
    const fold = Int8Array.from({ length: n }, (_, i) => i % 4);
    const spectrum = ridgeSpectrum(copy(), Y);
    const runs = (['cholesky', 'eigh', 'shared-eigh'] as const).map((solver) =>
      crossValidateRidge(G, Y, t, fold, { lambdas, solver, spectrum: solver === 'shared-eigh' ? spectrum : undefined }),
    );
    const [chol, ...others] = runs;
    for (const o of others)
      for (let f = 0; f < 4; f++) {
        expect(Array.from(o.accuracy[f])).toEqual(Array.from(chol.accuracy[f]));
        expect(Array.from(o.macroF1[f])).toEqual(Array.from(chol.macroF1[f]));
        expect(maxDiff(o.mse[f], chol.mse[f])).toBeLessThan(1e-8);
      }
    // f1 is macro-F1 for K > 2
    expect(chol.f1).toEqual(chol.macroF1);
    for (let f = 0; f < 4; f++) {
      const tr = [...Array(n).keys()].filter((i) => fold[i] !== f),
        va = [...Array(n).keys()].filter((i) => fold[i] === f);
      for (const [c, lam] of lambdas.entries()) {
        // K separate single-target refits on the fold's training rows, then the argmax by hand
        const scores = Array.from({ length: K }, (_, k) =>
          kernelRidgePredict(
            subKernel(G, va, tr),
            kernelRidgeFit(
              subKernel(G, tr, tr),
              Float64Array.from(tr, (i) => Y.data[i * K + k]),
              lam,
            ),
          ),
        );
        const pred = va.map((_, a) => scores.reduce((best, s, k) => (s[a] > scores[best][a] ? k : best), 0));
        const truth = va.map((i) => t[i]);
        let f1 = 0;
        for (let k = 0; k < K; k++) {
          const tp = pred.filter((p, a) => p === k && truth[a] === k).length;
          const wrong = pred.filter((p, a) => (p === k) !== (truth[a] === k)).length;
          f1 += (2 * tp) / (2 * tp + wrong) / K;
        }
        expect(chol.accuracy[f][c]).toBeCloseTo(pred.filter((p, a) => p === truth[a]).length / va.length, 14);
        expect(chol.macroF1[f][c]).toBeCloseTo(f1, 14);
        let se = 0;
        va.forEach((i, a) => scores.forEach((s, k) => (se += (s[a] - Y.data[i * K + k]) ** 2)));
        expect(chol.mse[f][c]).toBeCloseTo(se / (va.length * K), 10);
      }
    }
    // Separated clusters: the argmax is right almost everywhere.
    const best = Math.max(...lambdas.map((_, c) => chol.accuracy.reduce((s, a) => s + a[c], 0) / 4));
    expect(best).toBeGreaterThan(0.9);
  });

  it('±1 and 0/1 one-hot codings predict the same classes (the common shift moves no argmax)', () => {
    const train = [...Array(120).keys()],
      test = [...Array(30).keys()].map((i) => 120 + i);
    const Ktr = subKernel(G, train, train),
      Kte = subKernel(G, test, train);
    const tt = Int8Array.from(train, (i) => t[i]);
    const pm1 = argmaxLabels(kernelRidgePredict(Kte, kernelRidgeFit(Ktr, encodeOneHot(tt, K, 'pm1'), 0.01)));
    const zo = argmaxLabels(kernelRidgePredict(Kte, kernelRidgeFit(Ktr, encodeOneHot(tt, K, '01'), 0.01)));
    expect(Array.from(pm1)).toEqual(Array.from(zo));
    expect(pm1.filter((p, a) => p === t[test[a]]).length).toBeGreaterThanOrEqual(27);
  });
});
