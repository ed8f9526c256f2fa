/**
 * Elementwise activations φ and their derivatives φ'(z), the latter written in terms of the
 * activation's OUTPUT h = φ(z) so the forward pass need not keep pre-activations:
 *   relu: φ' = 1[h > 0];  tanh: φ' = 1 − h²;  sigmoid: φ' = h(1 − h);  identity: φ' = 1.
 */
import type { Activation } from './mlp.ts';

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
    case 'identity':
      return;
  }
}
