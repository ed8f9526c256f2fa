/**
 * The K-output passes (two-layer-gd-multi.ts) against three oracles: @tangent/nn's forward and
 * backward, central finite differences of the float64 reference loss (two-layer-f64-reference.ts),
 * and nn's full-batch gradient descent for whole training runs (trainTwoLayer with K outputs).
 */
import { describe, expect, it } from 'vitest';
import { mat32, rng, type Mat32 } from '@tangent/linalg';
import { backward, fit, forward, initMlp, mse } from '@tangent/nn';
import { oneVsRestTargets } from './multiclass.ts';
import { trainOptions, trainTwoLayer, twoLayerSpec } from './train-two-layer.ts';
import { gradientFd } from './two-layer-f64-reference.ts';
import { TwoLayerGdMulti } from './two-layer-gd-multi.ts';

const sphere = (n: number, d: number, seed: number): Mat32 => {
  const X = mat32(n, d, rng(seed).fillNormal(new Float32Array(n * d)));
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += X.data[i * d + j] ** 2;
    for (let j = 0; j < d; j++) X.data[i * d + j] *= Math.sqrt(d / s);
  }
  return X;
};
/** Three classes by the angle of (x_1, x_2). */
const classesOf = (X: Mat32) =>
  Int8Array.from({ length: X.rows }, (_, i) => {
    const a = Math.atan2(X.data[i * X.cols + 1], X.data[i * X.cols]);
    return a < -Math.PI / 3 ? 0 : a < Math.PI / 3 ? 1 : 2;
  });
const relNorm = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let num = 0,
    den = 0;
  for (let i = 0; i < a.length; i++) ((num += (a[i] - b[i]) ** 2), (den += b[i] ** 2));
  return Math.sqrt(num / den);
};

const variants = [
  { parameterization: 'ntk', bias: false, activation: 'relu' },
  { parameterization: 'ntk', bias: true, activation: 'relu' },
  { parameterization: 'standard', bias: true, activation: 'relu' },
  { parameterization: 'mup', bias: true, activation: 'relu' },
  { parameterization: 'ntk', bias: false, activation: 'erf' },
  { parameterization: 'ntk', bias: true, activation: 'erf' },
] as const;

describe('TwoLayerGdMulti (K outputs)', () => {
  for (const v of variants)
    for (const K of [3, 10])
      it(`= nn forward/backward, and ∂L/∂θ = finite differences of the float64 loss (${v.activation}, ${v.parameterization}, bias ${v.bias}, K = ${K})`, () => {
        const N = 23,
          d = 5,
          m = 9;
        const X = sphere(N, d, 1);
        const Y = Float32Array.from({ length: N * K }, (_, i) => Math.sin(i)); // any targets: the gradient is linear in them
        const net = initMlp({ ...twoLayerSpec(d, m, { ...v, sigmaB: 0.7 }, K), biasInit: 'normal' }, 4);
        const gd = new TwoLayerGdMulti(net);
        const capture = { rows: Int32Array.of(20, 3), into: new Float32Array(2 * m) };
        const f = gd.forward(X, new Float32Array(N * K), true, capture);
        const ref = forward(net, X);
        expect(relNorm(f, ref.out.data)).toBeLessThan(1e-6);
        // the captured rows' pre-activations a1 W1 x (without the bias), in the order asked
        const L1 = net.layers[0];
        for (const [p, r] of [20, 3].entries())
          for (let k = 0; k < m; k++) {
            let u = 0;
            for (let j = 0; j < d; j++) u += L1.W.data[k * d + j] * X.data[r * d + j];
            expect(capture.into[p * m + k]).toBeCloseTo(L1.wScale * u, 5);
          }
        const { dPred } = mse({ rows: N, cols: K, data: f }, Y);
        const g = gd.backward(X, dPred.data, new Float32Array(net.params.length));
        expect(relNorm(g, backward(net, ref.cache, dPred))).toBeLessThan(1e-5);
        expect(relNorm(g, gradientFd(net, X, Y))).toBeLessThan(1e-5);
        // a non-kept pass in between leaves the kept buffers to backward(); a second backward needs a new pass
        gd.forward(X, new Float32Array(N * K), true);
        gd.forward(sphere(4, d, 9), new Float32Array(4 * K));
        expect(relNorm(gd.backward(X, dPred.data, new Float32Array(net.params.length)), g)).toBe(0);
        expect(() => gd.backward(X, dPred.data, new Float32Array(net.params.length))).toThrow(/call forward\(X, out, true\)/);
      });

  it('refuses a wrong output buffer with one line', () => {
    const gd = new TwoLayerGdMulti(initMlp(twoLayerSpec(5, 4, { parameterization: 'ntk', bias: false, sigmaB: 1 }, 3), 0));
    expect(() => gd.forward(sphere(6, 5, 1), new Float32Array(6))).toThrow(/6 entries for 6 rows × 3 outputs/);
  });
});

describe('trainTwoLayer with K outputs', () => {
  const X = sphere(60, 6, 2),
    Xe = sphere(20, 6, 3);
  const t = classesOf(X),
    te = classesOf(Xe);
  const Y = oneVsRestTargets(t, 3),
    Ye = oneVsRestTargets(te, 3);

  it('full-batch GD = nn.fit on the same targets, step for step (uncentred and centred: y + f₀)', () => {
    for (const center of [false, true]) {
      const o = trainOptions({ width: 16, seed: 5, epochs: 6, center, trackFull: false, precision: 'float64' });
      const r = trainTwoLayer({ X, y: Y, outputs: 3 }, o);
      const net = initMlp(twoLayerSpec(6, 16, o, 3), 5);
      const f0 = forward(net, X).out.data;
      const target = center ? Y.map((v, i) => v + f0[i]) : Y;
      const losses = fit(net, X, target, { loss: 'mse', lr: r.lr, epochs: 6 }).map((e) => e.loss);
      expect(relNorm(r.network.params, net.params)).toBeLessThan(1e-5);
      // the history's loss at epoch t is nn's loss before step t+1
      r.history.slice(0, 6).forEach((h, i) => expect(h.trainLoss).toBeCloseTo(losses[i], 5));
      expect(r.history[0].trainLoss).toBeCloseTo(center ? 1.5 : losses[0], 6); // centred: ‖y_i‖² = K = 3 (float32 y + f₀)
    }
  });

  it('scores are the argmax class: accuracy and macro-F1 per epoch, per-class recall at the end', () => {
    const r = trainTwoLayer(
      { X, y: Y, Xeval: Xe, yeval: Ye, outputs: 3 },
      trainOptions({ width: 256, seed: 1, epochs: 30, trackFull: false, precision: 'float32' }),
    );
    expect(r.outputs).toBe(3);
    expect(r.evalPredictions!.length).toBe(20 * 3);
    const pred = Array.from({ length: 20 }, (_, i) => {
      const row = Array.from(r.evalPredictions!.subarray(3 * i, 3 * i + 3));
      return row.indexOf(Math.max(...row));
    });
    const acc = pred.filter((p, i) => p === te[i]).length / 20;
    expect(r.final.evalAccuracy).toBeCloseTo(acc, 12);
    expect(r.classes!.eval!.accuracy).toBeCloseTo(acc, 12);
    // brute-force per-class recall and F1
    const f1s: number[] = [];
    for (let c = 0; c < 3; c++) {
      const tp = pred.filter((p, i) => p === c && te[i] === c).length;
      const pos = Array.from(te).filter((v) => v === c).length,
        predicted = pred.filter((p) => p === c).length;
      expect(r.classes!.eval!.perClassRecall[c]).toBeCloseTo(tp / pos, 12);
      f1s.push((2 * tp) / (pos + predicted));
    }
    expect(r.final.evalF1).toBeCloseTo((f1s[0] + f1s[1] + f1s[2]) / 3, 12);
    expect(r.classes!.train.accuracy).toBe(r.final.trainAccuracy);
    expect(r.final.trainAccuracy).toBeGreaterThan(0.8); // it learns the three sectors
  });

  it('refuses the logistic loss with K outputs and a target array of the wrong shape, one line each', () => {
    const o = trainOptions({ width: 8, seed: 0, epochs: 1 });
    expect(() => trainTwoLayer({ X, y: Y, outputs: 3 }, { ...o, loss: 'bce' })).toThrow(/train\.loss 'bce'.*set train\.loss: mse/);
    expect(() => trainTwoLayer({ X, y: Y, outputs: 4 }, o)).toThrow(/180 targets for 60 rows × 4 outputs/);
  });
});
