import { describe, expect, it } from 'vitest';
import { rng } from '@tangent/linalg';
import { ntkRelu2 } from './ntk-relu2.ts';
import { arcCosJ2, ntkRelu2InitErrorConstant, ntkRelu2NeuronMoments } from './ntk-relu2-variance.ts';

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** Rows of varied norms (around √d, as the mlp stage feeds them) and correlated directions. */
function points(n: number, d: number, seed: number): Float64Array[] {
  const r = rng(seed);
  const common = r.fillNormal(new Float64Array(d));
  return Array.from({ length: n }, () => {
    const x = r.fillNormal(new Float64Array(d)).map((v, k) => v + 0.7 * common[k]);
    const scale = (Math.sqrt(d) * (0.6 + 0.8 * r.uniform())) / Math.sqrt(dot(x, x));
    return x.map((v) => v * scale);
  });
}

/** One neuron's τ(x_a, x_b) for every pair, from an explicit draw of (w, w2) (the network's own definition). */
function neuronTerms(X: Float64Array[], d: number, w: Float64Array, w2: number, out: Float64Array) {
  const n = X.length,
    sd = Math.sqrt(d);
  const u = X.map((x) => dot(w, x) / sd);
  for (let a = 0; a < n; a++)
    for (let b = 0; b < n; b++)
      out[a * n + b] = (dot(X[a], X[b]) / d) * w2 * w2 * (u[a] > 0 && u[b] > 0 ? 1 : 0) + Math.max(u[a], 0) * Math.max(u[b], 0);
}

describe('arc-cosine moments of order 2 and the per-neuron variance', () => {
  it('J2 at its closed-form points: φ = 0 (E relu(u)⁴ = 3/2), φ = π/2 (independent: (1/2)²), φ = π', () => {
    expect(arcCosJ2(1) / (2 * Math.PI)).toBeCloseTo(1.5, 14);
    expect(arcCosJ2(0) / (2 * Math.PI)).toBeCloseTo(0.25, 14);
    expect(arcCosJ2(-1)).toBeCloseTo(0, 14);
  });

  it('the mean is the analytical NTK; x = z and x ⊥ z have hand-derived variances', () => {
    // x = z, |x|² = d: τ = w2² 1[u>0] + relu(u)², E τ² = 3·½ + 2·½ + 3/2 = 4, Θ = 1 → Var = 3
    expect(ntkRelu2NeuronMoments(3, 3, 9, 9).variance).toBeCloseTo(3, 13);
    // (√7)² rounds to 7 + 1 ulp: arccos of 1 − 1 ulp is 1.5e-8, as in ntkRelu2 itself
    expect(ntkRelu2NeuronMoments(Math.sqrt(7), Math.sqrt(7), 7, 7).variance).toBeCloseTo(3, 7);
    // x ⊥ z: τ = relu(u) relu(v) with u, v independent N(0, 1): Var = (½)² − (1/√(2π))⁴
    expect(ntkRelu2NeuronMoments(3, 3, 0, 9).variance).toBeCloseTo(0.25 - 1 / (4 * Math.PI ** 2), 13);
    const r = rng(3);
    for (let k = 0; k < 20; k++) {
      const nx = 0.2 + 3 * r.uniform(),
        nz = 0.2 + 3 * r.uniform(),
        c = 2 * r.uniform() - 1,
        d = 1 + r.int(300);
      expect(ntkRelu2NeuronMoments(nx, nz, c * nx * nz, d).mean).toBeCloseTo(ntkRelu2(nx, nz, c * nx * nz, d), 13);
    }
  });

  it.each([1, 10])('matches Monte-Carlo over 2·10⁵ neurons drawn as the network draws them, pair by pair (K = %i outputs, traced)', (K) => {
    const d = 5,
      X = points(5, d, 11),
      n = X.length,
      N = 200_000;
    const r = rng(12);
    const w = new Float64Array(d),
      t = new Float64Array(n * n);
    const s1 = new Float64Array(n * n),
      s2 = new Float64Array(n * n),
      s4 = new Float64Array(n * n);
    for (let k = 0; k < N; k++) {
      r.fillNormal(w);
      // the trace over K readouts: w̄² = (1/K) Σ_k w2_k², passed as its square root
      let w2 = 0;
      for (let k2 = 0; k2 < K; k2++) w2 += r.normal() ** 2;
      neuronTerms(X, d, w, Math.sqrt(w2 / K), t);
      for (let p = 0; p < n * n; p++) {
        const v = t[p];
        s1[p] += v;
        s2[p] += v * v;
        s4[p] += v ** 4;
      }
    }
    let checked = 0;
    for (let a = 0; a < n; a++)
      for (let b = 0; b <= a; b++) {
        const p = a * n + b;
        const mu = s1[p] / N,
          variance = s2[p] / N - mu * mu;
        const want = ntkRelu2NeuronMoments(Math.sqrt(dot(X[a], X[a])), Math.sqrt(dot(X[b], X[b])), dot(X[a], X[b]), d, K).variance;
        // SE of the sample variance ≈ √((E τ⁴ − (E τ²)²)/N) (a bound: uses raw, not central, moments)
        const se = Math.sqrt((s4[p] / N - (s2[p] / N) ** 2) / N);
        expect(Math.abs(variance - want), `pair (${a}, ${b})`).toBeLessThan(4 * se);
        expect(Math.abs(variance - want) / want).toBeLessThan(0.05);
        checked++;
      }
    expect(checked).toBe(15);
  });

  it('E[m·err²] of finite networks equals C² at a small width (eq. V2 is exact at every m), and C of orthogonal rows by hand', () => {
    const d = 6,
      X = points(8, d, 21),
      n = X.length;
    const M = { rows: n, cols: d, data: Float64Array.from(X.flatMap((x) => [...x])) };
    const { constant, thetaSquaredSum } = ntkRelu2InitErrorConstant(M);
    const theta = new Float64Array(n * n);
    for (let a = 0; a < n; a++)
      for (let b = 0; b < n; b++) theta[a * n + b] = ntkRelu2(Math.sqrt(dot(X[a], X[a])), Math.sqrt(dot(X[b], X[b])), dot(X[a], X[b]), d);
    expect(thetaSquaredSum / dot(theta, theta)).toBeCloseTo(1, 8); // inner products by GEMM vs by loops
    const m = 16,
      R = 3000,
      r = rng(22);
    const w = new Float64Array(d),
      t = new Float64Array(n * n),
      K = new Float64Array(n * n);
    const e2: number[] = [];
    for (let rep = 0; rep < R; rep++) {
      K.fill(0);
      for (let k = 0; k < m; k++) {
        r.fillNormal(w);
        neuronTerms(X, d, w, r.normal(), t);
        for (let p = 0; p < n * n; p++) K[p] += t[p] / m;
      }
      let num = 0;
      for (let p = 0; p < n * n; p++) num += (K[p] - theta[p]) ** 2;
      e2.push((m * num) / thetaSquaredSum);
    }
    const mean = e2.reduce((s, v) => s + v, 0) / R;
    const sd = Math.sqrt(e2.reduce((s, v) => s + (v - mean) ** 2, 0) / (R - 1));
    expect(Math.abs(mean - constant ** 2)).toBeLessThan((4 * sd) / Math.sqrt(R));
    // n orthogonal rows of norm √d: diagonal Var 3, Θ 1; off-diagonal Var ¼ − 1/(4π²), Θ 1/(2π) (hand-derived above)
    const I = { rows: 4, cols: 4, data: Float64Array.from({ length: 16 }, (_, p) => (p % 5 === 0 ? 2 : 0)) };
    const off = 12;
    expect(ntkRelu2InitErrorConstant(I).constant).toBeCloseTo(
      Math.sqrt((4 * 3 + off * (0.25 - 1 / (4 * Math.PI ** 2))) / (4 + off / (4 * Math.PI ** 2))),
      12,
    );
  });

  it('refuses zero or non-finite rows with one line', () => {
    expect(() => ntkRelu2InitErrorConstant({ rows: 2, cols: 2, data: new Float64Array(4) })).toThrow(/NTK of these rows is zero/);
    expect(() => ntkRelu2InitErrorConstant({ rows: 1, cols: 2, data: Float64Array.from([1, NaN]) })).toThrow(/row 0 has a non-finite/);
  });
});
