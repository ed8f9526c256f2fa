import { freemem, totalmem } from 'node:os';
import { fail, formatBytes } from '@tangent/base';

const GB = 1024 ** 3;

/**
 * Refuse work whose float64 matrices would not fit, before allocating them: an N×N kernel at
 * N = 50 000 is 20 GB and would otherwise die in the allocator or swap. The budget is
 * `maxMemoryGb` when given, else the memory the OS reports available (os.freemem) — with
 * headroom for the rest of the process.
 */
export function assertFitsInMemory(bytes: number, what: string, maxMemoryGb?: number | null): void {
  const limit = maxMemoryGb != null && maxMemoryGb > 0 ? maxMemoryGb * GB : Math.min(0.85 * freemem(), 0.75 * totalmem());
  if (bytes > limit) {
    const src =
      maxMemoryGb != null && maxMemoryGb > 0
        ? `the maxMemoryGb limit of ${maxMemoryGb} GB (${formatBytes(limit)})`
        : `the ${formatBytes(limit)} this machine has available`;
    fail(
      `${what} needs ${formatBytes(bytes)} of float64 kernel memory, more than ${src}; ` +
        `raise the budget if it does fit (pipeline: --set ntk.maxMemoryGb=<GB>, or ntk.maxMemoryGb in configs/pipeline.yaml), or use fewer rows`,
    );
  }
}

/** Bytes of an n×m float64 matrix. */
export const f64Bytes = (n: number, m: number): number => 8 * n * m;
