import { describe, expect, it } from 'vitest';
import { Matrix as MlMatrix, pseudoInverse } from 'ml-matrix';
import { rng, type Mat64 } from '@tangent/linalg';
import { spectrum, type LinearisedProblem } from './linearised-model.ts';
import { linearisedDescent } from './linearised-descent.ts';
import { functionalEvolution, geometricExpSum } from './functional-evolution.ts';
import { integratedCoefficient, integratedFlow } from './integrated-flow.ts';

/** A tiny linearised problem with an explicit Jacobian J (M × P), float64. */
function tiny(n: number, K: number, P: number, seed: number) {
  const r = rng(seed);
  const M = n * K;
  const J = r.fillNormal(new Float64Array(M * P));
  const f0 = r.fillNormal(new Float64Array(M));
  const y = r.fillNormal(new Float64Array(M));
  const theta0 = r.fillNormal(new Float64Array(P));
  const kernel: Mat64 = { rows: M, cols: M, data: new Float64Array(M * M) };
  for (let i = 0; i < M; i++)
    for (let j = 0; j < M; j++) {
      let s = 0;
      for (let q = 0; q < P; q++) s += J[i * P + q] * J[j * P + q];
      kernel.data[i * M + j] = s;
    }
  const problem: LinearisedProblem = { kernel, f0, y, n, outDim: K };
  return { J, M, P, f0, y, theta0, problem };
}

const Jt = (J: Float64Array, M: number, P: number, v: Float64Array) => {
  const out = new Float64Array(P);
  for (let i = 0; i < M; i++) for (let q = 0; q < P; q++) out[q] += J[i * P + q] * v[i];
  return out;
};
const Jv = (J: Float64Array, M: number, P: number, u: Float64Array) => {
  const out = new Float64Array(M);
  for (let i = 0; i < M; i++) for (let q = 0; q < P; q++) out[i] += J[i * P + q] * u[q];
  return out;
};
/** θ − θ0 from a solver's w: −J0ᵀ w. */
const deltaFromW = (J: Float64Array, M: number, P: number, w: Float64Array) => Jt(J, M, P, w).map((v) => -v);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const maxAbs = (a: ArrayLike<number>) => maxDiff(a, new Float64Array(a.length));

/** Explicit gradient descent on the linear model in parameter space (the brute-force oracle). */
function explicitLinearGd(t: ReturnType<typeof tiny>, eta: number, steps: number, loss: 'mse' | 'cross_entropy') {
  const { J, M, P, f0, y, problem } = t;
  const d = new Float64Array(P); // θ − θ0
  for (let k = 0; k < steps; k++) {
    const f = Jv(J, M, P, d).map((v, i) => v + f0[i]);
    const g = new Float64Array(M);
    if (loss === 'mse') for (let i = 0; i < M; i++) g[i] = f[i] - y[i];
    else
      for (let s = 0; s < M; s += problem.outDim) {
        const e = Array.from({ length: problem.outDim }, (_, o) => Math.exp(f[s + o]));
        const z = e.reduce((a, b) => a + b, 0);
        for (let o = 0; o < problem.outDim; o++) g[s + o] = e[o] / z - y[s + o];
      }
    const grad = Jt(J, M, P, g);
    for (let q = 0; q < P; q++) d[q] -= (eta / problem.n) * grad[q];
  }
  return d;
}

/** exp(A) by scaling and squaring with a Taylor series (independent of any eigensolver). */
function expm(A: Float64Array, M: number): Float64Array {
  let norm = 0;
  for (let i = 0; i < M * M; i++) norm = Math.max(norm, Math.abs(A[i]));
  const s = Math.max(0, Math.ceil(Math.log2(norm * M)) + 1);
  const B = A.map((v) => v / 2 ** s);
  const mul = (X: Float64Array, Y: Float64Array) => {
    const Z = new Float64Array(M * M);
    for (let i = 0; i < M; i++) for (let k = 0; k < M; k++) for (let j = 0; j < M; j++) Z[i * M + j] += X[i * M + k] * Y[k * M + j];
    return Z;
  };
  let E = new Float64Array(M * M),
    term = new Float64Array(M * M);
  for (let i = 0; i < M; i++) E[i * M + i] = term[i * M + i] = 1;
  for (let k = 1; k <= 30; k++) {
    term = mul(term, B).map((v) => v / k);
    E = E.map((v, i) => v + term[i]);
  }
  for (let i = 0; i < s; i++) E = mul(E, E);
  return E;
}

describe('linearised descent (NTK 1)', () => {
  it('equals an explicit parameter-space gradient-descent loop on the linear model (MSE)', () => {
    const t = tiny(5, 2, 30, 1);
    const sol = linearisedDescent(t.problem, { eta: 0.05, steps: 40 });
    const ref = explicitLinearGd(t, 0.05, 40, 'mse');
    expect(maxDiff(deltaFromW(t.J, t.M, t.P, sol.w), ref)).toBeLessThan(1e-10 * (1 + maxAbs(ref)));
    // fLin is the linear model at the final parameters.
    const fRef = Jv(t.J, t.M, t.P, ref).map((v, i) => v + t.f0[i]);
    expect(maxDiff(sol.fLin, fRef)).toBeLessThan(1e-9);
    expect(sol.trace.at(-1)!.loss).toBeLessThan(sol.trace[0].loss);
  });

  it('equals the explicit loop with softmax cross-entropy', () => {
    const t = tiny(6, 3, 25, 2);
    // one-hot targets
    t.problem.y.fill(0);
    for (let i = 0; i < 6; i++) t.problem.y[i * 3 + (i % 3)] = 1;
    const sol = linearisedDescent(t.problem, { eta: 0.1, steps: 30, loss: 'cross_entropy' });
    const ref = explicitLinearGd(t, 0.1, 30, 'cross_entropy');
    expect(maxDiff(deltaFromW(t.J, t.M, t.P, sol.w), ref)).toBeLessThan(1e-10 * (1 + maxAbs(ref)));
  });
});

describe('functional evolution (NTK 2)', () => {
  it('equals the explicit loop θ_{k+1} = θ_k − (η/n) J0ᵀ exp(−ηΘ0k/n) r0 with an independent matrix exponential', () => {
    const t = tiny(4, 2, 20, 3);
    const eta = 0.05,
      steps = 25,
      M = t.M,
      h = eta / t.problem.n;
    const E = expm(
      t.problem.kernel.data.map((v) => -h * v),
      M,
    ); // exp(−ηΘ0/n)
    let r = t.f0.map((v, i) => v - t.y[i]);
    const d = new Float64Array(t.P);
    for (let k = 0; k < steps; k++) {
      const g = Jt(t.J, M, t.P, r);
      for (let q = 0; q < t.P; q++) d[q] -= h * g[q];
      const next = new Float64Array(M);
      for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) next[i] += E[i * M + j] * r[j];
      r = next; // exp(−ηΘ0(k+1)/n) r0
    }
    const sol = functionalEvolution(t.problem, spectrum(t.problem.kernel), { eta, steps });
    expect(maxDiff(deltaFromW(t.J, M, t.P, sol.w), d)).toBeLessThan(1e-9 * (1 + maxAbs(d)));
  });

  it('matches k steps of linearised descent as η → 0 at fixed ηk (error shrinks like η)', () => {
    const t = tiny(4, 1, 12, 4);
    const sp = spectrum(t.problem.kernel);
    const T = 2; // η·k
    const errs = [0.02, 0.002].map((eta) => {
      const steps = Math.round(T / eta);
      const a = linearisedDescent(t.problem, { eta, steps });
      const b = functionalEvolution(t.problem, sp, { eta, steps });
      return maxDiff(deltaFromW(t.J, t.M, t.P, a.w), deltaFromW(t.J, t.M, t.P, b.w));
    });
    expect(errs[1]).toBeLessThan(errs[0] / 5); // ~10× smaller for 10× smaller η
    expect(errs[1]).toBeLessThan(0.01);
  });

  it('sums the geometric series exactly', () => {
    for (const [a, K] of [
      [0.3, 7],
      [1e-14, 100],
      [0, 5],
    ] as const) {
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.exp(-a * k);
      expect(geometricExpSum(a, K)).toBeCloseTo(s, 9);
    }
  });
});

/** θ∞ − θ0 = −J0⁺ r0, the minimum-norm least-squares fit, from ml-matrix's pseudo-inverse (an independent implementation). */
function minNormDelta(t: ReturnType<typeof tiny>): number[] {
  const pinv = pseudoInverse(new MlMatrix(Array.from({ length: t.M }, (_, i) => Array.from(t.J.subarray(i * t.P, (i + 1) * t.P)))));
  const r0 = Array.from(t.f0, (v, i) => v - t.y[i]);
  return pinv
    .mmul(MlMatrix.columnVector(r0))
    .to1DArray()
    .map((v) => -v);
}

describe('integrated flow (NTK 3)', () => {
  it('at large t equals the minimum-norm least-squares fit θ0 − J0⁺ r0 (full row rank, M < P)', () => {
    const t = tiny(6, 2, 40, 5);
    const sol = integratedFlow(t.problem, spectrum(t.problem.kernel), { eta: 1, t: 1e9 });
    const ref = minNormDelta(t);
    expect(maxDiff(deltaFromW(t.J, t.M, t.P, sol.w), ref)).toBeLessThan(1e-7 * (1 + maxAbs(ref)));
    expect(maxDiff(sol.fLin, t.y)).toBeLessThan(1e-7); // interpolates the training targets
  });

  it('at large t equals the pseudo-inverse solution when Θ0 is singular (M > P)', () => {
    const t = tiny(10, 2, 8, 6); // 20 rows, 8 parameters: rank 8
    const sol = integratedFlow(t.problem, spectrum(t.problem.kernel), { eta: 1, t: 1e12 });
    const ref = minNormDelta(t);
    expect(maxDiff(deltaFromW(t.J, t.M, t.P, sol.w), ref)).toBeLessThan(1e-7 * (1 + maxAbs(ref)));
  });

  it('at finite t agrees with linearised descent at small step (the flow it integrates)', () => {
    const t = tiny(5, 1, 15, 7);
    const eta = 0.001,
      steps = 3000;
    const a = linearisedDescent(t.problem, { eta, steps });
    const b = integratedFlow(t.problem, spectrum(t.problem.kernel), { eta, t: steps });
    const da = deltaFromW(t.J, t.M, t.P, a.w),
      db = deltaFromW(t.J, t.M, t.P, b.w);
    expect(maxDiff(da, db)).toBeLessThan(5e-3 * maxAbs(db));
  });

  it('has the stable small-eigenvalue limit (1 − e^{−hλt})/λ → h t', () => {
    expect(integratedCoefficient(1e-20, 0.01, 100)).toBeCloseTo(1, 12);
    expect(integratedCoefficient(0, 0.01, 100)).toBe(1);
    expect(integratedCoefficient(2, 0.5, 3)).toBeCloseTo((1 - Math.exp(-3)) / 2, 12);
  });
});
