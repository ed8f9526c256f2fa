import { describe, expect, it } from 'vitest';
import { errorOf, rejectionOf } from '@tangent/base/testing';
import { cholesky, choleskySolve, gemm, mat64, rng, type Mat64 } from '@tangent/linalg';
import { conjugateGradient } from './conjugate-gradient.ts';
import {
  centreFactors,
  falkonFit,
  falkonPreconditioner,
  falkonPredict,
  falkonSolve,
  falkonSolveProblem,
  gramProblem,
  selectCentreSets,
} from './falkon.ts';
import { storedCrossKernel, streamedCrossKernel } from './kernel-blocks.ts';
import { choleskyRidge, fitLargeScaleKrr, scoreAccuracy, validationMask } from './large-scale-krr.ts';
import { kernelRegressionBytes, maxCentresThatFit, planKernelRegression } from './memory-model.ts';
import { ntkGram } from './ntk-gram.ts';
import { nystromGram, sumSegments } from './nystrom-gram.ts';
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
  it('with every training row as a centre equals exact kernel ridge (K + λI)⁻¹Y', async () => {
    const { X, Y } = blobs(150, 6, 2);
    const lambda = 0.05;
    const K = ntkGram(X, undefined, spec);
    const exact = choleskyRidge(K, Y, lambda);
    const all = Int32Array.from({ length: 150 }, (_, i) => i);
    const C = gatherRows(X, all);
    const sol = await falkonSolve(streamedCrossKernel(X, C, { ...spec, blockRows: 37 }), K, Y, lambda, {
      tol: 1e-12,
      maxIter: 300,
      jitter: 0,
    });
    expect(maxAbs(sol.alpha, exact)).toBeLessThan(1e-6 * maxAbsOf(exact));
  });

  it.each([{ depth: 3 }, { depth: 2, kind: 'nngp' as const }])('the same identity holds for %o (depth-3 NTK, NNGP)', async (k) => {
    const { X, Y } = blobs(90, 5, 12);
    const K = ntkGram(X, undefined, k);
    const exact = choleskyRidge(K, Y, 0.02);
    const C = gatherRows(
      X,
      Int32Array.from({ length: 90 }, (_, i) => i),
    );
    const sol = await falkonSolve(streamedCrossKernel(X, C, { ...k, blockRows: 40 }), K, Y, 0.02, { tol: 1e-12, maxIter: 300, jitter: 0 });
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
    const streamed = await falkonSolve(streamedCrossKernel(X, C, { ...spec, blockRows: 64 }), Kmm, Y, lambda, {
      tol: 1e-11,
      maxIter: 200,
      jitter: 0,
    });
    const stored = await falkonSolve(await storedCrossKernel(X, C, { ...spec, dtype: 'float64' }), Kmm, Y, lambda, {
      tol: 1e-11,
      maxIter: 200,
      jitter: 0,
    });
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
    const approx = await falkonPredict(model, test.X);
    let agree = 0;
    const pred = (F: Mat64, i: number) => [0, 1, 2].reduce((b, c) => (F.data[i * 3 + c] > F.data[i * 3 + b] ? c : b), 0);
    for (let i = 0; i < test.X.rows; i++) if (pred(exact, i) === pred(approx, i)) agree++;
    expect(agree / test.X.rows).toBeGreaterThan(0.98);
    expect(Math.abs(scoreAccuracy(exact, test.labels) - scoreAccuracy(approx, test.labels))).toBeLessThan(0.02);
  });
});

describe('Falkon at scale: float32 K_nM, reuse across λ and row subsets', () => {
  const setup = async () => {
    const { X, Y, labels } = blobs(900, 8, 21);
    const C = gatherRows(X, uniformCentres(900, 120, 3));
    const Kmm = ntkGram(C, undefined, spec);
    return { X, Y, labels, C, Kmm };
  };

  it('float32 storage: products within float32 rounding, and the CG solution reaches the float64 optimum of the objective', async () => {
    const { X, Y, labels, C, Kmm } = await setup();
    const fit = Int32Array.from({ length: 700 }, (_, i) => i),
      held = Int32Array.from({ length: 200 }, (_, i) => 700 + i);
    const [Xf, Yf] = [gatherRows(X, fit), gatherRows(Y, fit)];
    const K64 = await storedCrossKernel(Xf, C, { ...spec, dtype: 'float64' });
    const K32 = await storedCrossKernel(Xf, C, { ...spec, dtype: 'float32' });
    expect(K32.dtype).toBe('float32');
    // With V ≥ 0 nothing cancels, so the float32 products are within a few units of 2⁻²⁴ of float64.
    const V = mat64(
      120,
      3,
      Float64Array.from({ length: 360 }, (_, i) => 1 + Math.sin(i)),
    );
    const U = mat64(
      700,
      3,
      Float64Array.from({ length: 2100 }, (_, i) => 1 + Math.cos(i)),
    );
    expect(maxAbs(await K32.normal(V), await K64.normal(V))).toBeLessThan(1e-6 * maxAbsOf(await K64.normal(V)));
    expect(maxAbs(await K32.times(V), await K64.times(V))).toBeLessThan(1e-6 * maxAbsOf(await K64.times(V)));
    expect(maxAbs(await K32.timesT(U), await K64.timesT(U))).toBeLessThan(1e-6 * maxAbsOf(await K64.timesT(U)));
    // The Nyström objective J(α) = |K_nM α − Y|² + λ αᵀK_MM α, evaluated in float64.
    const J = async (a: Mat64, lambda: number) => {
      const R = await K64.times(a),
        KA = gemm(Kmm, a);
      let s = 0;
      for (let i = 0; i < R.data.length; i++) s += (R.data[i] - Yf.data[i]) ** 2;
      for (let i = 0; i < a.data.length; i++) s += lambda * a.data[i] * KA.data[i];
      return s;
    };
    const Kheld = ntkGram(gatherRows(X, held), C, spec);
    const pred = (F: Mat64, i: number) => [0, 1, 2].reduce((b, c) => (F.data[i * 3 + c] > F.data[i * 3 + b] ? c : b), 0);
    for (const lambda of [0.05, 1]) {
      const opts = { tol: 1e-8, maxIter: 300 };
      const s64 = await falkonSolve(K64, Kmm, Yf, lambda, opts);
      const s32 = await falkonSolve(K32, Kmm, Yf, lambda, opts);
      expect(s32.cg.converged).toBe(true);
      expect(s32.cg.iterations).toBeLessThanOrEqual(1.3 * s64.cg.iterations + 3);
      // At the optimum J is flat: float32 arithmetic moves α (the float32 sums of K_nM Z cancel) but
      // not J. Measured 1e-7 (λ = 0.05) and 2e-8 (λ = 1); a solve stopped early is off by far more.
      const [j32, j64] = [await J(s32.alpha, lambda), await J(s64.alpha, lambda)];
      expect((j32 - j64) / j64).toBeLessThan(1e-6);
      expect(j32).toBeGreaterThanOrEqual(j64 * (1 - 1e-12));
      // Held-out scores within 1e-3 of their scale (measured 2e-4 at λ = 0.05, 5e-5 at λ = 1) and the same labels.
      const F64 = gemm(Kheld, s64.alpha),
        F32 = gemm(Kheld, s32.alpha);
      expect(maxAbs(F32, F64)).toBeLessThan(1e-3 * maxAbsOf(F64));
      for (let i = 0; i < 200; i++) expect(pred(F32, i)).toBe(pred(F64, i));
      expect(scoreAccuracy(F32, labels.subarray(700))).toBe(scoreAccuracy(F64, labels.subarray(700)));
    }
    const early = await falkonSolve(K64, Kmm, Yf, 0.05, { tol: 1e-2, maxIter: 300 });
    expect(
      ((await J(early.alpha, 0.05)) - (await J((await falkonSolve(K64, Kmm, Yf, 0.05, { tol: 1e-8, maxIter: 300 })).alpha, 0.05))) /
        (await J(early.alpha, 0.05)),
    ).toBeGreaterThan(1e-6);
  });

  it('L and (1/M)LᵀL shared across λ give the same preconditioner bit for bit, and a warm start the same solution', async () => {
    const { X, Y, C, Kmm } = await setup();
    const f = centreFactors(Kmm, 1e-10);
    const a = falkonPreconditioner(f, 0.3, 900),
      b = falkonPreconditioner(Kmm, 0.3, 900, 1e-10);
    expect(Array.from(a.LA.data)).toEqual(Array.from(b.LA.data));
    expect(Array.from(a.L.data)).toEqual(Array.from(b.L.data));
    const Knm = await storedCrossKernel(X, C, { ...spec, dtype: 'float64' });
    const tight = { tol: 1e-11, maxIter: 300 };
    const first = await falkonSolve(Knm, f, Y, 1, tight);
    const cold = await falkonSolve(Knm, Kmm, Y, 0.05, tight);
    const warm = await falkonSolve(Knm, f, Y, 0.05, { ...tight, alpha0: first.alpha });
    expect(warm.cg.converged).toBe(true);
    expect(maxAbs(warm.alpha, cold.alpha)).toBeLessThan(1e-6 * maxAbsOf(cold.alpha));
    // Started at the solution itself, CG has nothing left to do.
    expect((await falkonSolve(Knm, f, Y, 0.05, { ...tight, tol: 1e-6, alpha0: cold.alpha })).cg.iterations).toBe(0);
  });

  it('the validation fit on the stored rows prefix equals a fit computed from scratch on those rows, and the masked fit', async () => {
    const { X, Y, C, Kmm } = await setup();
    const fit = Int32Array.from({ length: 900 }, (_, i) => i).filter((i) => i % 7 !== 3);
    const val = Int32Array.from({ length: 900 }, (_, i) => i).filter((i) => i % 7 === 3);
    const order = Int32Array.from([...fit, ...val]);
    const Knm = await storedCrossKernel(X, C, { ...spec, dtype: 'float64', order });
    const f = centreFactors(Kmm);
    const opts = { tol: 1e-10, maxIter: 300 };
    const prefix = await falkonSolve(Knm.rows(0, fit.length), f, gatherRows(Y, fit), 0.1, opts);
    const scratch = await falkonSolve(
      await storedCrossKernel(gatherRows(X, fit), C, { ...spec, dtype: 'float64' }),
      Kmm,
      gatherRows(Y, fit),
      0.1,
      opts,
    );
    expect(maxAbs(prefix.alpha, scratch.alpha)).toBeLessThan(1e-9 * maxAbsOf(scratch.alpha));
    const mask = Uint8Array.from({ length: 900 }, (_, i) => (i % 7 !== 3 ? 1 : 0));
    const masked = await falkonSolve(await storedCrossKernel(X, C, { ...spec, dtype: 'float64' }), f, Y, 0.1, { ...opts, rowMask: mask });
    expect(maxAbs(masked.alpha, scratch.alpha)).toBeLessThan(1e-8 * maxAbsOf(scratch.alpha));
    // The suffix's products are the validation rows' kernel.
    const Kval = ntkGram(gatherRows(X, val), C, spec);
    expect(maxAbs(await Knm.rows(fit.length, 900).times(prefix.alpha), gemm(Kval, prefix.alpha))).toBeLessThan(
      1e-10 * maxAbsOf(gemm(Kval, prefix.alpha)),
    );
  });

  it('streamed equals stored with a row order and on a column subset (nested centres)', async () => {
    const { X, Y, C } = await setup();
    const order = Int32Array.from({ length: 900 }, (_, i) => (i * 7) % 900);
    const stored = await storedCrossKernel(X, C, { ...spec, dtype: 'float64', order });
    const streamed = streamedCrossKernel(X, C, { ...spec, blockRows: 100, order });
    const V = mat64(
      120,
      3,
      Float64Array.from({ length: 360 }, (_, i) => Math.cos(i)),
    );
    expect(maxAbs(await streamed.normal(V), await stored.normal(V))).toBeLessThan(1e-10 * maxAbsOf(await stored.normal(V)));
    const Yo = gatherRows(Y, order);
    expect(maxAbs(await streamed.timesT(Yo), await stored.timesT(Yo))).toBeLessThan(1e-10 * maxAbsOf(await stored.timesT(Yo)));
    const r = await streamed.rows(100, 400).times(V),
      q = await stored.rows(100, 400).times(V);
    expect(maxAbs(r, q)).toBeLessThan(1e-10 * maxAbsOf(q));
    const pos = Int32Array.from([0, 5, 17, 60, 119]);
    const sub = gatherRows(C, pos);
    const direct = ntkGram(gatherRows(X, order), sub, spec);
    const W = mat64(
      5,
      2,
      Float64Array.from({ length: 10 }, (_, i) => i - 4),
    );
    for (const op of [stored.columns(pos), streamed.columns(pos)]) {
      expect(op.m).toBe(5);
      expect(maxAbs(await op.times(W), gemm(direct, W))).toBeLessThan(1e-10 * maxAbsOf(gemm(direct, W)));
    }
  });

  it('nested centre sets: the smaller M is a subset of the larger at one seed, uniform and leverage alike', () => {
    const { X } = blobs(500, 5, 31);
    const among = Int32Array.from({ length: 500 }, (_, i) => i).filter((i) => i % 5 !== 0);
    for (const sampling of ['uniform', 'leverage'] as const) {
      const [a, b] = selectCentreSets(X, { ...spec, lambda: 0.1, centres: 80, seed: 4, sampling }, [30, 80], among);
      expect(a).toHaveLength(30);
      expect(b).toHaveLength(80);
      for (const i of a) expect(b).toContain(i);
      for (const i of b) expect(i % 5).not.toBe(0); // drawn among the fit rows only
    }
  });

  it('fitLargeScaleKrr: one K_nM for the λ search and the refit gives the refit a cold fresh solve gives', async () => {
    const { X, Y, labels } = blobs(700, 6, 41);
    const o = {
      ...spec,
      solver: 'falkon' as const,
      lambdas: [0.05, 2],
      centres: [90],
      validationFraction: 0.2,
      seed: 3,
      tol: 1e-10,
      maxIter: 300,
      dtype: 'float64' as const,
    };
    const r = await fitLargeScaleKrr(X, Y, labels, o);
    expect(r.validation.map((v) => v.lambda)).toEqual([2, 0.05]); // largest λ first, the next warm-started from it
    const best = r.validation.reduce((a, v) => (v.accuracy > a.accuracy ? v : a));
    expect(r.lambda).toBe(best.lambda);
    const m = r.model!;
    const fresh = await falkonSolve(
      await storedCrossKernel(X, m.centres, { ...spec, dtype: 'float64' }),
      ntkGram(m.centres, undefined, spec),
      Y,
      r.lambda,
      {
        tol: 1e-10,
        maxIter: 300,
      },
    );
    const F = await r.predict(X),
      G = await falkonPredict({ ...m, alpha: fresh.alpha }, X);
    expect(maxAbs(F, G)).toBeLessThan(1e-6 * maxAbsOf(G));
    // Centres come from the fit rows, so none is a validation row.
    const val = new Set(Array.from({ length: 700 }, (_, i) => i).filter((i) => !validationMask(700, 0.2, 3)[i]));
    for (const i of m.centreIndex) expect(val.has(i)).toBe(false);
  });
});

describe('one-pass Gram K_nMᵀK_nM (nystrom-gram.ts)', () => {
  it('segments hold K_segᵀK_seg and K_segᵀY of their rows, the kept rows are K_seg, and their sum is the whole', async () => {
    const { X, Y } = blobs(500, 7, 51);
    const C = gatherRows(X, uniformCentres(500, 70, 2));
    const order = Int32Array.from({ length: 500 }, (_, i) => (i * 3) % 500);
    const Yo = gatherRows(Y, order);
    const segs = await nystromGram(X, C, Yo, { ...spec, order, cuts: [0, 410, 500], keep: [1] });
    const K = ntkGram(gatherRows(X, order), C, spec);
    for (const [s, r0, r1] of [[segs[0], 0, 410] as const, [segs[1], 410, 500] as const]) {
      const Ks = gatherRows(
        K,
        Int32Array.from({ length: r1 - r0 }, (_, i) => r0 + i),
      );
      const G = gemm(Ks, Ks, { transA: true });
      expect(maxAbs(s.gram, G)).toBeLessThan(1e-12 * maxAbsOf(G));
      const R = gemm(
        Ks,
        gatherRows(
          Yo,
          Int32Array.from({ length: r1 - r0 }, (_, i) => r0 + i),
        ),
        { transA: true },
      );
      expect(maxAbs(s.rhs, R)).toBeLessThan(1e-12 * maxAbsOf(R));
    }
    expect(segs[0].rows).toBeNull();
    expect(
      maxAbs(
        segs[1].rows!,
        gatherRows(
          K,
          Int32Array.from({ length: 90 }, (_, i) => 410 + i),
        ),
      ),
    ).toBe(0);
    const all = sumSegments(segs);
    expect(all.n).toBe(500);
    const G = gemm(K, K, { transA: true });
    expect(maxAbs(all.gram, G)).toBeLessThan(1e-12 * maxAbsOf(G));
  });

  it('Falkon on the Gram gives the solution Falkon on the K_nM operator gives', async () => {
    const { X, Y } = blobs(600, 6, 52);
    const C = gatherRows(X, uniformCentres(600, 80, 5));
    const f = centreFactors(ntkGram(C, undefined, spec));
    const [seg] = await nystromGram(X, C, Y, spec);
    const opts = { tol: 1e-10, maxIter: 300 };
    const viaGram = await falkonSolveProblem(gramProblem(seg.gram, seg.rhs, 600), f, 0.1, opts);
    const viaK = await falkonSolve(await storedCrossKernel(X, C, { ...spec, dtype: 'float64' }), f, Y, 0.1, opts);
    expect(maxAbs(viaGram.alpha, viaK.alpha)).toBeLessThan(1e-7 * maxAbsOf(viaK.alpha));
    expect(Math.abs(viaGram.cg.iterations - viaK.cg.iterations)).toBeLessThanOrEqual(2);
  });

  it('fitLargeScaleKrr in gram mode chooses as the stored float64 mode does and refits to the same scores', async () => {
    const { X, Y, labels } = blobs(700, 6, 53);
    const o = {
      ...spec,
      solver: 'falkon' as const,
      lambdas: [0.05, 2],
      centres: [40, 90],
      validationFraction: 0.2,
      seed: 3,
      tol: 1e-10,
      maxIter: 300,
    };
    const g = await fitLargeScaleKrr(X, Y, labels, { ...o, crossKernel: 'gram' });
    const s = await fitLargeScaleKrr(X, Y, labels, { ...o, crossKernel: 'stored', dtype: 'float64' });
    expect(g.plan.crossKernel).toBe('gram');
    expect(s.plan.crossKernel).toBe('stored');
    expect(g.validation.map((v) => [v.centres, v.lambda, v.accuracy])).toEqual(s.validation.map((v) => [v.centres, v.lambda, v.accuracy]));
    expect([g.lambda, g.centres]).toEqual([s.lambda, s.centres]);
    const [F, G] = [await g.predict(X), await s.predict(X)];
    expect(maxAbs(F, G)).toBeLessThan(1e-7 * maxAbsOf(G));
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
    // Which of the Gram pass and the stored K_nM is cheaper: Fashion-MNIST's search (10 outputs, 2 λ + refit) vs the tweets' (1 output, 3 λ + refit).
    expect(planKernelRegression({ n: 60000, d: 784, k: 10, m: 5000, solves: 3, validationRows: 6000, maxMemoryGb: 20 }).crossKernel).toBe(
      'gram',
    );
    expect(planKernelRegression({ n: 6090, d: 128, k: 1, m: 2000, solves: 4, solver: 'falkon', maxMemoryGb: 20 }).crossKernel).toBe(
      'stored',
    );
    expect(
      planKernelRegression({ n: 60000, d: 784, k: 10, m: 5000, solves: 3, crossKernel: 'streamed', maxMemoryGb: 20 }).crossKernel,
    ).toBe('streamed');
    // The Gram mode's bytes: 8 M×M, the 2²⁵-entry block, the kept validation rows, 4·N·K, the data and the runtime.
    expect(kernelRegressionBytes({ n: 60000, d: 784, k: 10, m: 5000, validationRows: 6000 }).falkonGram).toBe(
      8 * (8 * 5000 ** 2 + 2 ** 25 + 6000 * 5000 + 4 * 60000 * 10) + 8 * 60000 * 784 + 0.75 * 1024 ** 3,
    );
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
    expect(scoreAccuracy(await e.predict(X), labels)).toBeGreaterThan(0.6);
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
