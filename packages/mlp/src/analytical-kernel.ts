/**
 * The infinite-width kernels a run is compared with, in the network's own scaling (NTK
 * parameterisation, σ_w = 1, no bias; Jacot et al. 2018, Thm 1, for two layers):
 *
 *   Σ(x, z) = E[φ(u) φ(v)],   Θ(x, z) = (x·z/d) E[φ'(u) φ'(v)] + Σ(x, z),
 *   (u, v) ~ N(0, [[|x|²/d, x·z/d], [x·z/d, |z|²/d]]),
 *
 * the depth-2 recursion of @tangent/kernels' dual-activation.ts with φ's dual from the
 * activation registry: 'nngp' Σ is the dynamics' wrong-kernel baseline (the readout alone),
 * 'ntk' Θ the kernel of Θ̂₀'s error and of the predicted dynamics. Both are ntkGram's, the ntk
 * stage's Gram for `ntk.activation` of that name (ReLU: its unrolled WebAssembly rows; any other φ:
 * activationKernelRow through activation-gram.ts).
 */
import { ntkGram, type ActivationName, type KernelKind, type NetSpec } from '@tangent/kernels';
import type { KernelFn } from './linearised-dynamics.ts';

/** The network's spec as the recursion reads it: two weight layers, σ_w = 1, no bias. */
const TWO_LAYER: NetSpec = { depth: 2, sigmaW: 1, sigmaB: 0 };

/** Θ(X, Z) or Σ(X, Z) (float64, n × m; Z defaults to X) of the two-layer network with φ = `activation`: the ntk stage's Gram. */
export function twoLayerAnalyticalKernel(activation: ActivationName, kind: KernelKind = 'ntk'): KernelFn {
  return (X, Z) => ntkGram(X, Z, { ...TWO_LAYER, kind, activation });
}
