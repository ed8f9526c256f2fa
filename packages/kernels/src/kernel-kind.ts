/**
 * The two infinite-width kernels of a network (Jacot et al. 2018; Lee et al. 2018): 'ntk', Θ, the
 * kernel gradient descent trains with; 'nngp', Σ, the covariance of the output at initialisation.
 * Every config and artifact that names a kernel takes it from this list.
 */
export const KERNEL_KINDS = ['ntk', 'nngp'] as const;
export type KernelKind = (typeof KERNEL_KINDS)[number];
