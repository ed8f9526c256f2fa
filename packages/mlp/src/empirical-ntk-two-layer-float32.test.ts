import { describe, expect, it } from 'vitest';
import { mat32, rng, type Mat32 } from '@tangent/linalg';
import { empiricalNtkFromJacobian, initMlp, jacobian } from '@tangent/nn';
import { empiricalNtkTwoLayer } from './empirical-ntk-two-layer.ts';
import { relativeFrobeniusDistance } from './kernel-stats.ts';
import { twoLayerSpec } from './train-two-layer.ts';

const randX = (n: number, d: number, seed: number): Mat32 => mat32(n, d, rng(seed).fillNormal(new Float32Array(n * d)));

// The float32 route of the cross kernel Θ̂(X, Z) (GEMMs in float32), against J_X J_Zᵀ from nn.jacobian: the
// existing tests check float32 only for Z = X, where a slip to the X factors on the Z side cannot show.
describe('two-layer empirical NTK, float32 cross kernel', () => {
  for (const bias of [false, true])
    it(`equals J_X J_Zᵀ for Z ≠ X, square and not (bias ${bias})`, () => {
      const net = initMlp(twoLayerSpec(6, 16, { parameterization: 'ntk', bias, sigmaB: 0.7 }), 11);
      if (bias) {
        rng(12).fillNormal(net.layers[0].b!);
        rng(13).fillNormal(net.layers[1].b!);
      }
      const X = randX(5, 6, 1);
      for (const Z of [randX(5, 6, 2), randX(3, 6, 3)]) {
        const want = empiricalNtkFromJacobian(jacobian(net, X), jacobian(net, Z));
        const got = empiricalNtkTwoLayer(net, X, Z, { precision: 'float32' });
        expect([got.rows, got.cols]).toEqual([5, Z.rows]);
        expect(relativeFrobeniusDistance(got, want)).toBeLessThan(1e-5);
      }
    });
});
