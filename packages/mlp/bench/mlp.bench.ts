/**
 * mlp_epoch_6000_d128_m4096: one full-batch GD epoch (forward, mse, backward, update) of the
 * two-layer NTK-parameterised network, float32, on the fused path trainTwoLayer uses
 * (TwoLayerGd). entk_2000_d128_m4096: the empirical NTK of 2000 points by the structured closed
 * form (float64 GEMMs; _f32 variant: float32 GEMMs, float64 kernel). The sgemm line times the
 * epoch's dominant GEMM shape alone, the attainable peak for comparison. Peers: PyTorch CPU
 * (peer-torch.py), run by tools/bench.ts right after each timing.
 *
 * mlp_run_w16_500ep / mlp_run_w4096_500ep: a whole tracked run at the stage's sizes (n_fit 6091,
 * n_eval 1522, d 128, rows of norm √d, tracked subset 1000, Θ̂ every epoch, full-fit kernels at
 * t = 0 and T, float32 kernel GEMMs, centred mse, c = 1). "fixed_seconds" is the median 0-epoch run
 * (initialisation, the tracked and full-fit kernels at t = 0 and T, λ_max); "per_epoch_ms" is
 * the rest divided by the 500 epochs (training, eval pass and tracking).
 */
import { gemm, mat32, rng, type Mat32 } from '@tangent/linalg';
import { gdStep, initMlp, mse, type Mlp } from '@tangent/nn';
import type { Benchmark } from '../../../tools/bench.ts';
import { empiricalNtkTwoLayer } from '../src/empirical-ntk-two-layer.ts';
import { stratifiedSubset } from '../src/tracked-subset.ts';
import { trainOptions, trainTwoLayer, twoLayerSpec, type TrainOptions } from '../src/train-two-layer.ts';
import { TwoLayerGd } from '../src/two-layer-gd.ts';

function sphereRows(n: number, d: number, seed: number, radius = 1): Mat32 {
  const X = mat32(n, d);
  rng(seed).fillNormal(X.data);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += X.data[i * d + j] ** 2;
    for (let j = 0; j < d; j++) X.data[i * d + j] *= radius / Math.sqrt(s);
  }
  return X;
}

const net = (d: number, m: number): Mlp => initMlp(twoLayerSpec(d, m, { parameterization: 'ntk', bias: false, sigmaB: 1 }), 0);

interface EpochState {
  net: Mlp;
  gd: TwoLayerGd;
  X: Mat32;
  y: Float32Array;
  f: Float32Array;
  grad: Float32Array;
}
const N = 6000,
  D = 128,
  M = 4096;
const epochFlops = 4 * N * D * M + 6 * N * M; // fwd X·W1ᵀ + bwd G1ᵀ·X, plus the width-1 layer
const entkN = 2000;
const entkFlops = 2 * entkN * entkN * M + 2 * entkN * D * M; // two syrk (n²m each) + u = X W1ᵀ
const torch = (args: string[]) => ({ name: 'torch', script: 'packages/mlp/bench/peer-torch.py', args });

function runBench(width: number): Benchmark {
  const epochs = 500;
  interface RunState {
    data: { X: Mat32; y: Float32Array; Xeval: Mat32; yeval: Float32Array };
    opts: TrainOptions;
    fixed: number;
  }
  return {
    name: `mlp_run_w${width}_${epochs}ep`,
    n: 6091,
    repeats: 1,
    setup: (): RunState => {
      const d = 128,
        X = sphereRows(6091, d, 1, Math.sqrt(d)),
        Xeval = sphereRows(1522, d, 2, Math.sqrt(d));
      const label = (A: Mat32) => Float32Array.from({ length: A.rows }, (_, i) => (A.data[i * d] + 0.5 * A.data[i * d + 1] > 0 ? 1 : -1));
      const y = label(X);
      const opts = trainOptions({
        width,
        seed: 0,
        epochs,
        tracked: stratifiedSubset(y, 1000, 0),
      });
      const data = { X, y, Xeval, yeval: label(Xeval) };
      const zero: number[] = []; // the fixed part: median of three 0-epoch runs
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        trainTwoLayer(data, { ...opts, epochs: 0 });
        zero.push((performance.now() - t0) / 1000);
      }
      return { data, opts, fixed: zero.sort((a, b) => a - b)[1] };
    },
    run: (st) => {
      const s = st as RunState;
      trainTwoLayer(s.data, s.opts);
    },
    extra: (sec, st) => {
      const s = st as RunState;
      return {
        fixed_seconds: +s.fixed.toFixed(3),
        per_epoch_ms: +(((sec - s.fixed) / epochs) * 1000).toFixed(2),
        epochs,
        tracked: 1000,
        n_eval: 1522,
      };
    },
  };
}

export const benchmarks: Benchmark[] = [
  {
    name: 'mlp_epoch_6000_d128_m4096',
    n: N,
    repeats: 5,
    setup: (): EpochState => {
      const X = sphereRows(N, D, 1);
      const y = Float32Array.from({ length: N }, (_, i) => (X.data[i * D] > 0 ? 1 : -1));
      const nt = net(D, M);
      const s = { net: nt, gd: new TwoLayerGd(nt), X, y, f: new Float32Array(N), grad: new Float32Array(D * M + M) };
      s.gd.forward(X, s.f); // warm-up (BLAS threads, JIT, buffers)
      return s;
    },
    run: (st) => {
      const s = st as EpochState;
      s.gd.forward(s.X, s.f, true);
      const { dPred } = mse({ rows: N, cols: 1, data: s.f }, s.y);
      s.gd.backward(s.X, dPred.data, s.grad);
      gdStep(s.net.params, s.grad, 1e-3);
    },
    peer: torch(['mlp_epoch', String(N), String(D), String(M)]),
    extra: (sec) => ({ gflops: +(epochFlops / sec / 1e9).toFixed(1), dtype: 'float32' }),
  },
  {
    name: 'sgemm_6000x128x4096',
    n: N,
    repeats: 5,
    setup: () => ({ X: sphereRows(N, D, 1), W: net(D, M).layers[0].W }),
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
    setup: () => ({ net: net(D, M), X: sphereRows(entkN, D, 2) }),
    run: (st) => {
      const s = st as { net: Mlp; X: Mat32 };
      empiricalNtkTwoLayer(s.net, s.X);
    },
    peer: torch(['entk', String(entkN), String(D), String(M), 'float64']),
    extra: (sec) => ({ gflops: +(entkFlops / sec / 1e9).toFixed(1), dtype: 'float64' }),
  },
  {
    name: 'entk_2000_d128_m4096_f32',
    n: entkN,
    repeats: 3,
    setup: () => ({ net: net(D, M), X: sphereRows(entkN, D, 2) }),
    run: (st) => {
      const s = st as { net: Mlp; X: Mat32 };
      empiricalNtkTwoLayer(s.net, s.X, undefined, { precision: 'float32' });
    },
    peer: torch(['entk', String(entkN), String(D), String(M), 'float32']),
    extra: (sec) => ({ gflops: +(entkFlops / sec / 1e9).toFixed(1), dtype: 'float32 GEMMs, float64 kernel' }),
  },
  runBench(16),
  runBench(4096),
];
