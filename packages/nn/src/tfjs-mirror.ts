/**
 * The same network written independently in tfjs ops (copying the weights into tf.Variables),
 * so that tfjs autodiff can serve as the oracle for backward(), jacobian() and the empirical NTK:
 *   z_l = a_l · x W_lᵀ + c_l · b_l, h_l = φ(z_l), f = z_L.
 */
import type * as tfType from '@tensorflow/tfjs';
import type { Mlp } from './mlp.ts';
import type { TfModel } from './empirical-ntk-autodiff.ts';

export interface TfMirror {
  tf: typeof tfType;
  model: TfModel;
  /** Variables in the order of mlp.params: W_1, b_1, W_2, b_2, ... */
  params: tfType.Variable[];
  dispose(): void;
}

let counter = 0;

export async function tfjsMirror(mlp: Mlp): Promise<TfMirror> {
  const tf = (await import('@tensorflow/tfjs')) as typeof tfType;
  if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
  const tag = `nn${counter++}`;
  const vars = mlp.layers.map((L, l) => ({
    W: tf.variable(tf.tensor2d(Array.from(L.W.data), [L.fanOut, L.fanIn]), true, `${tag}_W${l}`),
    b: L.b ? tf.variable(tf.tensor1d(Array.from(L.b)), true, `${tag}_b${l}`) : null,
    a: L.wScale,
    c: L.bScale,
  }));
  const act = mlp.spec.activation;
  const phi = (z: tfType.Tensor) =>
    act === 'relu' ? tf.relu(z) : act === 'tanh' ? tf.tanh(z) : act === 'sigmoid' ? tf.sigmoid(z) : act === 'erf' ? tf.erf(z) : z;
  const model: TfModel = (x) =>
    tf.tidy(() => {
      let h = x as tfType.Tensor2D;
      vars.forEach((v, l) => {
        let z = tf.mul(tf.matMul(h, v.W, false, true), v.a) as tfType.Tensor2D;
        if (v.b) z = tf.add(z, tf.mul(v.b, v.c)) as tfType.Tensor2D;
        h = (l < vars.length - 1 ? phi(z) : z) as tfType.Tensor2D;
      });
      return h;
    });
  const params = vars.flatMap((v) => (v.b ? [v.W, v.b] : [v.W]));
  return { tf, model, params, dispose: () => params.forEach((p) => p.dispose()) };
}
