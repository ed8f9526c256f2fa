/**
 * 'functional-evolution' (the thesis' NTK 2): the residual of the linearised gradient flow is
 * known in closed form, r(k) = exp(−η Θ0 k / n) r0 with r0 = f0 − y (Jacot et al. 2018; Lee et al. 2019, eq. 8),
 * and each step uses it instead of re-evaluating the model:
 *   θ_{k+1} = θ_k − (η/n) J0ᵀ exp(−η Θ0 k / n) r0.
 * With ONE eigendecomposition Θ0 = V Λ Vᵀ and c = Vᵀ r0, the K steps sum to
 *   θ_K − θ0 = −J0ᵀ w,   w = (η/n) V (s ⊙ c),   s_j = Σ_{k<K} e^{−a_j k} = (1 − e^{−a_j K}) / (1 − e^{−a_j}),
 * a_j = η λ_j / n (s_j = K when a_j = 0). Eigenvalues below rcond·λ_max are the null space of Θ0,
 * where J0ᵀ v = 0: those terms are dropped rather than amplifying rounding.
 */
import { checkpoints, spectralFlow, type LinearisedProblem, type LinearSolution, type Spectrum } from './linearised-model.ts';

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
  const flow = spectralFlow('functional evolution', p, sp, {
    eta: opts.eta,
    rcond: opts.rcond,
    phi: (h, l) => h * geometricExpSum(h * l, opts.steps), // (η/n) s_j
    rho: (h, l, k) => 1 - h * l * geometricExpSum(h * l, k), // the residual after k steps: r0 − Θ0 w_k
  });
  const trace = checkpoints(opts.steps, opts.traceCount ?? 20).map((k) => ({ step: k, loss: flow.lossAt(k) }));
  return { w: flow.w, fLin: flow.fAt(opts.steps), trace };
}
