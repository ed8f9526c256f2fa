import { describe, expect, it } from 'vitest';
import { mat32, rng } from '@tangent/linalg';
import { forward } from './backprop.ts';
import { mse } from './losses.ts';
import { cloneMlp, initMlp } from './mlp.ts';
import { DivergenceError, fit } from './optimize.ts';

const spec = { sizes: [3, 32, 1], activation: 'tanh' as const, parameterization: 'ntk' as const, bias: true };
const r = rng(1);
const X = mat32(40, 3, r.fillNormal(new Float32Array(120)));
const y = Float32Array.from({ length: 40 }, (_, i) => Math.sin(X.data[3 * i]) + 0.5 * X.data[3 * i + 1]);

describe('fit', () => {
  it('full-batch GD decreases the mse monotonically at a small step', () => {
    const net = initMlp(spec, 2);
    const h = fit(net, X, y, { loss: 'mse', lr: 0.5, epochs: 50 });
    for (let i = 1; i < h.length; i++) expect(h[i].loss).toBeLessThanOrEqual(h[i - 1].loss + 1e-7);
    expect(mse(forward(net, X).out, y).loss).toBeLessThan(0.3 * h[0].loss);
  });

  it('one GD step equals θ − η∇L by hand (first-order decrease matches ‖∇L‖²)', () => {
    const net = initMlp(spec, 3);
    const before = cloneMlp(net);
    const h = fit(net, X, y, { loss: 'mse', lr: 1e-3, epochs: 1 });
    const after = mse(forward(net, X).out, y).loss;
    let g2 = 0;
    for (let i = 0; i < net.params.length; i++) g2 += ((before.params[i] - net.params[i]) / 1e-3) ** 2;
    expect((h[0].loss - after) / (1e-3 * g2)).toBeCloseTo(1, 2);
  });

  it('seeded mini-batch SGD is reproducible and seed-dependent', () => {
    const a = initMlp(spec, 4),
      b = initMlp(spec, 4),
      c = initMlp(spec, 4);
    fit(a, X, y, { loss: 'mse', lr: 0.2, epochs: 3, batchSize: 8, seed: 9 });
    fit(b, X, y, { loss: 'mse', lr: 0.2, epochs: 3, batchSize: 8, seed: 9 });
    fit(c, X, y, { loss: 'mse', lr: 0.2, epochs: 3, batchSize: 8, seed: 10 });
    expect(Array.from(a.params)).toEqual(Array.from(b.params));
    expect(Array.from(a.params)).not.toEqual(Array.from(c.params));
  });

  it('stops a diverging run with the learning rate to try', () => {
    const net = initMlp({ ...spec, activation: 'relu' }, 5);
    expect(() => fit(net, X, y, { loss: 'mse', lr: 500, epochs: 100 })).toThrowError(DivergenceError);
    const net2 = initMlp({ ...spec, activation: 'relu' }, 5);
    expect(() => fit(net2, X, y, { loss: 'mse', lr: 500, epochs: 100 })).toThrowError(
      /training diverged at epoch \d+ .* learning rate 500; try 125 or lower/,
    );
  });

  it('bce refuses ±1 labels with the mapping to use', () => {
    const net = initMlp({ ...spec }, 6);
    expect(() =>
      fit(
        net,
        X,
        Float32Array.from({ length: 40 }, (_, i) => (i % 2 ? 1 : -1)),
        { loss: 'bce', lr: 0.1, epochs: 1 },
      ),
    ).toThrowError(/t = \(y \+ 1\) \/ 2/);
  });
});
