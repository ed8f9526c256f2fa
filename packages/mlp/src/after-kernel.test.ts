import { describe, expect, it } from 'vitest';
import { mat32, rng, type Mat32 } from '@tangent/linalg';
import { initMlp, jacobian, type Mlp } from '@tangent/nn';
import { empiricalKernelRidge } from './after-kernel.ts';
import { trainOptions, trainTwoLayer, twoLayerSpec } from './train-two-layer.ts';

function problem(n: number, seed: number): { X: Mat32; y: Float32Array } {
  const d = 5,
    X = mat32(n, d, rng(seed).fillNormal(new Float32Array(n * d)));
  const y = Float32Array.from({ length: n }, (_, i) => (X.data[i * d] + 0.6 * X.data[i * d + 1] ** 2 > 0.5 ? 1 : -1));
  return { X, y };
}

/** Θ̂(A, B) = J_A J_Bᵀ from the explicit per-sample Jacobian, plain float64 loops. */
function ntkByJacobian(net: Mlp, A: Mat32, B: Mat32): number[][] {
  const Ja = jacobian(net, A, { dtype: 'float64' }),
    Jb = jacobian(net, B, { dtype: 'float64' });
  const P = Ja.cols;
  return Array.from({ length: A.rows }, (_, i) =>
    Array.from({ length: B.rows }, (_, j) => {
      let s = 0;
      for (let p = 0; p < P; p++) s += Ja.data[i * P + p] * Jb.data[j * P + p];
      return s;
    }),
  );
}

/** (K + λI)⁻¹ y by Gaussian elimination with partial pivoting. */
function solve(K: number[][], lambda: number, y: number[]): number[] {
  const n = y.length;
  const A = K.map((r, i) => [...r.map((v, j) => v + (i === j ? lambda : 0)), y[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
    [A[c], A[p]] = [A[p], A[c]];
    for (let r = c + 1; r < n; r++) {
      const f = A[r][c] / A[c][c];
      for (let k = c; k <= n; k++) A[r][k] -= f * A[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = A[r][n];
    for (let k = r + 1; k < n; k++) s -= A[r][k] * x[k];
    x[r] = s / A[r][r];
  }
  return x;
}

const f1Of = (score: number[], y: number[]) => {
  let tp = 0,
    fp = 0,
    fn = 0;
  score.forEach((s, i) => {
    const p = s > 0,
      t = y[i] > 0;
    tp += +(p && t);
    fp += +(p && !t);
    fn += +(!p && t);
  });
  return tp ? (2 * tp) / (2 * tp + fp + fn) : 0;
};

describe('empiricalKernelRidge (after kernel)', () => {
  it('equals brute-force CV + ridge with Θ̂ = J Jᵀ of the trained network', () => {
    const fit = problem(45, 1),
      ev = problem(20, 2),
      test = problem(7, 3);
    const trained = trainTwoLayer(
      { X: fit.X, y: fit.y },
      trainOptions({
        width: 12,
        seed: 3,
        epochs: 40,
        trackFull: false,
        precision: 'float64',
        maxKernelBytes: 2 ** 30,
      }),
    ).network;
    const lambdas = [1e-3, 0.1, 1, 10];
    const fold = Int8Array.from({ length: 45 }, (_, i) => i % 3);
    const got = empiricalKernelRidge(trained, fit, ev, test.X, { lambdas, fold, selectBy: 'f1', coding: 'pm1', precision: 'float64' });

    const K = ntkByJacobian(trained, fit.X, fit.X);
    const y = Array.from(fit.y);
    const cvF1 = lambdas.map((lam) => {
      let s = 0;
      for (let f = 0; f < 3; f++) {
        const tr = y.map((_, i) => i).filter((i) => fold[i] !== f),
          va = y.map((_, i) => i).filter((i) => fold[i] === f);
        const a = solve(
          tr.map((i) => tr.map((j) => K[i][j])),
          lam,
          tr.map((i) => y[i]),
        );
        s += f1Of(
          va.map((i) => tr.reduce((acc, j, q) => acc + K[i][j] * a[q], 0)),
          va.map((i) => y[i]),
        );
      }
      return s / 3;
    });
    let best = 0;
    cvF1.forEach((v, c) => (v > cvF1[best] || (v === cvF1[best] && lambdas[c] > lambdas[best]) ? (best = c) : 0));
    expect(got.lambda).toBe(lambdas[best]);
    expect(got.cv.f1).toBeCloseTo(cvF1[best], 10);
    const alpha = solve(K, lambdas[best], y);
    const Ke = ntkByJacobian(trained, ev.X, fit.X),
      Kt = ntkByJacobian(trained, test.X, fit.X);
    Ke.forEach((row, i) =>
      expect(got.evalScores![i]).toBeCloseTo(
        row.reduce((s, v, j) => s + v * alpha[j], 0),
        5,
      ),
    );
    Kt.forEach((row, i) =>
      expect(got.testScores![i]).toBeCloseTo(
        row.reduce((s, v, j) => s + v * alpha[j], 0),
        5,
      ),
    );
    expect(got.eval!.f1).toBeCloseTo(f1Of(Array.from(got.evalScores!), Array.from(ev.y)), 12);

    // a different network (its initialisation) is a different kernel, hence different scores
    const init = empiricalKernelRidge(initMlp(twoLayerSpec(5, 12, { parameterization: 'ntk', bias: false, sigmaB: 1 }), 3), fit, ev, null, {
      lambdas,
      fold,
      selectBy: 'f1',
      coding: 'pm1',
    });
    expect(init.testScores).toBeNull();
    expect(Math.abs(init.evalScores![0] - got.evalScores![0])).toBeGreaterThan(1e-6);
  });
});
