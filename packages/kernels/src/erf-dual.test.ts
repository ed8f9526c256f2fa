import { describe, expect, it } from 'vitest';
import { rng } from '@tangent/linalg';
import { ACTIVATIONS } from './activation-registry.ts';
import { activationKernelRow, activationLayerVariances, activationNetKernel } from './dual-activation.ts';
import { erf, erfDual } from './erf-dual.ts';
import { reluDual } from './relu-dual.ts';
import { reluNetKernel } from './relu-kernel-recursion.ts';

/** E[g(u, v)] for (u, v) ~ N(0, [[qx, s], [s, qz]]) by the trapezoid rule on [−9, 9]² (spectrally accurate for smooth g). */
function gaussianExpectation(g: (u: number, v: number) => number, qx: number, qz: number, s: number): number {
  const h = 0.05,
    n = Math.round(9 / h);
  const c = s / Math.sqrt(qx * qz),
    sc = Math.sqrt(1 - c * c);
  let acc = 0;
  for (let i = -n; i <= n; i++)
    for (let j = -n; j <= n; j++) {
      const z1 = i * h,
        z2 = j * h;
      const w = Math.exp(-(z1 * z1 + z2 * z2) / 2);
      acc += w * g(Math.sqrt(qx) * z1, Math.sqrt(qz) * (c * z1 + sc * z2));
    }
  return (acc * h * h) / (2 * Math.PI);
}

describe('erf', () => {
  it('matches reference values (CPython math.erf) to 1e-15', () => {
    const ref: Array<[number, number]> = [
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [1.5, 0.9661051464753108],
      [2, 0.9953222650189527],
      [2.5, 0.999593047982555],
      [3, 0.9999779095030014],
      [4, 0.9999999845827421],
      [5.5, 0.9999999999999927],
      [-0.7, -0.6778011938374184],
    ];
    for (const [x, y] of ref) expect(Math.abs(erf(x) - y)).toBeLessThan(1.5e-15);
    expect(erf(0)).toBe(0);
    expect(erf(-40)).toBe(-1);
  });

  it('has the derivative erfDual.dphi (central differences)', () => {
    for (const x of [-2.2, -0.3, 0, 0.8, 2.9, 3.1]) {
      const h = 1e-5;
      expect((erf(x + h) - erf(x - h)) / (2 * h)).toBeCloseTo(erfDual.dphi(x), 9);
    }
  });
});

describe('erf dual (Williams 1997)', () => {
  const cases: Array<[number, number, number]> = [
    [1, 1, 0.3],
    [0.4, 2.5, -0.6],
    [3, 0.2, 0.7],
    [1.5, 1.5, 1.5], // u = v: E[erf(u)²]
  ];
  it('E[φφ] and E[φ′φ′] match two-dimensional Gaussian quadrature', () => {
    for (const [qx, qz, s] of cases.slice(0, 3)) {
      expect(erfDual.dual(qx, qz, s)).toBeCloseTo(
        gaussianExpectation((u, v) => erf(u) * erf(v), qx, qz, s),
        10,
      );
      expect(erfDual.derivativeDual(qx, qz, s)).toBeCloseTo(
        gaussianExpectation((u, v) => erfDual.dphi(u) * erfDual.dphi(v), qx, qz, s),
        10,
      );
    }
  });

  it('E[φ′φ′] is ∂E[φφ]/∂s (Price’s theorem), by central differences', () => {
    for (const [qx, qz, s] of cases.slice(0, 3)) {
      const h = 1e-6;
      const fd = (erfDual.dual(qx, qz, s + h) - erfDual.dual(qx, qz, s - h)) / (2 * h);
      expect(fd).toBeCloseTo(erfDual.derivativeDual(qx, qz, s), 7);
    }
  });
});

describe('the generic recursion', () => {
  it('with the ReLU dual reproduces the arc-cosine recursion (depth 2–4, with bias)', () => {
    for (const depth of [2, 3, 4])
      for (const [xx, zz, xz] of [
        [1.3, 0.7, 0.4],
        [2, 2, -1.1],
      ]) {
        const spec = { depth, sigmaW: 1.3, sigmaB: 0.4 };
        const a = activationNetKernel(xx, zz, xz, 5, spec, reluDual);
        const b = reluNetKernel(xx, zz, xz, 5, spec);
        expect(a.ntk).toBeCloseTo(b.ntk, 12);
        expect(a.nngp).toBeCloseTo(b.nngp, 12);
      }
  });

  it('the row form equals the pairwise form for every registered activation', () => {
    const d = 6,
      spec = { depth: 3, sigmaW: 1.2, sigmaB: 0.3 };
    const r = rng(3);
    const x = r.fillNormal(new Float64Array(d));
    const Z = Array.from({ length: 5 }, () => r.fillNormal(new Float64Array(d)));
    const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);
    for (const act of Object.values(ACTIVATIONS))
      for (const ntk of [true, false]) {
        const k = Float64Array.from(Z.map((z) => dot(x, z)));
        const qx = activationLayerVariances(Float64Array.of(dot(x, x)), d, spec, act).map((q) => q[0]);
        const qz = activationLayerVariances(Float64Array.from(Z.map((z) => dot(z, z))), d, spec, act);
        activationKernelRow(k, 0, Z.length, qx, qz, d, spec, act, ntk);
        Z.forEach((z, j) => {
          const s = activationNetKernel(dot(x, x), dot(z, z), dot(x, z), d, spec, act);
          expect(k[j]).toBeCloseTo(ntk ? s.ntk : s.nngp, 12);
        });
      }
  });
});

/**
 * Monte-Carlo against a wide finite network f(x) = W2·φ(W1 x/√d + σ_b b1)/√m + σ_b b2 (NTK
 * parameterisation, W, b ~ N(0, 1)). Its empirical NTK is a mean over hidden units of iid terms
 *   W2_k² φ′(u_k(x)) φ′(u_k(z)) (x·z/d + σ_b²) + φ(u_k(x)) φ(u_k(z)),   plus σ_b²,
 * so the error of Θ̂ is known (the terms' standard error) and the test is a z-test.
 */
function monteCarlo(act: typeof erfDual, x: Float64Array, z: Float64Array, m: number, sigmaB: number, seed: number) {
  const d = x.length,
    r = rng(seed),
    w = new Float64Array(d);
  const xz = x.reduce((s, v, i) => s + v * z[i], 0) / d;
  let sum = 0,
    sum2 = 0,
    nngp = 0;
  for (let k = 0; k < m; k++) {
    r.fillNormal(w);
    const b = sigmaB * r.normal(),
      w2 = r.normal();
    let ux = b,
      uz = b;
    for (let i = 0; i < d; i++) {
      ux += (w[i] * x[i]) / Math.sqrt(d);
      uz += (w[i] * z[i]) / Math.sqrt(d);
    }
    const t = w2 * w2 * act.dphi(ux) * act.dphi(uz) * (xz + sigmaB * sigmaB) + act.phi(ux) * act.phi(uz);
    sum += t;
    sum2 += t * t;
    nngp += act.phi(ux) * act.phi(uz);
  }
  const mean = sum / m;
  return { ntk: mean + sigmaB ** 2, se: Math.sqrt((sum2 / m - mean * mean) / m), nngp: nngp / m + sigmaB ** 2 };
}

describe('erf NTK against wide erf networks (Monte-Carlo)', () => {
  const d = 10,
    r = rng(11);
  const pairs = Array.from({ length: 3 }, (_, p) => {
    const x = r.fillNormal(new Float64Array(d)).map((v) => v * (0.6 + 0.5 * p));
    const z = r.fillNormal(new Float64Array(d)).map((v, i) => 0.5 * v + 0.8 * x[i]);
    return { x, z };
  });
  const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);

  it('agrees within 4.5 standard errors (m = 40 000), and is ≥ 10 standard errors from the ReLU kernel', () => {
    for (const sigmaB of [0, 0.5])
      pairs.forEach(({ x, z }, p) => {
        const mc = monteCarlo(erfDual, x, z, 40_000, sigmaB, 100 + p);
        const exact = activationNetKernel(dot(x, x), dot(z, z), dot(x, z), d, { depth: 2, sigmaB }, erfDual);
        expect(Math.abs(mc.ntk - exact.ntk) / mc.se).toBeLessThan(4.5);
        const relu = activationNetKernel(dot(x, x), dot(z, z), dot(x, z), d, { depth: 2, sigmaB }, reluDual);
        expect(Math.abs(mc.ntk - relu.ntk) / mc.se).toBeGreaterThan(10);
      });
  });
});
