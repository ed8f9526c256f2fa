import { describe, expect, it } from 'vitest';
import { ACTIVATIONS } from '@tangent/kernels';
import { mat32, rng } from '@tangent/linalg';
import { applyActivation, erfInverse, multiplyByDerivative } from './activations.ts';
import { backward, forward } from './backprop.ts';
import { mse } from './losses.ts';
import { initMlp, type Mlp } from './mlp.ts';
import { tfjsMirror } from './tfjs-mirror.ts';

const { erf } = ACTIVATIONS;

describe('erf activation', () => {
  it('erfInverse inverts the registry erf to 1e-12 (and ±1 ↦ ±∞)', () => {
    for (let z = -5; z <= 5; z += 0.0625)
      expect(Math.abs(erfInverse(erf.phi(z)) - z), `z = ${z}`).toBeLessThan(1e-12 * Math.max(1, Math.exp(z * z)));
    for (const z of [1e-9, -3e-5, 0.01]) expect(erfInverse(erf.phi(z)) / z).toBeCloseTo(1, 12);
    expect(erfInverse(0)).toBe(0);
    expect(erfInverse(1)).toBe(Infinity);
    expect(erfInverse(-1)).toBe(-Infinity);
    expect(erfInverse(1.5)).toBeNaN();
  });

  it("φ from the registry; φ' recovered from the float32 output h within 2|z|·ulp(h) of erf'(z)", () => {
    const z = Float32Array.from({ length: 801 }, (_, i) => -5 + i / 80);
    const h = z.slice();
    applyActivation('erf', h);
    z.forEach((v, i) => expect(h[i]).toBe(Math.fround(erf.phi(v))));
    const g = new Float32Array(z.length).fill(1);
    multiplyByDerivative('erf', g, h);
    z.forEach((v, i) =>
      expect(Math.abs(g[i] - erf.dphi(v)), `z = ${v}`).toBeLessThan(1e-6 * Math.max(erf.dphi(v), 1) + 2 * Math.abs(v) * 1.2e-7),
    );
    // the bulk of the pre-activations (|z| ≤ 2): relative accuracy near float32's
    z.forEach((v, i) => Math.abs(v) <= 2 && expect(Math.abs(g[i] / erf.dphi(v) - 1), `z = ${v}`).toBeLessThan(1e-5));
  });
});

/** L(θ) = 1/(2N) Σ (f − y)² in float64 with the registry's erf (the finite-difference oracle). */
function loss64(net: Mlp, theta: Float64Array, X: Float32Array, y: Float32Array): number {
  const s = net.spec,
    N = y.length / s.sizes[s.sizes.length - 1];
  let L = 0;
  for (let i = 0; i < N; i++) {
    let h = Float64Array.from(X.subarray(i * s.sizes[0], (i + 1) * s.sizes[0]));
    net.layers.forEach((Ly, l) => {
      const z = new Float64Array(Ly.fanOut);
      for (let u = 0; u < Ly.fanOut; u++) {
        let acc = 0;
        for (let j = 0; j < Ly.fanIn; j++) acc += theta[Ly.wOffset + u * Ly.fanIn + j] * h[j];
        z[u] = Ly.wScale * acc + (Ly.b ? Ly.bScale * theta[Ly.bOffset + u] : 0);
        if (l < net.layers.length - 1) z[u] = erf.phi(z[u]);
      }
      h = z;
    });
    h.forEach((f, o) => (L += (f - y[i * h.length + o]) ** 2));
  }
  return L / (2 * N);
}

describe('an erf network: backward = finite differences = tfjs autodiff', () => {
  const net = initMlp(
    { sizes: [4, 7, 5, 2], activation: 'erf', parameterization: 'ntk', bias: true, sigmaW: 1.5, sigmaB: 0.6, biasInit: 'normal' },
    3,
  );
  const X = mat32(9, 4, rng(4).fillNormal(new Float32Array(36)));
  const y = rng(5).fillNormal(new Float32Array(18));
  const { out, cache } = forward(net, X);
  const { loss, dPred } = mse(out, y);
  const g = backward(net, cache, dPred);
  const gNorm = Math.sqrt(g.reduce((a, v) => a + v * v, 0));

  it('every partial derivative against central differences of a float64 forward pass', () => {
    const theta = Float64Array.from(net.params);
    expect(loss64(net, theta, X.data, y)).toBeCloseTo(loss, 5);
    const eps = 1e-5;
    for (let p = 0; p < theta.length; p++) {
      const t = theta.slice();
      t[p] += eps;
      const up = loss64(net, t, X.data, y);
      t[p] -= 2 * eps;
      const fd = (up - loss64(net, t, X.data, y)) / (2 * eps);
      expect(Math.abs(g[p] - fd), `θ[${p}]`).toBeLessThan(2e-6 * gNorm);
    }
  });

  it('the tfjs mirror (tf.erf and its autodiff) agrees', async () => {
    const m = await tfjsMirror(net);
    const { tf } = m;
    const xt = tf.tensor2d(Array.from(X.data), [9, 4]),
      yt = tf.tensor2d(Array.from(y), [9, 2]);
    const { value, grads } = tf.variableGrads(() => tf.div(tf.sum(tf.square(tf.sub(m.model(xt), yt))), 18) as never, m.params);
    expect(value.dataSync()[0]).toBeCloseTo(loss, 4);
    let off = 0,
      err = 0;
    for (const p of m.params) {
      grads[p.name].dataSync().forEach((v, i) => (err = Math.max(err, Math.abs(v - g[off + i]))));
      off += p.size;
    }
    expect(err).toBeLessThan(1e-4 * gNorm); // tfjs's float32 erf is an approximation (~1e-7 absolute)
    m.dispose();
  });
});
