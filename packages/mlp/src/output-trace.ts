/**
 * The NTK of the two-layer network with K outputs (K > 2 classes; a binary task keeps its one
 * ±1 output), h = φ(a1 W1 x + c1 b1), f_k = a2 Σ_r W2[k,r] h_r + c2 b2_k, NTK parameterisation
 * a1 = 1/√d, a2 = 1/√m, W ~ N(0, 1). Its Jacobian blocks are
 *   ∂f_k/∂W2[l,r] = δ_kl a2 h_r,   ∂f_k/∂b2_l = δ_kl c2,
 *   ∂f_k/∂W1[r,j] = a2 W2[k,r] φ'(u_r) a1 x_j,   ∂f_k/∂b1_r = a2 W2[k,r] φ'(u_r) c1,
 * so the empirical NTK is the K × K block kernel
 *
 *   Θ̂_kl(x, z) = δ_kl (a2² h(x)·h(z) + c2²) + (a1² x·z + c1²) a2² Σ_r W2[k,r] W2[l,r] φ'(u_r(x)) φ'(u_r(z)).
 *
 * Infinite width (Jacot et al. 2018, Thm 1: independent readouts): the rows of W2 are independent
 * N(0, I_m), so (1/m) Σ_r W2[k,r] W2[l,r] φ'φ' → δ_kl E[φ'(u)φ'(v)] and Θ̂ → Θ ⊗ I_K, Θ the
 * scalar NTK of the one-output network (analytical-kernel.ts): the K outputs are K independent
 * copies of the binary network's kernel. At any width E[Θ̂_kl] = δ_kl Θ (W2 is independent of
 * W1 and E[W2[k,r] W2[l,r]] = δ_kl), and for k ≠ l, with a2² = 1/m and b1 = 0 at init,
 * E[m Θ̂_kl(x, z)²] = (a1² x·z + c1²)² E[φ'(u)²φ'(v)²] (output-trace.test.ts checks all three).
 *
 * What the stage tracks is the kernel's trace over outputs (neural-tangents' `trace_axes`):
 *
 *   Θ̂_tr(x, z) = (1/K) Σ_k Θ̂_kk(x, z) = a2² h·h' + c2² + (a1² x·z + c1²) a2² Σ_r w̄_r² φ'(u_r) φ'(u'_r),
 *   w̄_r² = (1/K) Σ_k W2[k,r]²,
 *
 * the binary closed form (empirical-ntk-two-layer.ts) with W2_r² replaced by the mean square of
 * unit r's K readout weights. So every kernel pass of the one-output network computes Θ̂_tr of a
 * K-output one given w̄ in place of W2 (traceReadoutWeights); for K = 1, w̄ = W2 (the same array,
 * the binary numbers bit for bit). Θ̂_tr → Θ as m → ∞, so ΔΘ = ‖Θ̂_tr,t − Θ̂_tr,0‖_F / ‖Θ̂_tr,0‖_F
 * and Θ̂₀'s error ‖Θ̂_tr,0 − Θ‖_F / ‖Θ‖_F are defined exactly as for the binary network; ΔΘ on
 * the trace does not see the off-diagonal blocks move (they start at O(m^−½) and stay small in
 * the lazy regime). Θ̂_tr's fluctuation at init is smaller than one block's: its readout factor
 * w̄_r² has variance 2/K instead of 2 (E w̄⁴ = 1 + 2/K), which the relu constant of E[m err²]
 * takes as its `outputs` argument (ntk-relu2-variance.ts).
 *
 * The learning rate η = c · n / λ_max(Θ̂_tr,0): gradient descent on L = 1/(2n) Σ_i ‖f(x_i) − y_i‖²
 * moves the outputs as vec F_{t+1} = vec F_t − (η/n) Θ̂ vec(F_t − Y) with the full nK × nK kernel,
 * stable iff η λ_max(Θ̂)/n < 2. At init Θ̂ = Θ̂_tr ⊗ I_K + O(m^−½) (the off-diagonal blocks and each
 * diagonal block's deviation from the trace), and the eigenvalues of Θ̂_tr ⊗ I_K are Θ̂_tr's, each K
 * times; so λ_max(Θ̂_tr) is the scale of the K-output network's step, and c keeps its meaning
 * (c < 2 stable, c = 1 the same natural rate as the binary network's).
 */
import type { Mlp } from '@tangent/nn';

/** K, the network's number of outputs. */
export const outputsOf = (net: Mlp): number => net.spec.sizes[net.spec.sizes.length - 1];

/**
 * w̄_r = √((1/K) Σ_k W2[k,r]²) per hidden unit r: the readout weights with which the one-output
 * kernel passes compute Θ̂_tr of a K-output network (float64 sums, stored in float32). K = 1:
 * W2's own row (the same array).
 */
export function traceReadoutWeights(net: Mlp): Float32Array {
  const L2 = net.layers[net.layers.length - 1];
  const K = L2.fanOut,
    m = L2.fanIn,
    W = L2.W.data;
  if (K === 1) return W;
  const out = new Float32Array(m);
  for (let r = 0; r < m; r++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += W[k * m + r] * W[k * m + r];
    out[r] = Math.sqrt(s / K);
  }
  return out;
}
