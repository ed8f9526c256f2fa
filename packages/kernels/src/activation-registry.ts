import type { DualActivation } from './dual-activation.ts';
import { erfDual } from './erf-dual.ts';
import { reluDual } from './relu-dual.ts';

/**
 * Every activation the kernels and the finite networks know, by manifest name: one entry per
 * dual-activation file (see dual-activation.ts). A new activation is its file plus one line here.
 */
export const ACTIVATIONS = {
  relu: reluDual,
  erf: erfDual,
} as const satisfies Record<string, DualActivation>;

export type ActivationName = keyof typeof ACTIVATIONS;
export const ACTIVATION_NAMES = Object.keys(ACTIVATIONS) as [ActivationName, ...ActivationName[]];
