import { arcCos0, arcCos1 } from './arc-cosine.ts';
import type { DualActivation } from './dual-activation.ts';

/**
 * ReLU's dual through the arc-cosine kernels (Cho & Saul 2009; see arc-cosine.ts): with
 * c = s / sqrt(qx qz),  E[relu relu] = sqrt(qx qz) κ1(c) / 2  and  E[relu' relu'] = κ0(c) / 2.
 * The Gram's fast path (relu-kernel-recursion.ts, WebAssembly) unrolls the same formulas.
 */
export const reluDual: DualActivation = {
  name: 'relu',
  phi: (x) => (x > 0 ? x : 0),
  dphi: (x) => (x > 0 ? 1 : 0),
  dual(qx, qz, s) {
    const r = Math.sqrt(qx * qz);
    return r > 0 ? (r * arcCos1(s / r)) / 2 : 0;
  },
  derivativeDual(qx, qz, s) {
    const r = Math.sqrt(qx * qz);
    return r > 0 ? arcCos0(s / r) / 2 : 0.25;
  },
};
