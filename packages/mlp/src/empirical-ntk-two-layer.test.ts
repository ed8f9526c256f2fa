import { describe, expect, it } from 'vitest';
import { mat32, mat64, rng, type Mat32, type Mat64 } from '@tangent/linalg';
import { empiricalNtk, empiricalNtkFromJacobian, empiricalNtkMlp, initMlp, jacobian, tfjsMirror } from '@tangent/nn';
import { ntkGram } from '@tangent/kernels';
import { empiricalNtkTwoLayer } from './empirical-ntk-two-layer.ts';
import { relativeFrobeniusDistance } from './kernel-stats.ts';
import { twoLayerSpec } from './train-two-layer.ts';

const randX = (n: number, d: number, seed: number): Mat32 => mat32(n, d, rng(seed).fillNormal(new Float32Array(n * d)));

function rel(a: Mat64, b: Mat64): number {
  return relativeFrobeniusDistance(a, b);
}

/**
 * Infinite-width NTK of h = relu(W1 x/√d), f = W2 h/√m written out here as an independent
 * oracle: E[W2²]·P(u(x)>0, u(z)>0)·x·z/d + E[relu(u(x)) relu(u(z))]
 *   = (x·z/d)(π − φ)/(2π) + |x||z|(sin φ + (π − φ) cos φ)/(2πd).
 */
function analyticNtk(X: Mat32): Mat64 {
  const n = X.rows,
    d = X.cols,
    K = mat64(n, n);
  const dot = (i: number, j: number) => {
    let s = 0;
    for (let k = 0; k < d; k++) s += X.data[i * d + k] * X.data[j * d + k];
    return s;
  };
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const xz = dot(i, j),
        r = Math.sqrt(dot(i, i) * dot(j, j));
      const phi = Math.acos(Math.max(-1, Math.min(1, xz / r)));
      K.data[i * n + j] =
        ((xz / d) * (Math.PI - phi)) / (2 * Math.PI) + (r * (Math.sin(phi) + (Math.PI - phi) * Math.cos(phi))) / (2 * Math.PI * d);
    }
  return K;
}

describe('two-layer empirical NTK closed form', () => {
  const variants = [
    { name: 'ntk, no bias (the stage default)', o: { parameterization: 'ntk' as const, bias: false, sigmaB: 1 } },
    { name: 'ntk with bias σ_b = 0.7', o: { parameterization: 'ntk' as const, bias: true, sigmaB: 0.7 } },
    { name: 'standard', o: { parameterization: 'standard' as const, bias: true, sigmaB: 1 } },
  ];
  for (const v of variants) {
    it(`equals J Jᵀ (nn.jacobian), the layered eNTK and the tfjs autodiff route (${v.name})`, async () => {
      const net = initMlp(twoLayerSpec(6, 9, v.o), 3);
      if (net.layers[0].b) {
        rng(4).fillNormal(net.layers[0].b);
        rng(5).fillNormal(net.layers[1].b!);
      }
      const X = randX(7, 6, 1),
        Z = randX(4, 6, 2);
      const closed = empiricalNtkTwoLayer(net, X, Z);
      expect(rel(closed, empiricalNtkFromJacobian(jacobian(net, X), jacobian(net, Z)))).toBeLessThan(1e-6);
      expect(rel(closed, empiricalNtkMlp(net, X, Z))).toBeLessThan(1e-6);
      const m = await tfjsMirror(net);
      const t = (A: Mat32) => m.tf.tensor2d(Array.from(A.data), [A.rows, A.cols]);
      expect(rel(closed, await empiricalNtk(m.model, m.params, t(X), t(Z)))).toBeLessThan(1e-5);
      m.dispose();
      const sym = empiricalNtkTwoLayer(net, X);
      expect(rel(sym, empiricalNtkFromJacobian(jacobian(net, X)))).toBeLessThan(1e-6);
      expect(rel(empiricalNtkTwoLayer(net, X, undefined, { precision: 'float32' }), sym)).toBeLessThan(1e-5);
    });
  }

  it('the default constants: Θ̂(x, x) = (1/m)[(|x|²/d) Σ_k W2_k² 1[u_k>0] + Σ_k relu(u_k)²] by brute force', () => {
    const net = initMlp(twoLayerSpec(5, 8, { parameterization: 'ntk', bias: false, sigmaB: 1 }), 9);
    const X = randX(3, 5, 9);
    const K = empiricalNtkTwoLayer(net, X);
    const W1 = net.layers[0].W.data,
      W2 = net.layers[1].W.data;
    for (let i = 0; i < 3; i++) {
      const x = X.data.subarray(i * 5, i * 5 + 5);
      let xx = 0,
        s1 = 0,
        s2 = 0;
      for (const v of x) xx += v * v;
      for (let k = 0; k < 8; k++) {
        let u = 0;
        for (let j = 0; j < 5; j++) u += W1[k * 5 + j] * x[j];
        u /= Math.sqrt(5);
        if (u > 0) {
          s1 += W2[k] ** 2;
          s2 += u * u;
        }
      }
      expect(K.data[i * 3 + i]).toBeCloseTo(((xx / 5) * s1 + s2) / 8, 5);
    }
  });

  it("@tangent/kernels' ntkGram (depth 2, σ_w = 1, no bias), used by the stage, has this network's scaling", () => {
    const X = randX(9, 8, 6);
    expect(rel(ntkGram(X, undefined, { depth: 2, sigmaW: 1, sigmaB: 0 }), analyticNtk(X))).toBeLessThan(1e-8); // oracle sums float32 products
  });

  it('Θ̂_0 approaches the analytical NTK as m grows, error ∝ m^-1/2', () => {
    const X = randX(12, 8, 5);
    const A = analyticNtk(X);
    const widths = [64, 256, 1024, 4096];
    const errs = widths.map((m) => {
      let s = 0;
      for (let seed = 0; seed < 3; seed++)
        s += rel(empiricalNtkTwoLayer(initMlp(twoLayerSpec(8, m, { parameterization: 'ntk', bias: false, sigmaB: 1 }), 100 + seed), X), A);
      return s / 3;
    });
    const slope = (Math.log(errs[3]) - Math.log(errs[0])) / (Math.log(4096) - Math.log(64));
    expect(slope).toBeGreaterThan(-0.7);
    expect(slope).toBeLessThan(-0.35);
    expect(errs[3]).toBeLessThan(0.06);
  });
});
