import { describe, expect, it } from 'vitest';
import { eigh, mat32, mat64, rng, type Mat32 } from '@tangent/linalg';
import { DivergenceError, initMlp } from '@tangent/nn';
import { binaryScores } from '@tangent/kernels';
import { kernelTargetAlignment, topEigenvalue } from './kernel-stats.ts';
import { stratifiedSubset } from './tracked-subset.ts';
import { empiricalNtkTwoLayer } from './empirical-ntk-two-layer.ts';
import { trainOptions, trainTwoLayer, twoLayerSpec } from './train-two-layer.ts';

/** A tiny separable-ish problem on the unit sphere in R^8: y = sign(x_1 + 0.5 x_2²−0.2). */
function problem(n: number, seed: number): { X: Mat32; y: Float32Array } {
  const r = rng(seed),
    d = 8;
  const X = mat32(n, d, r.fillNormal(new Float32Array(n * d)));
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += X.data[i * d + j] ** 2;
    for (let j = 0; j < d; j++) X.data[i * d + j] /= Math.sqrt(s);
    y[i] = X.data[i * d] + 2 * X.data[i * d + 1] ** 2 - 0.1 > 0 ? 1 : -1;
  }
  return { X, y };
}

function rowsOf(X: Mat32, n: number): Mat32 {
  return { rows: n, cols: X.cols, data: X.data.subarray(0, n * X.cols) };
}

// Uncentred: these tests check the raw network's dynamics (f₀ included).
const base = trainOptions({
  center: false,
  epochs: 60,
  tracked: Int32Array.from({ length: 40 }, (_, i) => i),
  trackEvery: 10,
  precision: 'float64',
  maxKernelBytes: 2 ** 30,
});

describe('training dynamics', () => {
  const { X, y } = problem(120, 1);
  const ev = problem(60, 2);

  it('lazy training: ΔΘ(T) shrinks with width (between m^-1/2 and m^-1), loss falls', () => {
    // Dyer & Gur-Ari (2019): dΘ/dt = O(1/m) (Jacot's bound is O(1/√m)); ReLU pattern flips sit in between.
    const widths = [128, 2048];
    const small = { X: rowsOf(X, 60), y: y.subarray(0, 60) };
    const dts = widths.map((width) => {
      let s = 0;
      for (const seed of [0, 1]) {
        const r = trainTwoLayer(
          { ...small, Xeval: ev.X, yeval: ev.y },
          { ...base, width, seed, epochs: 30, tracked: Int32Array.from({ length: 30 }, (_, i) => 2 * i) },
        );
        expect(r.lambdaMaxSource).toBe('full');
        expect(r.final.trainLoss).toBeLessThan(0.6 * r.history[0].trainLoss);
        expect(r.history).toHaveLength(31);
        expect(r.history[0].deltaTheta).toBe(0);
        expect(r.history[15].deltaTheta).toBeNull();
        expect(r.history[20].deltaTheta).toBeGreaterThan(0);
        expect(r.deltaThetaFullFinal).toBeGreaterThan(0);
        s += r.deltaThetaFinal!;
      }
      return s / 2;
    });
    const slope = Math.log(dts[1] / dts[0]) / Math.log(widths[1] / widths[0]);
    expect(slope).toBeGreaterThan(-1.25);
    expect(slope).toBeLessThan(-0.4);
  });

  // η = c·n/λ_max(Θ̂₀) makes lrNatural = c by construction; what can be wrong is λ_max itself.
  it('the λ_max behind η is the top eigenvalue of Θ̂₀ (eigh on an independently built kernel)', () => {
    const r = trainTwoLayer({ X, y }, { ...base, width: 64, seed: 4, epochs: 0 });
    const K = empiricalNtkTwoLayer(initMlp(twoLayerSpec(X.cols, 64, base), 4), X);
    const top = eigh(mat64(K.rows, K.cols, K.data.slice())).values[K.rows - 1];
    expect(r.lambdaMaxSource).toBe('full');
    expect(Math.abs(r.lambdaMax0 - top) / top).toBeLessThan(1e-9);
    expect(Math.abs(r.lr - (base.lrScale * X.rows) / top) / r.lr).toBeLessThan(1e-9);
  });

  it('the step is at the stability edge of the linearised model: c = 2.1 diverges, c = 1.9 converges', () => {
    // f_{t+1} − y = (I − η Θ̂₀/n)(f_t − y): stable iff η λ_max/n < 2.
    const K = empiricalNtkTwoLayer(initMlp(twoLayerSpec(X.cols, 64, base), 4), X);
    const n = X.rows;
    const residual = (c: number) => {
      const { lr } = trainTwoLayer({ X, y }, { ...base, width: 64, seed: 4, epochs: 0, lrScale: c });
      let e = Float64Array.from(y, (v) => -v); // f_0 = 0 (centred)
      const e0 = Math.hypot(...e);
      for (let t = 0; t < 300; t++) {
        const next = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          let g = 0;
          for (let j = 0; j < n; j++) g += K.data[i * n + j] * e[j];
          next[i] = e[i] - (lr / n) * g;
        }
        e = next;
      }
      return Math.hypot(...e) / e0;
    };
    expect(residual(2.1)).toBeGreaterThan(10);
    expect(residual(1.9)).toBeLessThan(1);
  });

  it('stops a diverging run with the learning rate to try', () => {
    expect(() => trainTwoLayer({ X, y }, { ...base, width: 64, seed: 0, lrScale: 6 })).toThrowError(DivergenceError);
    expect(() => trainTwoLayer({ X, y }, { ...base, width: 64, seed: 0, lrScale: 6 })).toThrowError(
      /run w64-s0-lr6 diverged at epoch \d+: .*rerun with c = 1\.50 instead: in configs\/pipeline\.yaml, grid\.lrs, grid\.lrSweep\.lrs where the sweep adds it, or regimes\.<name>\.lrs for a regime's run$/,
    );
  });

  it('refuses a tracked subset whose kernel does not fit in memory', () => {
    expect(() => trainTwoLayer({ X, y }, { ...base, width: 16, seed: 0, maxKernelBytes: 1000 })).toThrowError(
      /tracked subset of 40 points needs [0-9.]+ (B|KiB|MiB) for its kernel \(tracking.maxKernelBytes = [0-9.]+ (B|KiB)\); lower tracking.size/,
    );
  });

  it('mini-batch SGD is seeded and reproducible', () => {
    const o = { ...base, width: 32, seed: 3, epochs: 3, batchSize: 16, tracked: null, trackFull: false };
    const a = trainTwoLayer({ X, y }, o),
      b = trainTwoLayer({ X, y }, o);
    expect(a.final.trainLoss).toBe(b.final.trainLoss);
    expect(a.lambdaMaxSource).toBe('tracked-scaled');
  });
});

describe('kernel and classification summaries', () => {
  it('power iteration matches eigh; alignment matches its definition', () => {
    const r = rng(3),
      n = 30;
    const A = mat32(n, 5, r.fillNormal(new Float32Array(n * 5)));
    const K = mat64(n, n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < 5; k++) s += A.data[i * 5 + k] * A.data[j * 5 + k];
        K.data[i * n + j] = s + 1;
      }
    const top = topEigenvalue(K).value;
    const e = eigh(mat64(n, n, K.data.slice()));
    expect(top).toBeCloseTo(e.values[n - 1], 6);
    const yy = Float64Array.from({ length: n }, (_, i) => (i % 3 ? 1 : -1));
    let yKy = 0,
      fro = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        yKy += yy[i] * K.data[i * n + j] * yy[j];
        fro += K.data[i * n + j] ** 2;
      }
    expect(kernelTargetAlignment(K, yy)).toBeCloseTo(yKy / (Math.sqrt(fro) * n), 12);
  });

  it('accuracy and F1 by hand; stratified subset keeps class shares', () => {
    const s = binaryScores([1, -1, 0.5, -0.2, 2], [1, 1, -1, -1, 1]); // TP 2, FN 1, FP 1, TN 1
    expect(s.accuracy).toBeCloseTo(3 / 5);
    expect(s.f1).toBeCloseTo(4 / 6);
    const labels = Float32Array.from({ length: 1000 }, (_, i) => (i % 10 < 3 ? 1 : -1));
    const sub = stratifiedSubset(labels, 100, 0);
    expect(sub.length).toBe(100);
    expect(Array.from(sub).filter((i) => labels[i] === 1).length).toBe(30);
    expect(new Set(sub).size).toBe(100);
    expect(Array.from(stratifiedSubset(labels, 100, 0))).toEqual(Array.from(sub));
  });
});

describe('centred training', () => {
  // Oracle: gradient descent on the model linearised at θ₀ with f₀ removed evolves in function
  // space as f_{t+1} = f_t − (η/n) Θ̂₀ (f_t − y), f_0 = 0. A wide network stays close to it.
  it('follows the linearised zero-start dynamics of its initial kernel at large width', () => {
    const { X, y } = problem(24, 11);
    const Xs = { ...X, data: X.data.map((v) => v * Math.sqrt(X.cols)) }; // norm √d: the lazy convention
    const o = {
      ...base,
      width: 16384,
      seed: 5,
      epochs: 30,
      center: true,
      tracked: Int32Array.from({ length: 24 }, (_, i) => i),
      trackEvery: 30,
    };
    const r = trainTwoLayer({ X: Xs, y, Xeval: Xs, yeval: y }, o);
    expect(r.history[0].trainLoss).toBeCloseTo(0.5, 6); // centred outputs start at 0 (to float32 round-off): L = mean(y²)/2
    const theta0 = empiricalNtkTwoLayer(initMlp(twoLayerSpec(X.cols, 16384, o), 5), Xs);
    const n = y.length;
    let f = new Float64Array(n);
    for (let t = 0; t < 30; t++) {
      const next = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let g = 0;
        for (let j = 0; j < n; j++) g += theta0.data[i * n + j] * (f[j] - y[j]);
        next[i] = f[i] - (r.lr / n) * g;
      }
      f = next;
    }
    const fc = r.evalPredictions!;
    let err = 0,
      norm = 0;
    for (let i = 0; i < n; i++) {
      err += (fc[i] - f[i]) ** 2;
      norm += f[i] ** 2;
    }
    expect(Math.sqrt(err / norm)).toBeLessThan(0.03);
    // without centring the network carries its random initial function along
    const u = trainTwoLayer({ X: Xs, y, Xeval: Xs, yeval: y }, { ...o, center: false });
    let errU = 0;
    for (let i = 0; i < n; i++) errU += (u.evalPredictions![i] - f[i]) ** 2;
    expect(Math.sqrt(errU / norm)).toBeGreaterThan(3 * Math.sqrt(err / norm));
  });

  it('is refused with the logistic loss', () => {
    const { X, y } = problem(20, 1);
    const tracked = Int32Array.from({ length: 20 }, (_, i) => i); // base tracks 40 rows; this problem has 20
    expect(() => trainTwoLayer({ X, y }, { ...base, tracked, width: 16, seed: 0, loss: 'bce', center: true })).toThrowError(
      /center works with loss mse only/,
    );
  });
});
