import { describe, expect, it } from 'vitest';
import { mat64, rng } from '@tangent/linalg';
import { activationGram } from './activation-gram.ts';
import { activationNetKernel } from './dual-activation.ts';
import { erfDual } from './erf-dual.ts';
import { ntkGram, ntkGramAsync, ntkNngpGram } from './ntk-gram.ts';

const rows = (n: number, d: number, seed: number) => {
  const r = rng(seed);
  return mat64(
    n,
    d,
    Float64Array.from({ length: n * d }, () => r.normal()),
  );
};
const row = (X: ReturnType<typeof rows>, i: number) => X.data.subarray(i * X.cols, (i + 1) * X.cols);
const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, k) => s + v * b[k], 0);

describe('the Gram of a non-ReLU activation (erf)', () => {
  it('equals the pairwise recursion, symmetric and cross, depth 2 and 3 with bias; ntkGram dispatches to it', () => {
    const X = rows(7, 5, 1),
      Z = rows(4, 5, 2);
    for (const spec of [{ depth: 2 }, { depth: 3, sigmaW: 1.3, sigmaB: 0.4 }]) {
      const sym = activationGram(X, undefined, { ...spec, activation: 'erf' }, { ntk: true, nngp: true });
      const cross = activationGram(X, Z, { ...spec, activation: 'erf' }, { ntk: true, nngp: false });
      for (let i = 0; i < 7; i++) {
        for (let j = 0; j < 7; j++) {
          const k = activationNetKernel(dot(row(X, i), row(X, i)), dot(row(X, j), row(X, j)), dot(row(X, i), row(X, j)), 5, spec, erfDual);
          expect(sym.ntk!.data[i * 7 + j]).toBeCloseTo(k.ntk, 12);
          expect(sym.nngp!.data[i * 7 + j]).toBeCloseTo(k.nngp, 12);
        }
        for (let j = 0; j < 4; j++) {
          const k = activationNetKernel(dot(row(X, i), row(X, i)), dot(row(Z, j), row(Z, j)), dot(row(X, i), row(Z, j)), 5, spec, erfDual);
          expect(cross.ntk!.data[i * 4 + j]).toBeCloseTo(k.ntk, 12);
        }
      }
      expect(Array.from(ntkGram(X, undefined, { ...spec, activation: 'erf' }).data)).toEqual(Array.from(sym.ntk!.data));
      expect(Array.from(ntkNngpGram(X, Z, { ...spec, activation: 'erf' }).nngp.data)).toEqual(
        Array.from(activationGram(X, Z, { ...spec, activation: 'erf' }, { ntk: false, nngp: true }).nngp!.data),
      );
    }
  });

  it('differs from the ReLU Gram (the option is not ignored), and the async path agrees', async () => {
    const X = rows(6, 4, 3);
    const erf = ntkGram(X, undefined, { depth: 2, activation: 'erf' });
    const relu = ntkGram(X, undefined, { depth: 2 });
    expect(Math.max(...erf.data.map((v, k) => Math.abs(v - relu.data[k])))).toBeGreaterThan(0.05);
    expect(Array.from((await ntkGramAsync(X, undefined, { depth: 2, activation: 'erf' })).data)).toEqual(Array.from(erf.data));
  });

  /**
   * Monte-Carlo against a wide erf network in the NTK parameterisation: its empirical NTK is a
   * mean over hidden units of iid terms W2_k² φ'(u_k(x)) φ'(u_k(z)) x·z/d + φ(u_k(x)) φ(u_k(z)),
   * so every entry of the Gram is z-tested against the terms' standard error.
   */
  it('matches a wide erf network entry by entry (z < 4.5 at m = 20 000)', () => {
    const n = 5,
      d = 6,
      m = 20_000;
    const X = rows(n, d, 4);
    const K = ntkGram(X, undefined, { depth: 2, activation: 'erf' });
    const r = rng(21),
      w = new Float64Array(d);
    const sum = new Float64Array(n * n),
      sum2 = new Float64Array(n * n),
      u = new Float64Array(n);
    for (let k = 0; k < m; k++) {
      r.fillNormal(w);
      const w2 = r.normal();
      for (let i = 0; i < n; i++) u[i] = dot(w, row(X, i)) / Math.sqrt(d);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          const t =
            w2 * w2 * erfDual.dphi(u[i]) * erfDual.dphi(u[j]) * (dot(row(X, i), row(X, j)) / d) + erfDual.phi(u[i]) * erfDual.phi(u[j]);
          sum[i * n + j] += t;
          sum2[i * n + j] += t * t;
        }
    }
    for (let e = 0; e < n * n; e++) {
      const mean = sum[e] / m,
        se = Math.sqrt((sum2[e] / m - mean * mean) / m);
      expect(Math.abs(mean - K.data[e]) / se).toBeLessThan(4.5);
    }
  });
});
