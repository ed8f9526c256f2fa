/**
 * NTK 3 — integrated exact solution of the linearised gradient flow dθ/dt = −(η/n) J0ᵀ (f_lin − y)
 * (Lee et al. 2019, eq. 9):
 *   θ(t) = θ0 − J0ᵀ (I − e^{−η Θ0 t / n}) Θ0⁻¹ (f0 − y),
 * evaluated through the eigendecomposition Θ0 = V Λ Vᵀ as w = V (φ ⊙ Vᵀ r0) with
 *   φ_j = (1 − e^{−a_j t}) / λ_j = −expm1(−a_j t) / λ_j,  a_j = η λ_j / n,   φ_j → η t / n as λ_j → 0,
 * so small eigenvalues are stable and t → ∞ gives the minimum-norm least-squares fit
 * θ∞ = θ0 − J0⁺ (f0 − y). Eigenvalues below rcond·λ_max are the null space (J0ᵀ v = 0): dropped.
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
  const M = checkProblem(p);
  if (sp.values.length !== M) fail(`NTK 3: spectrum has ${sp.values.length} eigenvalues, Θ0 is ${M}×${M}`);
  if (!(opts.eta > 0)) fail(`NTK 3: learning rate must be positive, got ${opts.eta}`);
  if (!(opts.t >= 0)) fail(`NTK 3: time t must be non-negative, got ${opts.t}`);
  const h = opts.eta / p.n;
  const cut = (opts.rcond ?? 1e-10) * sp.values[M - 1];
  const r0 = new Float64Array(M);
  for (let i = 0; i < M; i++) r0[i] = p.f0[i] - p.y[i];
  const c = toEigenbasis(sp, r0);
  const live = (j: number) => sp.values[j] > cut;
  const coef = new Float64Array(M);
  for (let j = 0; j < M; j++) coef[j] = live(j) ? integratedCoefficient(sp.values[j], h, opts.t) * c[j] : 0;
  const w = fromEigenbasis(sp, coef);
  // Residual r(t) = e^{−η Θ0 t / n} r0 on the live subspace; unchanged on the null space.
  const residualAt = (t: number) => {
    const e = new Float64Array(M);
    for (let j = 0; j < M; j++) e[j] = live(j) ? Math.exp(-h * sp.values[j] * t) * c[j] : c[j];
    return fromEigenbasis(sp, e);
  };
  const toF = (r: Float64Array) => r.map((v, i) => v + p.y[i]);
  const trace = checkpoints(Math.ceil(opts.t), opts.traceCount ?? 20).map((k) => {
    const tk = Math.min(k, opts.t);
    return { step: tk, loss: linearLoss('mse', toF(residualAt(tk)), p.y, p.outDim) };
  });
  return { w, fLin: toF(residualAt(opts.t)), trace };
}
