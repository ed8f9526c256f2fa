import { describe, expect, it } from 'vitest';
import { mat32, rng } from '@tangent/linalg';
import { backward, forward } from './backprop.ts';
import { initMlp } from './mlp.ts';

// backward(…, grad) promises to overwrite a caller's buffer: training loops reuse one, so any entry that is
// accumulated instead of written (a bias sum that starts from the old value) would leak the previous step.
describe('backward into a reused gradient buffer', () => {
  for (const parameterization of ['ntk', 'standard', 'mup'] as const)
    it(`overwrites every entry, weights and biases (${parameterization})`, () => {
      const net = initMlp({ sizes: [4, 6, 5, 2], activation: 'tanh', parameterization, bias: true, sigmaB: 0.5 }, 3);
      rng(4).fillNormal(net.layers[0].b!);
      const X = mat32(7, 4, rng(5).fillNormal(new Float32Array(28)));
      const dOut = mat32(7, 2, rng(6).fillNormal(new Float32Array(14)));
      const { cache } = forward(net, X);
      const fresh = backward(net, cache, dOut);
      const dirty = new Float32Array(net.params.length).fill(7);
      const reused = backward(net, cache, dOut, dirty);
      expect(reused).toBe(dirty);
      expect(Array.from(reused)).toEqual(Array.from(fresh));
      expect(fresh.some((v) => v !== 0)).toBe(true);
    });
});
