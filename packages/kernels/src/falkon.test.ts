import { describe, expect, it } from 'vitest';
import { errorOf, rejectionOf } from '@tangent/base/testing';
import { cholesky, choleskySolve, gemm, mat64, rng, type Mat64 } from '@tangent/linalg';
import { conjugateGradient } from './conjugate-gradient.ts';
import { falkonFit, falkonPredict, falkonSolve } from './falkon.ts';
import { storedCrossKernel, streamedCrossKernel } from './kernel-blocks.ts';
import { choleskyRidge, fitLargeScaleKrr, scoreAccuracy } from './large-scale-krr.ts';
import { kernelRegressionBytes, maxCentresThatFit, planKernelRegression } from './memory-model.ts';
import { ntkGram } from './ntk-gram.ts';
import { approximateLeverageScores, gatherRows, kernelDiagonal, uniformCentres, weightedCentres } from './nystrom.ts';

const spec = { depth: 2 } as const;

/** Three Gaussian blobs in d dimensions with one-hot targets minus 1/K. */
function blobs(n: number, d: number, seed: number, spread = 1.3) {
  const r = rng(seed);
  const K = 3;
  const means = Array.from({ length: K }, () => Float64Array.from({ length: d }, () => r.normal()));
  const X = mat64(n, d);
  const labels = new Int32Array(n);
  const Y = mat64(n, K);
  for (let i = 0; i < n; i++) {
    const c = r.int(K);
    labels[i] = c;
    for (let k = 0; k < d; k++) X.data[i * d + k] = means[c][k] + spread * r.normal();
    for (let o = 0; o < K; o++) Y.data[i * K + o] = (o === c ? 1 : 0) - 1 / K;
  }
  return { X, Y, labels };
}

const maxAbs = (a: Mat64, b: Mat64) => a.data.reduce((m, v, i) => Math.max(m, Math.abs(v - b.data[i])), 0);
const maxAbsOf = (a: Mat64) => a.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe('conjugateGradient', () => {
  it('solves an SPD system column by column like Cholesky', () => {
    const r = rng(1);
    const G = mat64(
      40,
      30,
      Float64Array.from({ length: 1200 }, () => r.normal()),
    );
    const A = gemm(G, G, { transA: true });
    for (let i = 0; i < 30; i++) A.data[i * 30 + i] += 0.5;
    const B = mat64(
      30,
      3,
      Float64Array.from({ length: 90 }, () => r.normal()),
    );
    B.data.fill(0, 60, 63); // a zero right-hand side row is fine; a whole zero column must stay zero
    const res = conjugateGradient((P) => gemm(A, P), B, { tol: 1e-12, maxIter: 200 });
    const X = choleskySolve(cholesky(A), B);
    expect(res.converged).toBe(true);
    expect(maxAbs(res.X, X)).toBeLessThan(1e-8 * maxAbsOf(X));
  });
});

describe('Falkon', () => {
  it('with every training row as a centre equals exact kernel ridge (K + λI)⁻¹Y', () => {
    const { X, Y } = blobs(150, 6, 2);
    const lambda = 0.05;
    const K = ntkGram(X, undefined, spec);
    const exact = choleskyRidge(K, Y, lambda);
    const all = Int32Array.from({ length: 150 }, (_, i) => i);
    const C = gatherRows(X, all);
    const sol = falkonSolve(streamedCrossKernel(X, C, { ...spec, blockRows: 37 }), K, Y, lambda, { tol: 1e-12, maxIter: 300, jitter: 0 });
    expect(maxAbs(sol.alpha, exact)).toBeLessThan(1e-6 * maxAbsOf(exact));
  });

  it.each([{ depth: 3 }, { depth: 2, kind: 'nngp' as const }])('the same identity holds for %o (depth-3 NTK, NNGP)', (k) => {
    const { X, Y } = blobs(90, 5, 12);
    const K = ntkGram(X, undefined, k);
    const exact = choleskyRidge(K, Y, 0.02);
    const C = gatherRows(
      X,
      Int32Array.from({ length: 90 }, (_, i) => i),
    );
    const sol = falkonSolve(streamedCrossKernel(X, C, { ...k, blockRows: 40 }), K, Y, 0.02, { tol: 1e-12, maxIter: 300, jitter: 0 });
    expect(maxAbs(sol.alpha, exact)).toBeLessThan(1e-6 * maxAbsOf(exact));
  });

  it('CG on the preconditioned system reaches the direct Nyström solution of H α = K_nMᵀY, stored and streamed alike', async () => {
    const { X, Y } = blobs(400, 8, 3);
    const lambda = 0.2;
    const idx = uniformCentres(400, 60, 7);
    const C = gatherRows(X, idx);
    const Kmm = ntkGram(C, undefined, spec);
    const Knm = ntkGram(X, C, spec);
    const H = gemm(Knm, Knm, { transA: true });
    for (let i = 0; i < H.data.length; i++) H.data[i] += lambda * Kmm.data[i];
    const direct = choleskySolve(cholesky(H), gemm(Knm, Y, { transA: true }));
    const streamed = falkonSolve(streamedCrossKernel(X, C, { ...spec, blockRows: 64 }), Kmm, Y, lambda, {
      tol: 1e-11,
      maxIter: 200,
      jitter: 0,
    });
    const stored = falkonSolve(await storedCrossKernel(X, C, spec), Kmm, Y, lambda, { tol: 1e-11, maxIter: 200, jitter: 0 });
    // Falkon's preconditioner makes this a few tens of iterations at most.
    expect(streamed.cg.iterations).toBeLessThan(60);
    expect(maxAbs(streamed.alpha, direct)).toBeLessThan(1e-6 * maxAbsOf(direct));
    expect(maxAbs(stored.alpha, streamed.alpha)).toBeLessThan(1e-9 * maxAbsOf(direct));
  });

  it('agrees with the exact solver on held-out predictions (small case)', async () => {
    const all = blobs(1600, 10, 4);
    const rows = (a: number, b: number) => Int32Array.from({ length: b - a }, (_, i) => a + i);
    const X = gatherRows(all.X, rows(0, 1200));
    const Y = gatherRows(all.Y, rows(0, 1200));
    const test = { X: gatherRows(all.X, rows(1200, 1600)), labels: all.labels.subarray(1200) };
    const lambda = 1;
    const K = ntkGram(X, undefined, spec);
    const exact = gemm(ntkGram(test.X, X, spec), choleskyRidge(K, Y, lambda));
    const model = await falkonFit(X, Y, { ...spec, lambda, centres: 500, seed: 1, tol: 1e-8, maxIter: 100 });
    const approx = falkonPredict(model, test.X);
    let agree = 0;
    const pred = (F: Mat64, i: number) => [0, 1, 2].reduce((b, c) => (F.data[i * 3 + c] > F.data[i * 3 + b] ? c : b), 0);
    for (let i = 0; i < test.X.rows; i++) if (pred(exact, i) === pred(approx, i)) agree++;
    expect(agree / test.X.rows).toBeGreaterThan(0.98);
    expect(Math.abs(scoreAccuracy(exact, test.labels) - scoreAccuracy(approx, test.labels))).toBeLessThan(0.02);
  });
});

describe('Nyström centres', () => {
  it('leverage scores with the whole set as sample are the exact diag K(K + λI)⁻¹', () => {
    const { X } = blobs(120, 5, 5);
    const lambda = 0.3;
    const K = ntkGram(X, undefined, spec);
    const KK = choleskyRidge(K, K, lambda); // (K + λI)⁻¹ K, symmetric product's diagonal = diag K(K+λI)⁻¹
    const est = approximateLeverageScores(X, lambda, { ...spec, sample: 120, blockRows: 50 });
    for (let i = 0; i < 120; i++) expect(est[i]).toBeCloseTo(KK.data[i * 120 + i], 6);
  });

  it('kernelDiagonal is the Gram diagonal', () => {
    const { X } = blobs(30, 4, 6);
    const K = ntkGram(X, undefined, { depth: 3 });
    const dg = kernelDiagonal(X, { depth: 3 });
    for (let i = 0; i < 30; i++) expect(dg[i]).toBeCloseTo(K.data[i * 30 + i], 6);
  });

  it('weighted sampling gives distinct sorted indices and never a zero weight while positives remain', () => {
    const w = Float64Array.from({ length: 100 }, (_, i) => (i % 2 ? 1 + i : 0));
    const idx = weightedCentres(w, 50, 3);
    expect(new Set(idx).size).toBe(50);
    for (let i = 1; i < 50; i++) expect(idx[i]).toBeGreaterThan(idx[i - 1]);
    for (const i of idx) expect(i % 2).toBe(1);
  });
});

describe('memory model', () => {
  it('picks exact where it fits, Falkon for Fashion-MNIST 60k, and refuses a forced exact that does not fit', () => {
    expect(planKernelRegression({ n: 7613, d: 128, k: 1, m: 2000, maxMemoryGb: 20 }).solver).toBe('exact');
    const p = planKernelRegression({ n: 60000, d: 784, k: 10, m: 10000, maxMemoryGb: 20 });
    expect(p.solver).toBe('falkon');
    expect(p.crossKernel).toBe('stored');
    expect(p.reason).toMatch(/exact would need/);
    expect(planKernelRegression({ n: 60000, d: 784, k: 10, m: 10000, maxMemoryGb: 5 }).crossKernel).toBe('streamed');
    expect(() => planKernelRegression({ n: 60000, d: 784, k: 10, m: 10000, solver: 'exact', maxMemoryGb: 20 })).toThrow(
      /use solver: falkon/,
    );
    // M = 40000 does not fit 2 GB even streamed: the advice is the largest M that does (brute force: M fits, M + 1 not).
    const big = { n: 60000, d: 784, k: 10, m: 40000, maxMemoryGb: 2 };
    const fit = maxCentresThatFit(big, 2 * 1024 ** 3);
    expect(kernelRegressionBytes({ ...big, m: fit }).falkonStreamed).toBeLessThanOrEqual(2 * 1024 ** 3);
    expect(kernelRegressionBytes({ ...big, m: fit + 1 }).falkonStreamed).toBeGreaterThan(2 * 1024 ** 3);
    expect(fit).toBeGreaterThan(1000);
    expect(errorOf(() => planKernelRegression(big))).toBe(
      `centres: Falkon with M = 40000 needs 50.0 GiB even with K_nM streamed, more than the 2.00 GiB budget from maxMemoryGb = 2; use at most ${fit} centres (centres: [${fit}]) or raise maxMemoryGb to 50.03`, // 32·M² + 16·2048·M + 8·(4·600000 + 60000·784) + 0.75 GiB at M = 40000 is 53.7e9 B
    );
    // 1 GB holds the runtime (0.75 GiB) but not it and the 60000 × 784 data (0.35 GiB): no M fits, and the message says what would.
    const none = { n: 60000, d: 784, k: 10, m: 10000, maxMemoryGb: 1 };
    expect(maxCentresThatFit(none, 1024 ** 3)).toBe(0);
    expect(errorOf(() => planKernelRegression(none))).toBe(
      "maxMemoryGb: no number of centres fits the 1.00 GiB budget from maxMemoryGb = 1: the training data and targets (N = 60000, d = 784, K = 10) with the runtime's 768 MiB already need 1.12 GiB; raise maxMemoryGb to 4.41, or train on fewer rows (data.trainSubset)",
    ); // M = 10000 streamed: 8·(2·2048·10⁴ + 4·10⁸ + 4·6·10⁵) + 8·4.704·10⁷ + 0.75 GiB = 4.73e9 B = 4.40 GiB
  });

  it('fitLargeScaleKrr selects λ on validation and reports the plan', async () => {
    const { X, Y, labels } = blobs(600, 6, 8);
    const r = await fitLargeScaleKrr(X, Y, labels, {
      ...spec,
      solver: 'falkon',
      lambdas: [0.1, 10],
      centres: [100, 200],
      validationFraction: 0.2,
      seed: 0,
      tol: 1e-6,
    });
    expect(r.plan.solver).toBe('falkon');
    expect(r.validation).toHaveLength(4);
    expect([0.1, 10]).toContain(r.lambda);
    const e = await fitLargeScaleKrr(X, Y, labels, {
      ...spec,
      solver: 'exact',
      lambdas: [0.1, 10],
      centres: [100],
      validationFraction: 0.2,
      seed: 0,
    });
    expect(e.plan.solver).toBe('exact');
    expect(scoreAccuracy(e.predict(X), labels)).toBeGreaterThan(0.6);
  });

  it('refuses to choose λ on fewer than 10 validation rows (accuracy in steps over 10 %), with the fields to change', async () => {
    const { X, Y, labels } = blobs(90, 6, 8);
    const opts = { ...spec, solver: 'exact' as const, lambdas: [0.1, 10], centres: [50], seed: 0 };
    await expect(rejectionOf(fitLargeScaleKrr(X, Y, labels, { ...opts, validationFraction: 0.1 }))).resolves.toBe(
      'validationFraction: 0.1 of 90 training rows leaves 9 validation rows to choose λ on; at least 10 are needed: raise validationFraction or the training rows (data.trainSubset), or give one λ',
    );
    expect((await fitLargeScaleKrr(X, Y, labels, { ...opts, validationFraction: 0.12 })).validation).toHaveLength(2); // round(10.8) = 11 rows
    expect((await fitLargeScaleKrr(X, Y, labels, { ...opts, lambdas: [0.1], validationFraction: 0 })).lambda).toBe(0.1); // nothing to choose
  });
});
