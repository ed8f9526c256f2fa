/**
 * mlp_epoch_6000_d128_m4096: one full-batch GD epoch (forward, mse, backward, update) of the
 * two-layer NTK-parameterised network, float32. entk_2000_d128_m4096: the empirical NTK of 2000
 * points by the structured closed form (float64 GEMMs; _f32 variant: float32 GEMMs). The sgemm
 * line times the epoch's dominant GEMM shape alone, the attainable peak for comparison.
 */
import { gemm, mat32, rng, type Mat32 } from '@tangent/linalg';
import { backward, forward, gdStep, initMlp, mse, type Mlp } from '@tangent/nn';
import type { Benchmark } from '../../../tools/bench.ts';
import { empiricalNtkTwoLayer } from '../src/empirical-ntk-two-layer.ts';
import { twoLayerSpec } from '../src/train-two-layer.ts';

function unitRows(n: number, d: number, seed: number): Mat32 {
  const X = mat32(n, d, rng(seed).fillNormal(new Float32Array(n * d)));
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += X.data[i * d + j] ** 2;
    for (let j = 0; j < d; j++) X.data[i * d + j] /= Math.sqrt(s);
  }
  return X;
}

const net = (d: number, m: number): Mlp => initMlp(twoLayerSpec(d, m, { parameterization: 'ntk', bias: false, sigmaB: 1 }), 0);

interface EpochState {
  net: Mlp;
  X: Mat32;
  y: Float32Array;
  grad: Float32Array;
}
const N = 6000,
  D = 128,
  M = 4096;
const epochFlops = 4 * N * D * M + 6 * N * M; // fwd X·W1ᵀ + bwd G1ᵀ·X, plus the width-1 layer
const entkN = 2000;
const entkFlops = 2 * entkN * entkN * M + 2 * entkN * D * M; // two syrk (n²m each) + u = X W1ᵀ

export const benchmarks: Benchmark[] = [
  {
    name: 'mlp_epoch_6000_d128_m4096',
    n: N,
    repeats: 5,
    setup: (): EpochState => {
      const X = unitRows(N, D, 1);
      const y = Float32Array.from({ length: N }, (_, i) => (X.data[i * D] > 0 ? 1 : -1));
      const s = { net: net(D, M), X, y, grad: new Float32Array(D * M + M) };
      forward(s.net, X); // warm-up (BLAS threads, JIT)
      return s;
    },
    run: (st) => {
      const s = st as EpochState;
      const { out, cache } = forward(s.net, s.X);
      const { dPred } = mse(out, s.y);
      backward(s.net, cache, dPred, s.grad);
      gdStep(s.net.params, s.grad, 1e-3);
    },
    extra: (sec) => ({ gflops: +(epochFlops / sec / 1e9).toFixed(1), dtype: 'float32' }),
  },
  {
    name: 'sgemm_6000x128x4096',
    n: N,
    repeats: 5,
    setup: () => ({ X: unitRows(N, D, 1), W: net(D, M).layers[0].W }),
    run: (st) => {
      const s = st as { X: Mat32; W: Mat32 };
      gemm(s.X, s.W, { transB: true });
    },
    extra: (sec) => ({ gflops: +((2 * N * D * M) / sec / 1e9).toFixed(1), dtype: 'float32' }),
  },
  {
    name: 'entk_2000_d128_m4096',
    n: entkN,
    repeats: 3,
    setup: () => ({ net: net(D, M), X: unitRows(entkN, D, 2) }),
    run: (st) => {
      const s = st as { net: Mlp; X: Mat32 };
      empiricalNtkTwoLayer(s.net, s.X);
    },
    extra: (sec) => ({ gflops: +(entkFlops / sec / 1e9).toFixed(1), dtype: 'float64' }),
  },
  {
    name: 'entk_2000_d128_m4096_f32',
    n: entkN,
    repeats: 3,
    setup: () => ({ net: net(D, M), X: unitRows(entkN, D, 2) }),
    run: (st) => {
      const s = st as { net: Mlp; X: Mat32 };
      empiricalNtkTwoLayer(s.net, s.X, undefined, { precision: 'float32' });
    },
    extra: (sec) => ({ gflops: +(entkFlops / sec / 1e9).toFixed(1), dtype: 'float32 GEMMs, float64 kernel' }),
  },
];
