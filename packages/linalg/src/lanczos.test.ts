import { describe, expect, it } from 'vitest';
import { eigh, krylovFunction, lanczos, mat64, rng, topEigenpair, topEigenpairs, type SymmetricOperator } from './index.ts';

/**
 * A = U diag(λ) Uᵀ with a spectrum chosen here and a random orthonormal U: every eigenpair is known
 * without the code under test. The top three are close (10, 9.9, 9.5) so that the tests are not won
 * in two steps; the rest are spread over [0, 5] (0 included: A is singular).
 */
const n = 120;
const lambda = Float64Array.from({ length: n }, (_, i) => (i === 0 ? 10 : i === 1 ? 9.9 : i === 2 ? 9.5 : (5 * (i - 3)) / (n - 4)));
const U = (() => {
  const G = rng(2).fillNormal(new Float64Array(n * n));
  const S = mat64(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) S.data[i * n + j] = G[i * n + j] + G[j * n + i];
  return eigh(S).vectors; // orthonormal columns
})();
const u = (j: number) => Float64Array.from({ length: n }, (_, i) => U.data[i * n + j]);
const A = (() => {
  const M = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += U.data[i * n + j] * lambda[j] * U.data[k * n + j];
      M[i * n + k] = s;
    }
  return M;
})();
const apply: SymmetricOperator = (x, y) => {
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += A[i * n + k] * x[k];
    y[i] = s;
  }
};
const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);
const residualNorm = (v: Float64Array, theta: number) => {
  const Av = new Float64Array(n);
  apply(v, Av);
  return Math.sqrt(Av.reduce((s, x, i) => s + (x - theta * v[i]) ** 2, 0));
};
/** Σ_j f(λ_j) u_j u_jᵀ b over the eigenvectors j that `keep` admits. */
const spectralFunction = (f: (l: number) => number, b: Float64Array, keep = (_j: number) => true) => {
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    if (!keep(j)) continue;
    const uj = u(j),
      c = f(lambda[j]) * dot(uj, b);
    for (let i = 0; i < n; i++) out[i] += c * uj[i];
  }
  return out;
};
const relErr = (a: Float64Array, b: Float64Array) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / dot(b, b));

describe('Lanczos on an operator with a known spectrum', () => {
  it('the spectrum is what the tests assume', () => {
    const sorted = [...lambda].sort((a, b) => b - a);
    expect(sorted.slice(0, 4)).toEqual([10, 9.9, 9.5, 5]);
    expect(Math.min(...lambda)).toBeGreaterThanOrEqual(0);
  });

  it('topEigenpair finds λ_max and its eigenvector, cold and warm started', () => {
    const start = new Float64Array(n); // zero: starts from the ones vector, then holds the eigenvector
    const cold = topEigenpair(n, apply, { start });
    expect(Math.abs(cold.value - 10) / 10).toBeLessThan(1e-12);
    expect(Math.abs(dot(cold.vector, u(0)))).toBeGreaterThan(1 - 1e-8);
    expect(residualNorm(cold.vector, cold.value)).toBeLessThan(2e-8 * cold.value); // the stopping rule: residual ≤ tol·θ
    expect(Array.from(start)).toEqual(Array.from(cold.vector));
    const warm = topEigenpair(n, apply, { start });
    expect(warm.iterations).toBeLessThan(cold.iterations);
    expect(Math.abs(warm.value - 10) / 10).toBeLessThan(1e-12);
  });

  it('topEigenpairs: the k largest, each within Kahan’s bound r²/gap of λ, with the residual it reports', () => {
    for (const steps of [10, 30]) {
      const e = topEigenpairs(apply, n, 3, { steps, seed: 5 });
      const want = [10, 9.9, 9.5];
      for (let j = 0; j < 3; j++) {
        const r = residualNorm(e.vectors[j], e.values[j]);
        expect(Math.abs(Math.sqrt(dot(e.vectors[j], e.vectors[j])) - 1)).toBeLessThan(1e-12);
        expect(Math.abs(e.residuals[j] - r)).toBeLessThan(1e-6 * r + 1e-12); // β_m |s_mj| is the residual, not an estimate
        const gap = Math.min(...[...lambda].filter((l) => l !== want[j]).map((l) => Math.abs(l - e.values[j])));
        expect(Math.abs(e.values[j] - want[j])).toBeLessThanOrEqual((r * r) / gap + 1e-12);
      }
      if (steps === 30) for (let j = 0; j < 3; j++) expect(Math.abs(e.values[j] - want[j])).toBeLessThan(1e-10);
    }
  });

  it('krylovFunction equals the dense spectral function: exact at m = n, on the deflated operator, and at an invariant subspace', () => {
    const b = rng(7).fillNormal(new Float64Array(n));
    const f = (l: number) => Math.exp(-l / 4);
    expect(relErr(krylovFunction(apply, b, n, f), spectralFunction(f, b))).toBeLessThan(1e-10);
    // P⊥ = I − V Vᵀ for two orthonormal random directions (not eigenvectors: the projection matters),
    // against the dense f(P⊥AP⊥) P⊥b from an eigendecomposition of P⊥AP⊥
    const r = rng(8);
    const v0 = r.fillNormal(new Float64Array(n));
    const n0 = Math.sqrt(dot(v0, v0));
    for (let i = 0; i < n; i++) v0[i] /= n0;
    const v1 = r.fillNormal(new Float64Array(n));
    const c01 = dot(v0, v1);
    for (let i = 0; i < n; i++) v1[i] -= c01 * v0[i];
    const n1 = Math.sqrt(dot(v1, v1));
    for (let i = 0; i < n; i++) v1[i] /= n1;
    const project = (x: Float64Array) => {
      for (const v of [v0, v1]) {
        const c = dot(v, x);
        for (let i = 0; i < n; i++) x[i] -= c * v[i];
      }
    };
    const PAP = mat64(n, n);
    for (let k = 0; k < n; k++) {
      const e = new Float64Array(n);
      e[k] = 1;
      project(e);
      const Ae = new Float64Array(n);
      apply(e, Ae);
      project(Ae);
      for (let i = 0; i < n; i++) PAP.data[i * n + k] = Ae[i];
    }
    const dense = eigh(PAP);
    const bPerp = b.slice();
    project(bPerp);
    const want = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let c = 0;
      for (let i = 0; i < n; i++) c += dense.vectors.data[i * n + j] * bPerp[i];
      c *= f(Math.max(0, dense.values[j]));
      for (let i = 0; i < n; i++) want[i] += c * dense.vectors.data[i * n + j];
    }
    expect(relErr(krylovFunction(apply, bPerp, n, f, { project }), want)).toBeLessThan(1e-10);
    // b in the span of three eigenvectors: the run stops after 3 steps and is exact
    const b3 = u(0).map((v, i) => v + 2 * u(5)[i] - u(9)[i]);
    expect(lanczos(apply, b3, 50).alpha.length).toBe(3);
    expect(relErr(krylovFunction(apply, b3, 50, f), spectralFunction(f, b3))).toBeLessThan(1e-12);
  });

  it('refuses a zero start in one line', () => {
    expect(() => lanczos(apply, new Float64Array(n), 5)).toThrowError(
      /^lanczos: the starting vector has norm 0; give a nonzero finite vector$/,
    );
  });
});
