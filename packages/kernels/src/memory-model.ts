import { freemem, totalmem } from 'node:os';
import { fail } from '@tangent/base';

const GB = 1024 ** 3;
const gb = (b: number) => `${(b / GB).toFixed(2)} GB`;

/**
 * Memory model of kernel ridge regression at scale: which solver fits in RAM, and why.
 * Bytes counted (float64 throughout):
 *   exact:               2·N² (kernel + the working copy the λ grid factorises) + N·d + 2·N·K
 *                        + B·N (streamed test kernel block of B rows)
 *   falkon, stored:      N·M (K_nM kept) + 4·M² (K_MM, L, L_A, scratch) + N·d + 4·N·K
 *   falkon, streamed:    2·B·M (kernel block + GEMM scratch) + 4·M² + N·d + 4·N·K
 * plus a fixed OVERHEAD for the runtime and the raw dataset.
 */
export const OVERHEAD_BYTES = 0.75 * GB;

export type SolverChoice = 'auto' | 'exact' | 'falkon';

export interface MemoryProblem {
  /** Training rows. */
  n: number;
  /** Input features. */
  d: number;
  /** Outputs (classes). */
  k: number;
  /** Nyström centres (largest M tried). */
  m: number;
  /** Rows per streamed kernel block (default 2048). */
  blockRows?: number;
  /** 'auto' picks exact when it fits (it is the oracle), else Falkon stored, else streamed. */
  solver?: SolverChoice;
  /** Budget in GB; null = the machine's: min(0.85·free, 0.75·total). */
  maxMemoryGb?: number | null;
}

export interface MemoryPlan {
  solver: 'exact' | 'falkon';
  crossKernel: 'stored' | 'streamed' | null;
  /** Predicted peak bytes of the chosen plan. */
  bytes: number;
  budgetBytes: number;
  /** Predicted bytes of every option, for the report. */
  options: { exact: number; falkonStored: number; falkonStreamed: number };
  /** One sentence: what was picked and why. */
  reason: string;
}

export function memoryBudgetBytes(maxMemoryGb?: number | null): number {
  return maxMemoryGb != null && maxMemoryGb > 0 ? maxMemoryGb * GB : Math.min(0.85 * freemem(), 0.75 * totalmem());
}

export function kernelRegressionBytes(p: MemoryProblem) {
  const { n, d, k, m } = p;
  const B = Math.min(n, p.blockRows ?? 2048);
  const common = 8 * (n * d) + OVERHEAD_BYTES;
  return {
    exact: 8 * (2 * n * n + 2 * n * k + B * n) + common,
    falkonStored: 8 * (n * m + 4 * m * m + 4 * n * k) + common,
    falkonStreamed: 8 * (2 * B * m + 4 * m * m + 4 * n * k) + common,
  };
}

/**
 * Pick the solver. A forced choice that does not fit is refused here, before anything large is
 * allocated, with the option that does fit named in the message.
 */
export function planKernelRegression(p: MemoryProblem): MemoryPlan {
  const budget = memoryBudgetBytes(p.maxMemoryGb);
  const o = kernelRegressionBytes(p);
  const src = p.maxMemoryGb ? `maxMemoryGb = ${p.maxMemoryGb}` : `this machine (${gb(totalmem())} total, ${gb(freemem())} free)`;
  const fits = (b: number) => b <= budget;
  const plan = (solver: 'exact' | 'falkon', cross: 'stored' | 'streamed' | null, bytes: number, reason: string): MemoryPlan => ({
    solver,
    crossKernel: cross,
    bytes,
    budgetBytes: budget,
    options: o,
    reason,
  });
  const what = `N = ${p.n}, d = ${p.d}, K = ${p.k}`;
  const solver = p.solver ?? 'auto';
  const falkonPlan = (why: string): MemoryPlan | null => {
    if (fits(o.falkonStored))
      return plan(
        'falkon',
        'stored',
        o.falkonStored,
        `${why}; Falkon with K_nM stored (M = ${p.m}) needs ${gb(o.falkonStored)} ≤ budget ${gb(budget)} from ${src}`,
      );
    if (fits(o.falkonStreamed))
      return plan(
        'falkon',
        'streamed',
        o.falkonStreamed,
        `${why}; K_nM stored would need ${gb(o.falkonStored)} > budget ${gb(budget)}, so Falkon streams it in blocks (${gb(o.falkonStreamed)})`,
      );
    return null;
  };
  if (solver === 'exact') {
    if (fits(o.exact)) return plan('exact', null, o.exact, `exact solver requested: ${what} needs ${gb(o.exact)} ≤ budget ${gb(budget)}`);
    const alt = falkonPlan('exact refused');
    fail(
      `solver: exact kernel ridge for ${what} needs ${gb(o.exact)} (the N×N kernel ${gb(8 * p.n * p.n)} and its factor), more than the ${gb(budget)} budget from ${src}; ` +
        (alt ? `use solver: falkon (M = ${p.m} needs ${gb(alt.bytes)}, ${alt.crossKernel})` : `use solver: falkon with fewer centres`),
    );
  }
  if (solver === 'auto' && fits(o.exact))
    return plan('exact', null, o.exact, `auto: the exact solver fits (${what}: ${gb(o.exact)} ≤ budget ${gb(budget)} from ${src})`);
  const why = solver === 'falkon' ? 'falkon requested' : `auto: exact would need ${gb(o.exact)} > budget ${gb(budget)} (${what})`;
  const f = falkonPlan(why);
  if (f) return f;
  const mFit = Math.floor(Math.sqrt(Math.max(0, budget - 8 * (2 * 2048 * 1 + 4 * p.n * p.k + p.n * p.d) - OVERHEAD_BYTES) / 32));
  fail(
    `centres: Falkon with M = ${p.m} needs ${gb(o.falkonStreamed)} even streamed, more than the ${gb(budget)} budget from ${src}; use at most M ≈ ${Math.max(0, mFit)} centres or raise maxMemoryGb`,
  );
}
