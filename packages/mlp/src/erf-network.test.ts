/**
 * The erf network of the mlp stage (model.activation: erf) against oracles that share nothing with
 * its fused passes but φ: its gradient against finite differences of a float64 forward pass, its
 * analytical kernel against Williams' (1997) closed form written out here, and its empirical NTK
 * at initialisation against that kernel as the width grows (a Monte-Carlo z-test per entry, and
 * the m^−1/2 law).
 */
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, activationNetKernel } from '@tangent/kernels';
import { mat32, mat64, rng, type Mat32, type Mat64 } from '@tangent/linalg';
import { empiricalNtk, empiricalNtkFromJacobian, initMlp, jacobian, mse, tfjsMirror, type Mlp } from '@tangent/nn';
import { twoLayerAnalyticalKernel } from './analytical-kernel.ts';
import { empiricalNtkTwoLayer } from './empirical-ntk-two-layer.ts';
import { hermiteTable } from './hidden-activation.ts';
import { mlpRunConfigSchema } from './config.ts';
import { relativeFrobeniusDistance } from './kernel-stats.ts';
import { twoLayerSpec } from './train-two-layer.ts';
import { TwoLayerGd } from './two-layer-gd.ts';

const erf = ACTIVATIONS.erf;
const randX = (n: number, d: number, seed: number): Mat32 => mat32(n, d, rng(seed).fillNormal(new Float32Array(n * d)));
const erfNet = (d: number, m: number, seed: number, o: { parameterization?: 'ntk' | 'mup'; bias?: boolean } = {}): Mlp =>
  initMlp(
    {
      ...twoLayerSpec(d, m, { parameterization: o.parameterization ?? 'ntk', bias: o.bias ?? false, sigmaB: 0.7, activation: 'erf' }),
      biasInit: 'normal',
    },
    seed,
  );
const row = (X: Mat32, i: number) => Float64Array.from(X.data.subarray(i * X.cols, (i + 1) * X.cols));
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j] * b[j];
  return s;
};

/**
 * Θ of h = erf(W1 x/√d), f = W2 h/√m (Williams 1997, eq. 11, and its s-derivative), with
 * q = |x|²/d, s = x·z/d:  Θ = (2/π) asin(2s/√((1+2qx)(1+2qz))) + s (4/π)/√((1+2qx)(1+2qz) − 4s²).
 */
function williamsNtk(X: Mat32, Z: Mat32): Mat64 {
  const d = X.cols,
    K = mat64(X.rows, Z.rows);
  for (let i = 0; i < X.rows; i++)
    for (let j = 0; j < Z.rows; j++) {
      const x = row(X, i),
        z = row(Z, j);
      const qx = dot(x, x) / d,
        qz = dot(z, z) / d,
        s = dot(x, z) / d;
      const r = (1 + 2 * qx) * (1 + 2 * qz);
      K.data[i * Z.rows + j] = (2 / Math.PI) * Math.asin((2 * s) / Math.sqrt(r)) + (s * 4) / Math.PI / Math.sqrt(r - 4 * s * s);
    }
  return K;
}

describe('the erf network (model.activation: erf)', () => {
  it('model.activation: relu by default, erf accepted, any other name refused', () => {
    const base = { input: 'toy-d6', run: { width: 8, seed: 0, lr: 1 } };
    expect(mlpRunConfigSchema.parse(base).model.activation).toBe('relu');
    expect(mlpRunConfigSchema.parse({ ...base, model: { activation: 'erf' } }).model.activation).toBe('erf');
    expect(mlpRunConfigSchema.safeParse({ ...base, model: { activation: 'tanh' } }).success).toBe(false);
  });

  it("the passes' φ and φ' (Hermite table of the registry's) = the registry's within Hermite's bounds; p' is p's derivative", () => {
    const t = hermiteTable(erf);
    let e0 = 0,
      e1 = 0,
      dd = 0;
    for (let x = -9; x <= 9; x += 1 / 1999.3) {
      e0 = Math.max(e0, Math.abs(t.phi(x) - erf.phi(x)));
      e1 = Math.max(e1, Math.abs(t.dphi(x) - erf.dphi(x)));
      if (Math.abs(x) < 7.99) dd = Math.max(dd, Math.abs((t.phi(x + 1e-6) - t.phi(x - 1e-6)) / 2e-6 - t.dphi(x)));
    }
    expect(e0).toBeLessThan(4e-12); // h⁴/384 · max|erf⁗| at h = 1/256
    expect(e1).toBeLessThan(3e-9); // (√3/216) h³ · max|erf⁗|
    expect(dd).toBeLessThan(1e-8); // central differences of the interpolant (rounding ~1e-10 at this step)
    expect(t.phi(9.5)).toBe(1);
    expect(t.dphi(-8.5)).toBe(erf.dphi(-8.5));
    expect(t.phi(NaN)).toBeNaN();
    // a coarse table is measurably off: the bound is what the test sees, not a tolerance that cannot fail
    const coarse = hermiteTable(erf, 8, 4);
    expect(Math.abs(coarse.phi(0.3) - erf.phi(0.3))).toBeGreaterThan(1e-7);
  });

  for (const parameterization of ['ntk', 'mup'] as const)
    it(`TwoLayerGd's gradient = central differences of a float64 forward pass (${parameterization}, bias)`, () => {
      const N = 9,
        d = 4,
        m = 7;
      const net = erfNet(d, m, 3, { parameterization, bias: true });
      const X = randX(N, d, 4),
        y = rng(5).fillNormal(new Float32Array(N));
      const gd = new TwoLayerGd(net);
      const f = gd.forward(X, new Float32Array(N), true);
      const { loss, dPred } = mse({ rows: N, cols: 1, data: f }, y);
      const g = gd.backward(X, dPred.data, new Float32Array(net.params.length));
      const [L1, L2] = net.layers;
      const loss64 = (t: Float64Array) => {
        let L = 0;
        for (let i = 0; i < N; i++) {
          let out = L2.b ? L2.bScale * t[L2.bOffset] : 0;
          for (let k = 0; k < m; k++) {
            let u = 0;
            for (let j = 0; j < d; j++) u += t[L1.wOffset + k * d + j] * X.data[i * d + j];
            out += L2.wScale * t[L2.wOffset + k] * erf.phi(L1.wScale * u + (L1.b ? L1.bScale * t[L1.bOffset + k] : 0));
          }
          L += (out - y[i]) ** 2;
        }
        return L / (2 * N);
      };
      const theta = Float64Array.from(net.params);
      expect(loss64(theta)).toBeCloseTo(loss, 6);
      const gNorm = Math.sqrt(dot(g, g));
      for (let p = 0; p < theta.length; p++) {
        const t = theta.slice(),
          eps = 1e-5;
        t[p] += eps;
        const up = loss64(t);
        t[p] -= 2 * eps;
        expect(Math.abs(g[p] - (up - loss64(t)) / (2 * eps)), `θ[${p}]`).toBeLessThan(1e-6 * gNorm);
      }
    });

  it("the analytical kernels = Williams' closed form = the registry's scalar recursion (NNGP too)", () => {
    const X = randX(9, 6, 6),
      Z = randX(4, 6, 7);
    const ntk = twoLayerAnalyticalKernel('erf', 'ntk'),
      nngp = twoLayerAnalyticalKernel('erf', 'nngp');
    expect(relativeFrobeniusDistance(ntk(X, Z), williamsNtk(X, Z))).toBeLessThan(1e-13);
    const sym = ntk(X);
    expect(relativeFrobeniusDistance(sym, williamsNtk(X, X))).toBeLessThan(1e-13);
    const S = nngp(X, Z);
    for (let i = 0; i < 9; i++)
      for (let j = 0; j < 4; j++) {
        const [x, z] = [row(X, i), row(Z, j)];
        const want = activationNetKernel(dot(x, x), dot(z, z), dot(x, z), 6, { depth: 2 }, erf);
        expect(S.data[i * 4 + j]).toBeCloseTo(want.nngp, 13);
        // Σ alone: the readout's (2/π) asin term
        expect(S.data[i * 4 + j]).toBeCloseTo(
          (2 / Math.PI) * Math.asin((2 * dot(x, z)) / 6 / Math.sqrt((1 + (2 * dot(x, x)) / 6) * (1 + (2 * dot(z, z)) / 6))),
          13,
        );
      }
  });

  it('the closed-form Θ̂ = J Jᵀ (nn.jacobian) = tfjs autodiff (tf.erf), bias included', async () => {
    const net = erfNet(5, 9, 8, { bias: true });
    const X = randX(7, 5, 9),
      Z = randX(3, 5, 10);
    const closed = empiricalNtkTwoLayer(net, X, Z);
    expect(relativeFrobeniusDistance(closed, empiricalNtkFromJacobian(jacobian(net, X), jacobian(net, Z)))).toBeLessThan(1e-6);
    const mirror = await tfjsMirror(net);
    const t = (A: Mat32) => mirror.tf.tensor2d(Array.from(A.data), [A.rows, A.cols]);
    expect(relativeFrobeniusDistance(closed, await empiricalNtk(mirror.model, mirror.params, t(X), t(Z)))).toBeLessThan(1e-5);
    mirror.dispose();
    const sym = empiricalNtkTwoLayer(net, X);
    expect(relativeFrobeniusDistance(sym, empiricalNtkFromJacobian(jacobian(net, X)))).toBeLessThan(1e-6);
    expect(relativeFrobeniusDistance(empiricalNtkTwoLayer(net, X, undefined, { precision: 'float32' }), sym)).toBeLessThan(1e-5);
  });

  it('Θ̂₀ at width 40 000 is the mean of i.i.d. neuron terms centred on the analytical Θ (z-test per entry)', () => {
    const d = 8,
      m = 40_000,
      n = 5;
    const X = randX(n, d, 11);
    const net = erfNet(d, m, 12);
    const K = empiricalNtkTwoLayer(net, X);
    const A = twoLayerAnalyticalKernel('erf')(X);
    const [L1, L2] = net.layers;
    // τ_k(x, z) = (x·z/d) w2_k² φ'(u_k(x)) φ'(u_k(z)) + φ(u_k(x)) φ(u_k(z)), Θ̂₀ = mean over k
    const u = Array.from({ length: n }, (_, i) =>
      Float64Array.from({ length: m }, (_, k) => L1.wScale * dot(L1.W.data.subarray(k * d, (k + 1) * d), row(X, i))),
    );
    let worst = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) {
        const s = dot(row(X, i), row(X, j)) / d;
        let sum = 0,
          sq = 0;
        for (let k = 0; k < m; k++) {
          const w2 = L2.W.data[k];
          const tau = s * w2 * w2 * erf.dphi(u[i][k]) * erf.dphi(u[j][k]) + erf.phi(u[i][k]) * erf.phi(u[j][k]);
          sum += tau;
          sq += tau * tau;
        }
        const mean = sum / m,
          se = Math.sqrt((sq / m - mean * mean) / (m - 1));
        expect(K.data[i * n + j] / mean).toBeCloseTo(1, 6); // the fused closed form is this mean
        worst = Math.max(worst, Math.abs(mean - A.data[i * n + j]) / se);
      }
    expect(worst).toBeLessThan(4.5); // 15 entries: a false alarm at 4.5σ has probability ~1e-4
  });

  it('‖Θ̂₀ − Θ‖_F/‖Θ‖_F falls as m^−1/2', () => {
    const X = randX(12, 8, 13);
    const A = twoLayerAnalyticalKernel('erf')(X);
    const widths = [64, 256, 1024, 4096];
    const errs = widths.map((m) => {
      let s = 0;
      for (let seed = 0; seed < 3; seed++) s += relativeFrobeniusDistance(empiricalNtkTwoLayer(erfNet(8, m, 100 + seed), X), A);
      return s / 3;
    });
    const slope = (Math.log(errs[3]) - Math.log(errs[0])) / (Math.log(4096) - Math.log(64));
    expect(slope).toBeGreaterThan(-0.7);
    expect(slope).toBeLessThan(-0.35);
    expect(errs[3]).toBeLessThan(0.06);
    // and not toward the relu kernel of the same rows, which the erf network's Θ̂₀ does not approach
    expect(relativeFrobeniusDistance(twoLayerAnalyticalKernel('relu')(X), A)).toBeGreaterThan(10 * errs[3]);
  });
});
