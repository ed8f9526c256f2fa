import { describe, expect, it } from 'vitest';
import { eigh, gemm, mat32, mat64, rng, type Mat32, type Mat64 } from '@tangent/linalg';
import { ntkGram } from '@tangent/kernels';
import { kernelLossDeviation, linearisedLossCurves, maxRelativeDeviation } from './linearised-dynamics.ts';
import { oneVsRestTargets } from './multiclass.ts';
import { trainOptions, trainTwoLayer } from './train-two-layer.ts';

/** A random PSD kernel A Aᵀ/k over n + ne rows: the train block and the eval–train block. */
function kernels(n: number, ne: number, seed: number): { K: Mat64; Kx: Mat64 } {
  const r = rng(seed),
    k = 12;
  const A = mat64(n + ne, k, r.fillNormal(new Float64Array((n + ne) * k)));
  const G = gemm(A, A, { transB: true, alpha: 1 / k });
  const K = mat64(n, n),
    Kx = mat64(ne, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) K.data[i * n + j] = G.data[i * (n + ne) + j];
  for (let i = 0; i < ne; i++) for (let j = 0; j < n; j++) Kx.data[i * n + j] = G.data[(n + i) * (n + ne) + j];
  return { K, Kx };
}

describe('linearisedLossCurves', () => {
  it('equals the eigendecomposition closed form f_t − y = V(1 − ηλ/n)^t Vᵀ(f₀ − y), eval rows through Θ(X_eval, X)', () => {
    const n = 30,
      ne = 10,
      T = 40;
    const { K, Kx } = kernels(n, ne, 3);
    const r = rng(4);
    const y = Float64Array.from({ length: n }, () => (r.uniform() > 0.5 ? 1 : -1));
    const ye = Float64Array.from({ length: ne }, () => (r.uniform() > 0.5 ? 1 : -1));
    const { values: lam, vectors: V } = eigh(mat64(n, n, K.data.slice()));
    const eta = (1.5 * n) / Math.max(...lam); // c = 1.5: oscillating modes are covered too
    // only the lower triangle may be read: poison the strict upper one
    const Klow = mat64(n, n, K.data.slice());
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) Klow.data[i * n + j] = NaN;
    const c = linearisedLossCurves(Klow, y, eta, T, { Kx, y: ye });
    const vty = Array.from({ length: n }, (_, k) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += V.data[i * n + k] * y[i];
      return s;
    });
    for (const t of [0, 1, 7, T]) {
      // train: ‖f_t − y‖² = Σ_k (1 − ηλ_k/n)^{2t} (v_kᵀy)²
      let s = 0;
      for (let k = 0; k < n; k++) s += (1 - (eta * lam[k]) / n) ** (2 * t) * vty[k] ** 2;
      expect(c.train[t]).toBeCloseTo(s / (2 * n), 12);
      // eval: f_eval,t = Θ_x V diag((1 − (1 − ηλ/n)^t)/λ) Vᵀ y
      const coef = vty.map((v, k) => ((1 - (1 - (eta * lam[k]) / n) ** t) / lam[k]) * v);
      let se = 0;
      for (let i = 0; i < ne; i++) {
        let f = 0;
        for (let j = 0; j < n; j++) {
          let a = 0;
          for (let k = 0; k < n; k++) a += V.data[j * n + k] * coef[k];
          f += Kx.data[i * n + j] * a;
        }
        se += (f - ye[i]) ** 2;
      }
      expect(c.eval![t]).toBeCloseTo(se / (2 * ne), 10);
    }
    expect(c.train[0]).toBe(0.5); // f₀ = 0 on ±1 labels
  });

  it('diverges above η = 2n/λ_max and converges below it', () => {
    const n = 20;
    const { K } = kernels(n, 1, 5);
    const lmax = Math.max(...eigh(mat64(n, n, K.data.slice())).values);
    const y = Float64Array.from({ length: n }, (_, i) => (i % 2 ? 1 : -1));
    const below = linearisedLossCurves(K, y, (1.9 * n) / lmax, 400);
    const above = linearisedLossCurves(K, y, (2.1 * n) / lmax, 400);
    expect(below.train[400]).toBeLessThan(below.train[0]);
    expect(above.train[400]).toBeGreaterThan(1e6 * above.train[0]);
  });

  it('K outputs under Θ ⊗ I_K: the loss is the sum of the K one-output curves (lower triangle read, eval rows too)', () => {
    const n = 25,
      ne = 8,
      K = 4,
      T = 30;
    const { K: Th, Kx } = kernels(n, ne, 6);
    const r = rng(7);
    const Y = Float64Array.from({ length: n * K }, () => r.normal()),
      Ye = Float64Array.from({ length: ne * K }, () => r.normal());
    const eta = (1.2 * n) / Math.max(...eigh(mat64(n, n, Th.data.slice())).values);
    const col = (A: Float64Array, rows: number, k: number) => Float64Array.from({ length: rows }, (_, i) => A[i * K + k]);
    const single = Array.from({ length: K }, (_, k) => linearisedLossCurves(Th, col(Y, n, k), eta, T, { Kx, y: col(Ye, ne, k) }));
    const Klow = mat64(n, n, Th.data.slice());
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) Klow.data[i * n + j] = NaN;
    const c = linearisedLossCurves(Klow, Y, eta, T, { Kx, y: Ye }, K);
    for (let t = 0; t <= T; t++) {
      expect(c.train[t]).toBeCloseTo(
        single.reduce((a, s) => a + s.train[t], 0),
        12,
      );
      expect(c.eval![t]).toBeCloseTo(
        single.reduce((a, s) => a + s.eval![t], 0),
        12,
      );
    }
    expect(() => linearisedLossCurves(Th, Y, eta, T, undefined, 3)).toThrow(/100 targets of 3 output\(s\)/);
  });

  it('maxRelativeDeviation takes the worst epoch over both curves', () => {
    const pred = { train: Float64Array.of(1, 0.5, 0.25), eval: Float64Array.of(1, 0.8, 0.7) };
    const actual = [
      { epoch: 0, trainLoss: 1, evalLoss: 1 },
      { epoch: 1, trainLoss: 0.4, evalLoss: 0.8 },
      { epoch: 2, trainLoss: 0.25, evalLoss: 1.4 },
    ];
    expect(maxRelativeDeviation(pred, actual)).toBeCloseTo(0.5, 12); // |0.7 − 1.4| / 1.4
  });
});

/** Unit-norm rows in R^8 with labels sign(x_1 + 2x_2² − 0.1). */
function problem(n: number, seed: number): { X: Mat32; y: Float32Array } {
  const r = rng(seed),
    d = 8;
  const X = mat32(n, d, r.fillNormal(new Float32Array(n * d)));
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += X.data[i * d + j] ** 2;
    for (let j = 0; j < d; j++) X.data[i * d + j] *= Math.sqrt(d / s); // norm √d, as mlp inputScale sqrt_d
    y[i] = X.data[i * d] + 2 * X.data[i * d + 1] ** 2 - 0.1 > 0 ? 1 : -1;
  }
  return { X, y };
}

describe('predicted vs actual training of the network', () => {
  const tr = problem(80, 1),
    ev = problem(40, 2);
  const run = (width: number, lrScale: number) =>
    trainTwoLayer(
      { X: tr.X, y: tr.y, Xeval: ev.X, yeval: ev.y },
      trainOptions({
        width,
        seed: 0,
        lrScale,
        epochs: 40,
        trackEvery: 10,
        trackFull: false,
        precision: 'float64',
        maxKernelBytes: 2 ** 30,
        analytical: (X, Z) => ntkGram(X, Z, { depth: 2, sigmaW: 1, sigmaB: 0 }),
        dynamics: true,
      }),
    );

  it('a wide net at a small learning rate follows its Θ̂₀ prediction; the deviations shrink with width', () => {
    const narrow = run(32, 0.5).dynamics!,
      wide = run(4096, 0.5).dynamics!;
    expect(wide.maxRelDevEmpirical!).toBeLessThan(0.02);
    expect(wide.maxRelDevEmpirical!).toBeLessThan(narrow.maxRelDevEmpirical! / 4);
    expect(wide.maxRelDevAnalytic!).toBeLessThan(narrow.maxRelDevAnalytic!);
    // the predicted curves are stored per epoch, and start at the centred loss 1/2
    expect(wide.empirical!.train.length).toBe(41);
    expect(wide.analytic!.eval![0]).toBe(0.5);
  });

  it('K = 3 outputs (one-vs-rest ±1 targets): the wide net follows Θ̂_tr,0 ⊗ I and Θ ⊗ I, closer than the narrow one', () => {
    const classes = (p: { X: Mat32 }) =>
      Array.from({ length: p.X.rows }, (_, i) => (p.X.data[i * 8] > 0.5 ? 0 : p.X.data[i * 8 + 1] > 0 ? 1 : 2));
    const Y = oneVsRestTargets(classes(tr), 3),
      Ye = oneVsRestTargets(classes(ev), 3);
    const runK = (width: number) =>
      trainTwoLayer(
        { X: tr.X, y: Y, Xeval: ev.X, yeval: Ye, outputs: 3 },
        trainOptions({
          width,
          seed: 0,
          lrScale: 0.5,
          epochs: 40,
          trackFull: false,
          precision: 'float64',
          maxKernelBytes: 2 ** 30,
          analytical: (X, Z) => ntkGram(X, Z, { depth: 2, sigmaW: 1, sigmaB: 0 }),
          dynamics: true,
        }),
      ).dynamics!;
    const narrow = runK(32),
      wide = runK(4096);
    expect(wide.empirical!.train[0]).toBeCloseTo(1.5, 12); // centred: ‖y_i‖² = K = 3
    expect(wide.maxRelDevEmpirical!).toBeLessThan(0.02);
    expect(wide.maxRelDevEmpirical!).toBeLessThan(narrow.maxRelDevEmpirical! / 4);
    expect(wide.maxRelDevAnalytic!).toBeLessThan(0.03);
    expect(wide.maxRelDevAnalytic!).toBeLessThan(narrow.maxRelDevAnalytic! / 4);
  });

  it('the baseline: the NNGP (a wrong kernel: W1 frozen) computed the same way deviates far more than Θ̂₀ and Θ', () => {
    const r = run(4096, 0.5);
    const nngp = (X: Mat32, Z?: Mat32) => ntkGram(X, Z, { depth: 2, sigmaW: 1, sigmaB: 0, kind: 'nngp' });
    const ntk = (X: Mat32, Z?: Mat32) => ntkGram(X, Z, { depth: 2, sigmaW: 1, sigmaB: 0 });
    const data = { X: tr.X, y: tr.y, Xeval: ev.X, yeval: ev.y };
    // the same computation with the NTK reproduces the run's own analytical deviation bit for bit
    expect(kernelLossDeviation(ntk, data, r.lr, 40, r.history).maxRelDev).toBe(r.dynamics!.maxRelDevAnalytic);
    const base = kernelLossDeviation(nngp, data, r.lr, 40, r.history);
    expect(base.curves.train[0]).toBe(0.5);
    expect(base.maxRelDev).toBeGreaterThan(10 * r.dynamics!.maxRelDevEmpirical!);
    expect(base.maxRelDev).toBeGreaterThan(2 * r.dynamics!.maxRelDevAnalytic!);
  });
});
