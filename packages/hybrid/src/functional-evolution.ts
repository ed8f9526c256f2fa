/**
 * NTK 2 — functional evolution: the residual of the linearised gradient flow is known in closed
 * form, r(k) = exp(−η Θ0 k / n) r0 with r0 = f0 − y (Jacot et al. 2018; Lee et al. 2019, eq. 8),
 * and each step uses it instead of re-evaluating the model:
 *   θ_{k+1} = θ_k − (η/n) J0ᵀ exp(−η Θ0 k / n) r0.
 * With ONE eigendecomposition Θ0 = V Λ Vᵀ and c = Vᵀ r0, the K steps sum to
 *   θ_K − θ0 = −J0ᵀ w,   w = (η/n) V (s ⊙ c),   s_j = Σ_{k<K} e^{−a_j k} = (1 − e^{−a_j K}) / (1 − e^{−a_j}),
 * a_j = η λ_j / n (s_j = K when a_j = 0). Eigenvalues below rcond·λ_max are the null space of Θ0,
 * where J0ᵀ v = 0: those terms are dropped rather than amplifying rounding.
 */
import { fail } from '@tangent/arrow-io';
import {
  checkProblem,
  checkpoints,
  fromEigenbasis,
  linearLoss,
  toEigenbasis,
  type LinearisedProblem,
  type LinearSolution,
  type Spectrum,
} from './linearised-model.ts';

/** s_j(K) = Σ_{k=0}^{K−1} e^{−a k}, the geometric sum, via expm1 for small a. */
export function geometricExpSum(a: number, K: number): number {
  if (a === 0) return K;
  return Math.expm1(-a * K) / Math.expm1(-a);
}

export function functionalEvolution(
  p: LinearisedProblem,
  sp: Spectrum,
  opts: { eta: number; steps: number; rcond?: number; traceCount?: number },
): LinearSolution {
  const M = checkProblem(p);
  if (sp.values.length !== M) fail(`NTK 2: spectrum has ${sp.values.length} eigenvalues, Θ0 is ${M}×${M}`);
  if (!(opts.eta > 0)) fail(`NTK 2: learning rate must be positive, got ${opts.eta}`);
  const h = opts.eta / p.n;
  const lmax = sp.values[M - 1];
  const cut = (opts.rcond ?? 1e-10) * lmax;
  const r0 = new Float64Array(M);
  for (let i = 0; i < M; i++) r0[i] = p.f0[i] - p.y[i];
  const c = toEigenbasis(sp, r0); // c = Vᵀ r0
  const live = (j: number) => sp.values[j] > cut;
  const coef = new Float64Array(M);
  for (let j = 0; j < M; j++) coef[j] = live(j) ? h * geometricExpSum(h * sp.values[j], opts.steps) * c[j] : 0; // (η/n) s_j c_j
  const w = fromEigenbasis(sp, coef);
  // Linear-model residual after k steps: r0 − Θ0 w_k = V((1 − a s_j(k)) ⊙ c) on the live subspace.
  const residualAt = (k: number) => {
    const e = new Float64Array(M);
    for (let j = 0; j < M; j++) e[j] = live(j) ? (1 - h * sp.values[j] * geometricExpSum(h * sp.values[j], k)) * c[j] : c[j];
    return fromEigenbasis(sp, e);
  };
  const toF = (r: Float64Array) => r.map((v, i) => v + p.y[i]);
  const trace = checkpoints(opts.steps, opts.traceCount ?? 20).map((k) => ({
    step: k,
    loss: linearLoss('mse', toF(residualAt(k)), p.y, p.outDim),
  }));
  return { w, fLin: toF(residualAt(opts.steps)), trace };
}
