/**
 * The fused fast paths against their straightforward oracles: TwoLayerGd against nn's
 * forward/backward, TwoLayerKernel against empiricalNtkTwoLayer + kernel-stats (λ_max against eigh;
 * Lanczos itself is tested in @tangent/linalg), and the whole trainTwoLayer against the old
 * implementation (train-two-layer-reference.ts).
 */
import { describe, expect, it } from 'vitest';
import { eigh, mat32, mat64, rng, type Mat32 } from '@tangent/linalg';
import { backward, forward, initMlp, mse } from '@tangent/nn';
import { empiricalNtkTwoLayer } from './empirical-ntk-two-layer.ts';
import { kernelTargetAlignment, relativeFrobeniusDistance } from './kernel-stats.ts';
import { TwoLayerGd } from './two-layer-gd.ts';
import { TwoLayerKernel } from './two-layer-kernel.ts';
import { trainOptions, trainTwoLayer, twoLayerSpec, type TrainOptions, type TrainResult } from './train-two-layer.ts';
import { trainTwoLayerReference } from './train-two-layer-reference.ts';

function sphere(n: number, d: number, seed: number, radius = Math.sqrt(d)): Mat32 {
  const X = mat32(n, d, rng(seed).fillNormal(new Float32Array(n * d)));
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += X.data[i * d + j] ** 2;
    for (let j = 0; j < d; j++) X.data[i * d + j] *= radius / Math.sqrt(s);
  }
  return X;
}
const labels = (X: Mat32) =>
  Float32Array.from({ length: X.rows }, (_, i) => (X.data[i * X.cols] + 0.4 * X.data[i * X.cols + 1] ** 2 > 0.3 ? 1 : -1));
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

// erf: the generic φ path (φ, φ' of the kernels' registry, JavaScript) against nn, whose erf φ' is
// recovered from the float32 outputs through erf⁻¹ (another route to the same derivative)
const variants = [
  { parameterization: 'ntk', bias: false, activation: 'relu' },
  { parameterization: 'ntk', bias: true, activation: 'relu' },
  { parameterization: 'standard', bias: true, activation: 'relu' },
  { parameterization: 'mup', bias: false, activation: 'relu' },
  { parameterization: 'mup', bias: true, activation: 'relu' },
  { parameterization: 'ntk', bias: false, activation: 'erf' },
  { parameterization: 'ntk', bias: true, activation: 'erf' },
  { parameterization: 'mup', bias: true, activation: 'erf' },
] as const;

describe('TwoLayerGd (fused passes) = nn forward/backward', () => {
  // widths 24 and 5 take the two sides of the backward product (diag(r) on [X | 1] or on the mask)
  for (const v of variants)
    for (const [simd, width] of [
      [true, 24],
      [false, 24],
      [true, 5],
      [false, 5],
    ] as const)
      it(`${v.activation}, ${v.parameterization}, bias ${v.bias}, width ${width}, ${simd ? 'WebAssembly SIMD' : 'JavaScript'} forward pass`, () => {
        const X = sphere(37, 6, 1),
          y = labels(X);
        const net = initMlp({ ...twoLayerSpec(6, width, { ...v, sigmaB: 0.7 }), biasInit: 'normal' }, 4);
        const gd = new TwoLayerGd(net, { simd });
        // the captured rows' pre-activations a1 W1 x, in the order asked
        const capture = { rows: Int32Array.of(30, 2, 17), into: new Float32Array(3 * width) };
        const f = gd.forward(X, new Float32Array(37), true, capture);
        const L1 = net.layers[0];
        capture.rows.forEach((r, p) => {
          for (let k = 0; k < width; k++) {
            let u = 0;
            for (let j = 0; j < 6; j++) u += X.data[r * 6 + j] * L1.W.data[k * 6 + j];
            expect(capture.into[p * width + k]).toBeCloseTo(L1.wScale * u, 5);
          }
        });
        const ref = forward(net, X);
        for (let i = 0; i < 37; i++) expect(f[i]).toBeCloseTo(ref.out.data[i], 5);
        const { dPred } = mse(ref.out, y);
        const g = gd.backward(X, dPred.data, new Float32Array(net.params.length));
        const gRef = backward(net, ref.cache, dPred);
        let err = 0,
          norm = 0;
        for (let i = 0; i < g.length; i++) ((err += (g[i] - gRef[i]) ** 2), (norm += gRef[i] ** 2));
        expect(Math.sqrt(err / norm)).toBeLessThan(1e-6);
        expect(() => gd.backward(X, dPred.data, new Float32Array(net.params.length))).toThrow(/forward/);
      });
});

describe('TwoLayerKernel = empiricalNtkTwoLayer and the kernel-stats summaries', () => {
  for (const v of variants)
    for (const precision of ['float64', 'float32'] as const)
      it(`${v.activation}, ${v.parameterization}, bias ${v.bias}, ${precision} GEMMs`, () => {
        const X = sphere(50, 7, 2),
          y = labels(X);
        const spec = { ...twoLayerSpec(7, 40, { ...v, sigmaB: 0.5 }), biasInit: 'normal' as const };
        const net0 = initMlp(spec, 1),
          net1 = initMlp(spec, 2);
        const K0 = empiricalNtkTwoLayer(net0, X, undefined, { precision }),
          K1 = empiricalNtkTwoLayer(net1, X, undefined, { precision });
        for (const [cache, simd] of [
          [true, true],
          [false, true],
          [true, false],
        ]) {
          const k = new TwoLayerKernel(X, { precision, cache, keepXz: !cache, simd });
          const s0 = k.update(net0, { y });
          const full0 = k.full();
          expect(relativeFrobeniusDistance(full0, K0)).toBeLessThan(precision === 'float64' ? 1e-14 : 1e-12);
          expect(s0.deltaTheta).toBeNull();
          expect(rel(s0.alignment!, kernelTargetAlignment(K0, y))).toBeLessThan(1e-12);
          const e = eigh(mat64(50, 50, K0.data.slice()));
          expect(rel(s0.lambdaMax, e.values[49])).toBeLessThan(1e-12);
          const ref = k.snapshot(); // in the SIMD workspace where there is one
          const s1 = k.update(net1, { ref, y, consumeXz: !cache });
          expect(rel(s1.deltaTheta!, relativeFrobeniusDistance(K1, K0))).toBeLessThan(1e-10);
          expect(rel(s1.alignment!, kernelTargetAlignment(K1, y))).toBeLessThan(1e-12);
          expect(rel(s1.lambdaMax, eigh(mat64(50, 50, K1.data.slice())).values[49])).toBeLessThan(1e-12);
        }
      });
});

function compare(a: TrainResult, b: TrainResult, tol: number, nRows: { train: number; eval: number }) {
  expect(a.history.length).toBe(b.history.length);
  for (let t = 0; t < a.history.length; t++) {
    const x = a.history[t],
      y = b.history[t];
    for (const k of ['trainLoss', 'evalLoss', 'deltaTheta', 'lambdaMax', 'alignment'] as const) {
      if (y[k] === null) expect(x[k]).toBeNull();
      else if (k === 'deltaTheta' && t === 0) expect(x[k]).toBe(0);
      else expect(rel(x[k]!, y[k]!), `${k} at epoch ${t}`).toBeLessThan(tol);
    }
    expect(Math.abs(x.trainAccuracy - y.trainAccuracy)).toBeLessThanOrEqual(1 / nRows.train + 1e-12);
    if (y.evalAccuracy !== null) expect(Math.abs(x.evalAccuracy! - y.evalAccuracy)).toBeLessThanOrEqual(1 / nRows.eval + 1e-12);
  }
  for (const k of ['lr', 'lambdaMax0', 'kernelInitError', 'deltaThetaFullFinal'] as const) {
    if (b[k] === null) expect(a[k]).toBeNull();
    else expect(rel(a[k] as number, b[k] as number), k).toBeLessThan(tol);
  }
  expect(a.lambdaMaxSource).toBe(b.lambdaMaxSource);
  expect(a.fullKernel).toBe(b.fullKernel);
  expect(a.trackedSize).toBe(b.trackedSize);
}

describe('trainTwoLayer (fast path) = the old implementation (oracle)', () => {
  const X = sphere(160, 12, 3),
    y = labels(X);
  const Xe = sphere(70, 12, 4),
    ye = labels(Xe);
  const base = trainOptions({
    width: 48,
    seed: 2,
    epochs: 25,
    tracked: Int32Array.from({ length: 50 }, (_, i) => 3 * i),
    trackEvery: 4,
    maxKernelBytes: 2 ** 30,
  });
  const cases: Array<[string, Partial<TrainOptions>]> = [
    ['the stage default (centred mse, float32 kernel GEMMs, full kernels)', {}],
    [
      'bias, float64 kernels, no full kernel (λ_max from the scaled subset)',
      { bias: true, center: false, precision: 'float64', trackFull: false },
    ],
    ['standard parameterisation, lr 1.5', { parameterization: 'standard', lrScale: 1.5, width: 16 }],
    ['logistic loss', { loss: 'bce', center: false }],
    ['mini-batch SGD', { batchSize: 32, epochs: 6 }],
    ['erf, the stage default otherwise', { activation: 'erf' }],
    [
      'erf, bias, float64 kernels, no full kernel',
      { activation: 'erf', bias: true, center: false, precision: 'float64', trackFull: false },
    ],
    ['erf, mini-batch SGD', { activation: 'erf', batchSize: 32, epochs: 6 }],
  ];
  for (const [what, o] of cases)
    it(what, () => {
      const opts = { ...base, ...o, analytical: undefined };
      const a = trainTwoLayer({ X, y, Xeval: Xe, yeval: ye }, opts),
        b = trainTwoLayerReference({ X, y, Xeval: Xe, yeval: ye }, opts);
      compare(a, b, 2e-5, { train: 160, eval: 70 });
    });

  it('a submission run (tracked null) still takes λ_max from the full kernel but skips the final one', () => {
    const opts = { ...base, tracked: null, epochs: 5 };
    const a = trainTwoLayer({ X, y, Xtest: Xe }, opts),
      b = trainTwoLayerReference({ X, y, Xtest: Xe }, opts);
    expect(a.lambdaMaxSource).toBe('full');
    expect(rel(a.lambdaMax0, b.lambdaMax0)).toBeLessThan(1e-7);
    expect(a.deltaThetaFullFinal).toBeNull();
    expect(b.deltaThetaFullFinal).not.toBeNull(); // the old code computed it for nothing
    for (let i = 0; i < Xe.rows; i++) expect(a.testPredictions![i]).toBeCloseTo(b.testPredictions![i], 4);
  });
});
