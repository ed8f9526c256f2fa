/**
 * 'integrated-flow' (the thesis' NTK 3): the exact solution of the linearised gradient flow
 * dθ/dt = −(η/n) J0ᵀ (f_lin − y) (Lee et al. 2019, eq. 9):
 *   θ(t) = θ0 − J0ᵀ (I − e^{−η Θ0 t / n}) Θ0⁻¹ (f0 − y),
 * evaluated through the eigendecomposition Θ0 = V Λ Vᵀ as w = V (φ ⊙ Vᵀ r0) with
 *   φ_j = (1 − e^{−a_j t}) / λ_j = −expm1(−a_j t) / λ_j,  a_j = η λ_j / n,   φ_j → η t / n as λ_j → 0,
 * so small eigenvalues are stable and t → ∞ gives the minimum-norm least-squares fit
 * θ∞ = θ0 − J0⁺ (f0 − y). Eigenvalues below rcond·λ_max are the null space (J0ᵀ v = 0): dropped.
 */
import { fail } from '@tangent/base';
import { checkpoints, spectralFlow, type LinearisedProblem, type LinearSolution, type Spectrum } from './linearised-model.ts';

/** φ(λ, t) = (1 − e^{−(η/n) λ t}) / λ, with its λ → 0 limit (η/n) t. */
export function integratedCoefficient(lambda: number, h: number, t: number): number {
  const x = h * lambda * t;
  if (Math.abs(x) < 1e-300 || lambda === 0) return h * t;
  return -Math.expm1(-x) / lambda;
}

export function integratedFlow(
  p: LinearisedProblem,
  sp: Spectrum,
  opts: { eta: number; t: number; rcond?: number; traceCount?: number },
): LinearSolution {
  if (!(opts.t >= 0)) fail(`integrated flow: time t must be non-negative, got ${opts.t}`);
  const flow = spectralFlow('integrated flow', p, sp, {
    eta: opts.eta,
    rcond: opts.rcond,
    phi: (h, l) => integratedCoefficient(l, h, opts.t),
    rho: (h, l, t) => Math.exp(-h * l * t), // r(t) = e^{−η Θ0 t / n} r0
  });
  const trace = checkpoints(Math.ceil(opts.t), opts.traceCount ?? 20).map((k) => {
    const tk = Math.min(k, opts.t);
    return { step: tk, loss: flow.lossAt(tk) };
  });
  return { w: flow.w, fLin: flow.fAt(opts.t), trace };
}
