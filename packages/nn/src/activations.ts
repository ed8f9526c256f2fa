/**
 * Elementwise activations φ and their derivatives φ'(z), the latter written in terms of the
 * activation's OUTPUT h = φ(z) so the forward pass need not keep pre-activations:
 *   relu: φ' = 1[h > 0];  tanh: φ' = 1 − h²;  sigmoid: φ' = h(1 − h);  identity: φ' = 1;
 *   erf:  φ' = (2/√π) exp(−z²) with z = erf⁻¹(h).
 * erf's φ and φ' are those of @tangent/kernels' activation registry (erf-dual.ts), the same
 * functions whose Gaussian expectations give its NNGP and NTK, so the finite network and its
 * kernel cannot drift apart. Recovering z from the float32 h costs little accuracy where it
 * matters: z is off by δh/φ'(z) with δh ≤ one float32 ulp of h, so φ' is off by ≈ 2|z|·δh
 * absolutely (< 5e-7; where h rounds to ±1, |z| > 3.8, the true φ' < 1e-6 and 0 is used).
 */
import { ACTIVATIONS } from '@tangent/kernels';
import type { Activation } from './mlp.ts';

const erfAct = ACTIVATIONS.erf;

/**
 * erf⁻¹(y) for |y| ≤ 1 (±∞ at ±1): Giles' single-precision rational approximation ("Approximating
 * the erfinv function", GPU Computing Gems, 2010; relative error < 4e-7), then one Newton step
 * on erf(z) = y with the registry's erf and erf', which squares that error (≈1e-13).
 */
export function erfInverse(y: number): number {
  if (!(Math.abs(y) < 1)) return Math.abs(y) === 1 ? y * Infinity : NaN;
  let w = -Math.log((1 - y) * (1 + y)),
    p: number;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-8;
    p = 3.43273939e-7 + p * w;
    p = -3.5233877e-6 + p * w;
    p = -4.39150654e-6 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = Math.sqrt(w) - 3;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  const z = p * y;
  const slope = erfAct.dphi(z);
  return slope > 0 ? z - (erfAct.phi(z) - y) / slope : z;
}

/** h ← φ(h) in place. */
export function applyActivation(act: Activation, h: Float32Array): void {
  const n = h.length;
  switch (act) {
    case 'relu':
      // branch-free (a data-dependent branch mispredicts half the time on relu inputs)
      for (let i = 0; i < n; i++) h[i] *= +(h[i] > 0);
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) h[i] = Math.tanh(h[i]);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) h[i] = 1 / (1 + Math.exp(-h[i]));
      return;
    case 'erf':
      for (let i = 0; i < n; i++) h[i] = erfAct.phi(h[i]);
      return;
    case 'identity':
      return;
  }
}

/**
 * g ← g ⊙ φ'(z), with φ'(z) computed from h = φ(z). Normally g and h have the same shape; with
 * `repeat` = r > 1, g holds r consecutive rows per row of h (row length `cols`): row i·r + o of g
 * is scaled by row i of h (per-output Jacobian rows).
 */
export function multiplyByDerivative(act: Activation, g: Float32Array, h: Float32Array, cols = g.length, repeat = 1): void {
  if (repeat !== 1) {
    const rows = h.length / cols;
    for (let i = 0; i < rows; i++) {
      const hi = h.subarray(i * cols, (i + 1) * cols);
      for (let o = 0; o < repeat; o++) multiplyByDerivative(act, g.subarray((i * repeat + o) * cols, (i * repeat + o + 1) * cols), hi);
    }
    return;
  }
  const n = g.length;
  switch (act) {
    case 'relu':
      for (let i = 0; i < n; i++) g[i] *= +(h[i] > 0);
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) g[i] *= 1 - h[i] * h[i];
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) g[i] *= h[i] * (1 - h[i]);
      return;
    case 'erf':
      for (let i = 0; i < n; i++) g[i] *= erfAct.dphi(erfInverse(h[i]));
      return;
    case 'identity':
      return;
  }
}
