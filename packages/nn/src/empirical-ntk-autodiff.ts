/**
 * The generic route to the empirical NTK for ANY tfjs model: Θ̂(X, Z) = J_X J_Zᵀ with
 * J = ∂f/∂θ obtained row by row from tfjs reverse-mode autodiff (one gradient per sample and
 * output), then contracted with a float64 GEMM. Slow (N·K backward passes) but architecture-free;
 * it is the oracle for the structured closed forms in empirical-ntk.ts.
 * tfjs is loaded lazily so importing @tangent/nn does not pull it in.
 */
import type * as tfType from '@tensorflow/tfjs';
import { fail } from '@tangent/base';
import { gemm, type Mat64 } from '@tangent/linalg';

export type TfModel = (x: tfType.Tensor) => tfType.Tensor;

async function tfjs(): Promise<typeof tfType> {
  return (await import('@tensorflow/tfjs')) as typeof tfType;
}

/**
 * J (N·K × P, float64): row i·K + o is ∂f_o(x_i)/∂θ, θ = the variables in `params` order, each
 * flattened row-major. `model` must map a batch [n, ...] to outputs [n, K] sample-wise.
 */
export async function jacobianAutodiff(model: TfModel, params: tfType.Variable[], x: tfType.Tensor): Promise<Mat64> {
  const tf = await tfjs();
  const N = x.shape[0];
  const P = params.reduce((s, p) => s + p.size, 0);
  if (params.length === 0) fail('jacobianAutodiff: no parameters given');
  let K = -1;
  let J = new Float64Array(0);
  for (let i = 0; i < N; i++) {
    const xi = tf.tidy(() => x.slice([i], [1]));
    if (K < 0) {
      const f0 = tf.tidy(() => model(xi));
      if (f0.shape.length !== 2 || f0.shape[0] !== 1)
        fail(`jacobianAutodiff: model output for one sample has shape [${f0.shape}], expected [1, K]`);
      K = f0.shape[1] as number;
      f0.dispose();
      J = new Float64Array(N * K * P);
    }
    for (let o = 0; o < K; o++) {
      const { grads, value } = tf.variableGrads(() => tf.sum(tf.slice(model(xi), [0, o], [1, 1])) as tfType.Scalar, params);
      let off = (i * K + o) * P;
      for (const p of params) {
        const g = grads[p.name];
        J.set(g.dataSync(), off);
        off += p.size;
      }
      value.dispose();
      for (const k of Object.keys(grads)) grads[k].dispose();
    }
    xi.dispose();
  }
  return { rows: N * K, cols: P, data: J };
}

/** Θ̂(X, Z) = J_X J_Zᵀ through tfjs autodiff (Z defaults to X); (N·K) × (M·K), float64. */
export async function empiricalNtk(model: TfModel, params: tfType.Variable[], x: tfType.Tensor, z?: tfType.Tensor): Promise<Mat64> {
  const Jx = await jacobianAutodiff(model, params, x);
  const Jz = z ? await jacobianAutodiff(model, params, z) : Jx;
  return gemm(Jx, Jz, { transB: true });
}
