import { describe, expect, it } from 'vitest';
import { mat32, rng, type Mat32 } from '@tangent/linalg';
import { empiricalNtkMlp, initMlp, jacobian, jvp, forward } from '@tangent/nn';
import { integratedCoefficient, integratedFlow } from './integrated-flow.ts';
import { linearisedDescent } from './linearised-descent.ts';
import { spectrum, type LinearisedProblem } from './linearised-model.ts';
import { linearisedSgd, lowRankFlow, matrixFreeNtk, ntkEigenpairs } from './matrix-free-ntk.ts';

const spec = {
  sizes: [5, 16, 12, 3],
  activation: 'relu' as const,
  parameterization: 'ntk' as const,
  bias: true,
  sigmaW: Math.SQRT2,
  sigmaB: 0.1,
};

function inputs(n: number, d: number, seed: number): Mat32 {
  return mat32(n, d, rng(seed).fillNormal(new Float32Array(n * d)));
}

const relMax = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0,
    s = 0;
  for (let i = 0; i < a.length; i++) ((d = Math.max(d, Math.abs(a[i] - b[i]))), (s = Math.max(s, Math.abs(b[i]))));
  return d / s;
};

describe('matrix-free empirical NTK products', () => {
  it('jvp is J v and times is Θ0 u, against the structured Jacobian and empiricalNtkMlp', () => {
    const net = initMlp(spec, 3);
    const X = inputs(20, 5, 4);
    const v = rng(5).fillNormal(new Float32Array(net.params.length));
    const J = jacobian(net, X, { dtype: 'float64' });
    const Jv = new Float64Array(J.rows);
    for (let i = 0; i < J.rows; i++) for (let q = 0; q < J.cols; q++) Jv[i] += J.data[i * J.cols + q] * v[q];
    expect(relMax(jvp(net, forward(net, X).cache, v).data, Jv)).toBeLessThan(1e-5);
    const mf = matrixFreeNtk(net, X, 7); // blocks of 7 rows: the block seams must not show
    const Theta = empiricalNtkMlp(net, X);
    const u = rng(6).fillNormal(new Float64Array(60));
    const Tu = new Float64Array(60);
    for (let i = 0; i < 60; i++) for (let j = 0; j < 60; j++) Tu[i] += Theta.data[i * 60 + j] * u[j];
    expect(relMax(mf.times(u), Tu)).toBeLessThan(1e-5);
  });

  it('Lanczos on the matrix-free product finds the top eigenpairs of Θ0 (Lanczos and Krylov themselves: @tangent/linalg)', () => {
    const net = initMlp(spec, 7);
    const X = inputs(30, 5, 8);
    const mf = matrixFreeNtk(net, X);
    const sp = spectrum(empiricalNtkMlp(net, X));
    const eig = ntkEigenpairs(mf, 5, { steps: 60 });
    for (let j = 0; j < 5; j++) expect(eig.values[j]).toBeCloseTo(sp.values[89 - j], 3);
  });

  it('integrated flow: low-rank + complement flow equals the dense integrated flow', () => {
    const net = initMlp(spec, 11);
    const X = inputs(25, 5, 12);
    const mf = matrixFreeNtk(net, X);
    const y = rng(13).fillNormal(new Float64Array(75));
    const problem: LinearisedProblem = { kernel: empiricalNtkMlp(net, X), f0: mf.f0, y, n: 25, outDim: 3 };
    const eta = 0.5,
      t = 40;
    const dense = integratedFlow(problem, spectrum(problem.kernel), { eta, t });
    const r0 = mf.f0.map((v, i) => v - y[i]);
    const eig = ntkEigenpairs(mf, 6, { steps: 40 });
    const w = lowRankFlow(mf, eig, r0, (l) => integratedCoefficient(l, eta / 25, t), { complementSteps: 69 });
    // Compare what matters: the parameter update J0ᵀ w and the linear model's outputs f0 − Θ0 w.
    expect(relMax(mf.vjp(w), mf.vjp(dense.w))).toBeLessThan(2e-3);
    const fLin = mf.f0.map((v, i) => v - mf.times(w)[i]);
    expect(relMax(fLin, dense.fLin)).toBeLessThan(2e-3);
  });

  it('linearised SGD with one full batch is linearised descent (function-space gradient descent)', () => {
    const net = initMlp(spec, 21);
    const X = inputs(16, 5, 22);
    const mf = matrixFreeNtk(net, X);
    const y32 = rng(23).fillNormal(new Float32Array(48));
    const problem: LinearisedProblem = { kernel: empiricalNtkMlp(net, X), f0: mf.f0, y: Float64Array.from(y32), n: 16, outDim: 3 };
    const ref = linearisedDescent(problem, { eta: 0.3, steps: 25 });
    const { delta } = linearisedSgd(net, X, y32, { lr: 0.3, batchSize: 16, steps: 25, loss: 'mse', rng: rng(0) });
    const fLin = mf.jvp(delta).map((v, i) => v + mf.f0[i]);
    expect(relMax(fLin, ref.fLin)).toBeLessThan(1e-4);
  });
});
