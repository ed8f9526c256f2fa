import { describe, expect, it } from 'vitest';
import { mat32, rng, type Mat32 } from '@tangent/linalg';
import { backward, forward } from './backprop.ts';
import { binaryCrossEntropy, mse, softmaxCrossEntropy } from './losses.ts';
import { initMlp, type MlpSpec, type Mlp } from './mlp.ts';
import { tfjsMirror } from './tfjs-mirror.ts';

function randomX(n: number, d: number, seed: number): Mat32 {
  return mat32(n, d, rng(seed).fillNormal(new Float32Array(n * d)));
}

function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0,
    den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

/** Independent float64 forward pass with plain loops (the finite-difference oracle). */
function forward64(mlp: Mlp, theta: Float64Array, X: Mat32): Float64Array[] {
  const s = mlp.spec;
  const out: Float64Array[] = [];
  for (let i = 0; i < X.rows; i++) {
    let h = Float64Array.from(X.data.subarray(i * X.cols, (i + 1) * X.cols));
    mlp.layers.forEach((L, l) => {
      const z = new Float64Array(L.fanOut);
      const last = l === mlp.layers.length - 1;
      const a =
        s.parameterization === 'standard' ? 1 : s.parameterization === 'mup' && last ? s.sigmaW / L.fanIn : s.sigmaW / Math.sqrt(L.fanIn);
      const c = s.parameterization === 'standard' ? 1 : s.sigmaB;
      for (let u = 0; u < L.fanOut; u++) {
        let acc = 0;
        for (let j = 0; j < L.fanIn; j++) acc += theta[L.wOffset + u * L.fanIn + j] * h[j];
        z[u] = a * acc + (s.bias ? c * theta[L.bOffset + u] : 0);
        if (l < mlp.layers.length - 1) {
          const v = z[u];
          z[u] =
            s.activation === 'relu'
              ? Math.max(v, 0)
              : s.activation === 'tanh'
                ? Math.tanh(v)
                : s.activation === 'sigmoid'
                  ? 1 / (1 + Math.exp(-v))
                  : v;
        }
      }
      h = z;
    });
    out.push(h);
  }
  return out;
}

const specs: Array<[string, MlpSpec]> = [
  [
    'tanh ntk bias σ',
    { sizes: [5, 7, 6, 3], activation: 'tanh', parameterization: 'ntk', bias: true, sigmaW: 1.3, sigmaB: 0.4, biasInit: 'normal' },
  ],
  ['relu standard', { sizes: [4, 9, 2], activation: 'relu', parameterization: 'standard', bias: true, biasInit: 'normal' }],
  ['relu mup (mean-field readout)', { sizes: [4, 9, 1], activation: 'relu', parameterization: 'mup', bias: false }],
  [
    'tanh mup bias σ, deep',
    { sizes: [3, 8, 5, 2], activation: 'tanh', parameterization: 'mup', bias: true, sigmaW: 1.2, sigmaB: 0.5, biasInit: 'normal' },
  ],
  ['sigmoid ntk no bias, deep', { sizes: [3, 6, 5, 4, 1], activation: 'sigmoid', parameterization: 'ntk', bias: false }],
];

describe('backward vs tfjs autodiff', () => {
  for (const [name, spec] of specs) {
    it(`mse gradient matches tf.variableGrads (${name})`, async () => {
      const net = initMlp(spec, 11);
      const X = randomX(8, spec.sizes[0], 12);
      const K = spec.sizes[spec.sizes.length - 1];
      const y = rng(13).fillNormal(new Float32Array(8 * K));
      const { out, cache } = forward(net, X);
      const { loss, dPred } = mse(out, y);
      const g = backward(net, cache, dPred);
      const m = await tfjsMirror(net);
      const { tf } = m;
      const xt = tf.tensor2d(Array.from(X.data), [X.rows, X.cols]);
      const yt = tf.tensor2d(Array.from(y), [8, K]);
      const { value, grads } = tf.variableGrads(() => tf.div(tf.sum(tf.square(tf.sub(m.model(xt), yt))), 2 * 8) as never, m.params);
      expect(loss).toBeCloseTo(value.dataSync()[0], 4);
      const ref = new Float32Array(net.params.length);
      let off = 0;
      for (const p of m.params) {
        ref.set(grads[p.name].dataSync(), off);
        off += p.size;
      }
      expect(maxRelErr(g, ref)).toBeLessThan(1e-5);
      m.dispose();
    });
  }

  it('softmax and binary cross-entropy gradients match tfjs', async () => {
    const net = initMlp({ sizes: [4, 8, 3], activation: 'relu', parameterization: 'ntk', bias: true, biasInit: 'normal' }, 5);
    const X = randomX(10, 4, 6);
    const labels = Array.from({ length: 10 }, (_, i) => i % 3);
    const { out, cache } = forward(net, X);
    const ce = softmaxCrossEntropy(out, labels);
    const g = backward(net, cache, ce.dPred);
    const m = await tfjsMirror(net);
    const { tf } = m;
    const xt = tf.tensor2d(Array.from(X.data), [10, 4]);
    const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), 3);
    const r = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(onehot, m.model(xt)) as never, m.params);
    expect(ce.loss).toBeCloseTo(r.value.dataSync()[0], 5);
    const ref = m.params.flatMap((p) => Array.from(r.grads[p.name].dataSync()));
    expect(maxRelErr(g, ref)).toBeLessThan(1e-5);
    m.dispose();

    const net1 = initMlp({ sizes: [4, 8, 1], activation: 'tanh', parameterization: 'ntk', bias: true }, 7);
    const t = Array.from({ length: 10 }, (_, i) => i % 2);
    const f1 = forward(net1, X);
    const bce = binaryCrossEntropy(f1.out, t);
    const g1 = backward(net1, f1.cache, bce.dPred);
    const m1 = await tfjsMirror(net1);
    const r1 = m1.tf.variableGrads(() => m1.tf.losses.sigmoidCrossEntropy(m1.tf.tensor2d(t, [10, 1]), m1.model(xt)) as never, m1.params);
    expect(bce.loss).toBeCloseTo(r1.value.dataSync()[0], 5);
    expect(
      maxRelErr(
        g1,
        m1.params.flatMap((p) => Array.from(r1.grads[p.name].dataSync())),
      ),
    ).toBeLessThan(1e-5);
    m1.dispose();
  });
});

describe('backward vs central finite differences (float64 oracle)', () => {
  for (const [name, spec] of specs) {
    it(`every parameter's gradient (${name})`, () => {
      const net = initMlp(spec, 21);
      const X = randomX(6, spec.sizes[0], 22);
      const K = spec.sizes[spec.sizes.length - 1];
      const y = rng(23).fillNormal(new Float32Array(6 * K));
      const { out, cache } = forward(net, X);
      const g = backward(net, cache, mse(out, y).dPred);
      const theta = Float64Array.from(net.params);
      const L64 = (t: Float64Array) => {
        const f = forward64(net, t, X);
        let s = 0;
        f.forEach((fi, i) => fi.forEach((v, o) => (s += (v - y[i * K + o]) ** 2)));
        return s / (2 * X.rows);
      };
      const fd = new Float64Array(theta.length);
      const h = 1e-6;
      for (let p = 0; p < theta.length; p++) {
        const t0 = theta[p];
        theta[p] = t0 + h;
        const lp = L64(theta);
        theta[p] = t0 - h;
        const lm = L64(theta);
        theta[p] = t0;
        fd[p] = (lp - lm) / (2 * h); // central difference, O(h²) truncation
      }
      expect(maxRelErr(g, fd)).toBeLessThan(2e-4);
      // and the float32 forward agrees with the float64 one
      const f64 = forward64(net, theta, X);
      expect(
        maxRelErr(
          out.data,
          f64.flatMap((r) => Array.from(r)),
        ),
      ).toBeLessThan(1e-5);
    });
  }
});

describe('input checks', () => {
  it('rejects a wrong input width with one clear message', () => {
    const net = initMlp({ sizes: [3, 4, 1], activation: 'relu', parameterization: 'ntk', bias: false }, 0);
    expect(() => forward(net, mat32(2, 5))).toThrowError(/X: has 5 columns but the network's input width is 3/);
    expect(() => initMlp({ sizes: [3], activation: 'relu', parameterization: 'ntk', bias: false }, 0)).toThrowError(
      /at least input and output/,
    );
  });
});
