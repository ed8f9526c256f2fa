/**
 * The K-output network's NTK (output-trace.ts): the trace closed form against brute-force J Jᵀ
 * (the Jacobian by finite differences of the float64 reference network, and nn's structured one),
 * and the block structure Θ̂_kl → δ_kl Θ by Monte-Carlo over initialisations.
 */
import { describe, expect, it } from 'vitest';
import { gemm, mat32, mat64, rng, type Mat32, type Mat64 } from '@tangent/linalg';
import { empiricalNtkFromJacobian, empiricalNtkMlp, initMlp, jacobian } from '@tangent/nn';
import { twoLayerAnalyticalKernel } from './analytical-kernel.ts';
import { empiricalNtkTwoLayer } from './empirical-ntk-two-layer.ts';
import { relativeFrobeniusDistance } from './kernel-stats.ts';
import { outputAlignment } from './multiclass.ts';
import { traceReadoutWeights } from './output-trace.ts';
import { twoLayerSpec } from './train-two-layer.ts';
import { jacobianFd } from './two-layer-f64-reference.ts';
import { TwoLayerKernel } from './two-layer-kernel.ts';

const randX = (n: number, d: number, seed: number): Mat32 => mat32(n, d, rng(seed).fillNormal(new Float32Array(n * d)));
const NTK = { parameterization: 'ntk' as const, bias: false, sigmaB: 1 };

/** Block (k, l) of a sample-major (N·K) × (M·K) kernel: Θ̂_kl(x_i, z_j), N × M. */
function block(T: Mat64, K: number, k: number, l: number): Mat64 {
  const N = T.rows / K,
    M = T.cols / K,
    out = mat64(N, M);
  for (let i = 0; i < N; i++) for (let j = 0; j < M; j++) out.data[i * M + j] = T.data[(i * K + k) * T.cols + j * K + l];
  return out;
}

/** (1/K) Σ_k Θ̂_kk of a block kernel. */
function traceMean(T: Mat64, K: number): Mat64 {
  const out = mat64(T.rows / K, T.cols / K);
  for (let k = 0; k < K; k++) block(T, K, k, k).data.forEach((v, i) => (out.data[i] += v / K));
  return out;
}

describe('the trace kernel Θ̂_tr = (1/K) Σ_k Θ̂_kk in closed form', () => {
  const variants = [
    { name: 'ntk, relu, no bias (the stage default)', o: NTK },
    { name: 'ntk, relu, bias σ_b = 0.7', o: { ...NTK, bias: true, sigmaB: 0.7 } },
    { name: 'ntk, erf, bias', o: { ...NTK, bias: true, sigmaB: 0.7, activation: 'erf' as const } },
    { name: 'mup, relu, bias', o: { ...NTK, parameterization: 'mup' as const, bias: true } },
  ];
  for (const v of variants)
    it(`equals the trace of brute-force J Jᵀ (finite-difference J; nn.jacobian), every kernel pass (${v.name})`, () => {
      const K = 3;
      const net = initMlp({ ...twoLayerSpec(4, 6, v.o, K), biasInit: 'normal' }, 3);
      const X = randX(5, 4, 1),
        Z = randX(3, 4, 2);
      const closed = empiricalNtkTwoLayer(net, X, Z);
      const P = net.params.length;
      const Jx = jacobianFd(net, X),
        Jz = jacobianFd(net, Z);
      const brute = traceMean(gemm(mat64(5 * K, P, Jx), mat64(3 * K, P, Jz), { transB: true }), K);
      expect(relativeFrobeniusDistance(closed, brute)).toBeLessThan(1e-6);
      expect(relativeFrobeniusDistance(closed, traceMean(empiricalNtkFromJacobian(jacobian(net, X), jacobian(net, Z)), K))).toBeLessThan(
        1e-6,
      );
      // the symmetric route and the tracked-subset kernel (fused pass: SIMD and JavaScript, both precisions)
      const sym = traceMean(empiricalNtkMlp(net, X), K);
      expect(relativeFrobeniusDistance(empiricalNtkTwoLayer(net, X), sym)).toBeLessThan(1e-6);
      for (const precision of ['float64', 'float32'] as const)
        for (const [cache, simd] of [
          [true, true],
          [false, true],
          [true, false],
        ]) {
          const k = new TwoLayerKernel(X, { precision, cache, simd });
          k.update(net);
          expect(relativeFrobeniusDistance(k.full(), sym), `${precision} cache ${cache} simd ${simd}`).toBeLessThan(1e-6);
        }
    });

  it('reads W2 for one output (the same array) and √((1/K) Σ_k W2[k,r]²) for K', () => {
    const one = initMlp(twoLayerSpec(4, 5, NTK), 1);
    expect(traceReadoutWeights(one)).toBe(one.layers[1].W.data);
    const net = initMlp(twoLayerSpec(4, 5, NTK, 3), 1),
      W = net.layers[1].W.data;
    traceReadoutWeights(net).forEach((w, r) => expect(w).toBeCloseTo(Math.sqrt((W[r] ** 2 + W[5 + r] ** 2 + W[10 + r] ** 2) / 3), 6));
  });

  it('the K-column alignment ⟨Θ, YYᵀ⟩/(‖Θ‖‖YYᵀ‖) by brute force, and the binary yᵀΘy/(‖Θ‖‖y‖²) for K = 1', () => {
    const n = 6,
      K = 3,
      r = rng(3);
    const A = mat64(n, 4, r.fillNormal(new Float64Array(n * 4)));
    const T = gemm(A, A, { transB: true });
    const Y = Float32Array.from({ length: n * K }, () => r.normal());
    let num = 0,
      tt = 0,
      yy = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let g = 0;
        for (let k = 0; k < K; k++) g += Y[i * K + k] * Y[j * K + k];
        num += T.data[i * n + j] * g;
        tt += T.data[i * n + j] ** 2;
        yy += g * g;
      }
    expect(outputAlignment(T.data, Y, K)).toBeCloseTo(num / Math.sqrt(tt * yy), 12);
    const y = Y.subarray(0, n);
    let yTy = 0,
      y2 = 0;
    for (let i = 0; i < n; i++) {
      y2 += y[i] ** 2;
      for (let j = 0; j < n; j++) yTy += y[i] * T.data[i * n + j] * y[j];
    }
    expect(outputAlignment(T.data, y, 1)).toBeCloseTo(yTy / (Math.sqrt(tt) * y2), 12);
  });
});

describe('the K-output NTK tends to Θ ⊗ I_K (independent readouts)', () => {
  const d = 5,
    K = 3,
    X = randX(3, d, 7);
  const theta = twoLayerAnalyticalKernel('relu')(X); // the one-output network's Θ
  const n = X.rows;

  it('Monte-Carlo over initialisations: E[Θ̂_kl] = δ_kl Θ and, for k ≠ l, E[m Θ̂_kl²] = (x·z/d)² P(u > 0, v > 0) at any width', () => {
    const m = 64,
      S = 400;
    // per entry (i, j, k, l): sums of Θ̂, Θ̂² and Θ̂⁴ over S networks
    const sum = new Float64Array((n * K) ** 2),
      sq = new Float64Array((n * K) ** 2),
      q4 = new Float64Array((n * K) ** 2);
    for (let s = 0; s < S; s++) {
      const T = empiricalNtkMlp(initMlp(twoLayerSpec(d, m, NTK, K), 1000 + s), X);
      T.data.forEach((v, e) => ((sum[e] += v), (sq[e] += v * v), (q4[e] += v ** 4)));
    }
    const dot = (i: number, j: number) => X.data.subarray(i * d, i * d + d).reduce((a, v, q) => a + v * X.data[j * d + q], 0);
    let worstMean = 0,
      worstVar = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++)
        for (let k = 0; k < K; k++)
          for (let l = 0; l < K; l++) {
            const e = (i * K + k) * n * K + j * K + l;
            const mean = sum[e] / S,
              sd = Math.sqrt((sq[e] / S - mean * mean) * (S / (S - 1)));
            const want = k === l ? theta.data[i * n + j] : 0;
            worstMean = Math.max(worstMean, Math.abs(mean - want) / (sd / Math.sqrt(S))); // in standard errors
            if (k !== l) {
              // the mean of m Θ̂_kl² over the networks against the closed form, in its standard errors
              const cos = dot(i, j) / Math.sqrt(dot(i, i) * dot(j, j));
              const want2 = (dot(i, j) / d) ** 2 * ((Math.PI - Math.acos(Math.max(-1, Math.min(1, cos)))) / (2 * Math.PI));
              const got = (m * sq[e]) / S,
                se = m * Math.sqrt((q4[e] / S - (sq[e] / S) ** 2) / S);
              worstVar = Math.max(worstVar, Math.abs(got - want2) / se);
            }
          }
    expect(worstMean).toBeLessThan(4.5); // off-diagonal blocks equal to Θ (a shared readout) would be ~240 standard errors off
    expect(worstVar).toBeLessThan(4.5);
  });

  it('one wide network: every block within a few m^−½ of δ_kl Θ; the trace closer to Θ than a single block', () => {
    const m = 8192;
    const T = empiricalNtkMlp(initMlp(twoLayerSpec(d, m, NTK, K), 11), X);
    const norm = Math.sqrt(theta.data.reduce((a, v) => a + v * v, 0));
    const zero = mat64(n, n);
    const errs: number[] = [];
    for (let k = 0; k < K; k++)
      for (let l = 0; l < K; l++) {
        const B = block(T, K, k, l),
          want = k === l ? theta : zero;
        const err = Math.sqrt(B.data.reduce((a, v, e) => a + (v - want.data[e]) ** 2, 0)) / norm;
        expect(err, `block ${k}${l}`).toBeLessThan(4 / Math.sqrt(m));
        if (k === l) errs.push(err);
      }
    const tr = relativeFrobeniusDistance(traceMean(T, K), theta);
    expect(tr).toBeLessThan(Math.max(...errs));
    expect(relativeFrobeniusDistance(empiricalNtkTwoLayer(initMlp(twoLayerSpec(d, m, NTK, K), 11), X), traceMean(T, K))).toBeLessThan(1e-6);
  });
});
