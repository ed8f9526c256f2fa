import { describe, expect, it } from 'vitest';
import { mat32, rng, type Mat32 } from '@tangent/linalg';
import { jacobian } from './jacobian.ts';
import { empiricalNtkFromJacobian, empiricalNtkMlp } from './empirical-ntk.ts';
import { empiricalNtk, jacobianAutodiff } from './empirical-ntk-autodiff.ts';
import { initMlp, type MlpSpec } from './mlp.ts';
import { tfjsMirror } from './tfjs-mirror.ts';

const X = (n: number, d: number, seed: number): Mat32 => mat32(n, d, rng(seed).fillNormal(new Float32Array(n * d)));

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): { err: number; scale: number } {
  let err = 0,
    scale = 0;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return { err, scale };
}

const specs: Array<[string, MlpSpec]> = [
  [
    'relu ntk, 2 outputs, bias',
    { sizes: [4, 7, 5, 2], activation: 'relu', parameterization: 'ntk', bias: true, sigmaW: 1.4, sigmaB: 0.3, biasInit: 'normal' },
  ],
  ['tanh standard, scalar', { sizes: [3, 6, 1], activation: 'tanh', parameterization: 'standard', bias: true, biasInit: 'normal' }],
];

describe('structured Jacobian and empirical NTK', () => {
  for (const [name, spec] of specs) {
    it(`jacobian equals tfjs autodiff rows; Θ̂ structured = J Jᵀ = tfjs route (${name})`, async () => {
      const net = initMlp(spec, 3);
      const x = X(5, spec.sizes[0], 4),
        z = X(3, spec.sizes[0], 5);
      const J = jacobian(net, x);
      const m = await tfjsMirror(net);
      const xt = m.tf.tensor2d(Array.from(x.data), [x.rows, x.cols]);
      const zt = m.tf.tensor2d(Array.from(z.data), [z.rows, z.cols]);
      const Jref = await jacobianAutodiff(m.model, m.params, xt);
      expect([J.rows, J.cols]).toEqual([Jref.rows, Jref.cols]);
      const j = maxAbs(J.data, Jref.data);
      expect(j.err / j.scale).toBeLessThan(1e-5);

      const Jz = jacobian(net, z, { dtype: 'float64' });
      const fromJ = empiricalNtkFromJacobian(J, Jz);
      const structured = empiricalNtkMlp(net, x, z);
      const structured32 = empiricalNtkMlp(net, x, z, { precision: 'float32' });
      const tfRoute = await empiricalNtk(m.model, m.params, xt, zt);
      const K = spec.sizes[spec.sizes.length - 1];
      expect([structured.rows, structured.cols]).toEqual([5 * K, 3 * K]);
      for (const other of [fromJ, tfRoute, structured32]) {
        const e = maxAbs(structured.data, other.data);
        expect(e.err / e.scale).toBeLessThan(1e-5);
      }
      // symmetric case (syrk path) is symmetric and matches J Jᵀ
      const sym = empiricalNtkMlp(net, x);
      const e2 = maxAbs(sym.data, empiricalNtkFromJacobian(J).data);
      expect(e2.err / e2.scale).toBeLessThan(1e-5);
      m.dispose();
    });
  }

  it('refuses a kernel above the memory limit', () => {
    const net = initMlp({ sizes: [2, 3, 1], activation: 'relu', parameterization: 'ntk', bias: false }, 0);
    expect(() => empiricalNtkMlp(net, X(100, 2, 1), undefined, { maxBytes: 1000 })).toThrowError(
      'empirical NTK of 100×100 needs 78.1 KiB of float64, more than its 1000 B limit; use fewer points or raise the limit',
    );
  });
});
