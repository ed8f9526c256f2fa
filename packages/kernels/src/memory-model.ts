import { freemem, totalmem } from 'node:os';
import { fail, formatBytes } from '@tangent/base';
import { BUILD_BLOCK_ENTRIES } from './kernel-blocks.ts';
import { GRAM_BLOCK_ENTRIES } from './nystrom-gram.ts';

const GB = 1024 ** 3;
/** A budget to type into maxMemoryGb that holds `bytes`: GB rounded up to two decimals. */
const budgetFor = (bytes: number) => Math.ceil((bytes / GB) * 100) / 100;

/**
 * Memory model of kernel ridge regression at scale: which solver fits in RAM, and why.
 * Bytes counted (in float64 words, 8 bytes, except K_nM kept as float32):
 *   exact:               2·N² (kernel + the working copy the λ grid factorises) + N·d + 2·N·K
 *                        + B·N (streamed test kernel block of B rows)
 *   falkon, stored:      N·M at the storage's width (K_nM kept: 4 bytes float32, 8 float64)
 *                        + min(N·M, BUILD_BLOCK_ENTRIES) (the float64 block a float32 K_nM is built from)
 *                        + 4·M² (K_MM, L, (1/M)LᵀL, L_A) + N·d + 4·N·K
 *   falkon, streamed:    2·B·M (the kernel block, and the dropped ones awaiting collection:
 *                        kernel-blocks.ts's dropKernelBlock collects once 64 MiB are dropped, so
 *                        at most max(B·M, 64 MiB) — for blocks under 64 MiB the excess is inside
 *                        OVERHEAD_BYTES; measured 1.56 GB RSS for 1.98 GiB planned at N = 60 000,
 *                        M = 5000, B = 1024) + 4·M² + N·d + 4·N·K
 *   falkon, gram:        4·M² (the segments' K_nMᵀK_nM, their sum, the SYRK scratch)
 *                        + 2²⁵ (the kernel block) + V·M (the kept validation rows)
 *                        + 4·M² + N·d + 4·N·K
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
  /** Precision of a stored K_nM (default float32). */
  dtype?: 'float32' | 'float64';
  /** Validation rows (their K rows are kept by the gram mode); default 0. */
  validationRows?: number;
  /** Falkon solves the fit will run (λ × M candidates + the refit); default 1. */
  solves?: number;
  /** A forced cross-kernel mode ('auto' or absent: the cheapest that fits). */
  crossKernel?: 'auto' | CrossKernelMode;
  /** 'auto' picks exact when it fits (it is the oracle), else Falkon stored, else streamed. */
  solver?: SolverChoice;
  /** Budget in GB; null = the machine's: min(0.85·free, 0.75·total). */
  maxMemoryGb?: number | null;
}

/**
 * How Falkon gets K_nMᵀ(K_nM Z): 'stored' keeps K_nM and multiplies it twice an iteration;
 * 'gram' makes K_nMᵀK_nM in one pass (nystrom-gram.ts) and multiplies that; 'streamed'
 * recomputes K_nM every iteration (the least memory, the most time).
 */
export type CrossKernelMode = 'stored' | 'streamed' | 'gram';

export interface MemoryPlan {
  solver: 'exact' | 'falkon';
  crossKernel: CrossKernelMode | null;
  /** Predicted peak bytes of the chosen plan. */
  bytes: number;
  budgetBytes: number;
  /** Predicted bytes of every option, for the report. */
  options: { exact: number; falkonStored: number; falkonStreamed: number; falkonGram: number };
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
    falkonStored:
      (p.dtype === 'float64' ? 8 * n * m : 4 * n * m + 8 * Math.min(n * m, BUILD_BLOCK_ENTRIES)) + 8 * (4 * m * m + 4 * n * k) + common,
    falkonStreamed: 8 * (2 * B * m + 4 * m * m + 4 * n * k) + common,
    falkonGram: 8 * (8 * m * m + GRAM_BLOCK_ENTRIES + (p.validationRows ?? 0) * m + 4 * n * k) + common,
  };
}

/**
 * Whether one Gram pass (n·M² flops, float64 SYRK near peak) costs less than the stored K_nM's
 * products over the solves (~I·4·n·M·k flops each, I ≈ 30 CG iterations, at a quarter of the
 * SYRK's speed: measured 75 vs 20 GFLOP per CPU-second on this 2-core AVX-512 machine, k = 10):
 * M < 4 · 4·I·k · solves. Fashion-MNIST (k = 10, 3 solves, M = 5000): the Gram; the tweets
 * (k = 1, 4 solves, M = 2000): the stored K_nM.
 */
export function gramIsCheaper(m: number, k: number, solves: number): boolean {
  return m < 4 * 4 * 30 * k * Math.max(1, solves);
}

/**
 * The most Nyström centres whose streamed Falkon plan fits `budget` bytes, 0 when not even one
 * does (the data, targets and runtime overhead alone exceed it): the positive root of
 * 32·M² + 16·B·M = budget − (bytes of everything that does not grow with M).
 */
export function maxCentresThatFit(p: MemoryProblem, budget: number): number {
  const B = Math.min(p.n, p.blockRows ?? 2048);
  const room = budget - kernelRegressionBytes({ ...p, m: 0 }).falkonStreamed;
  if (room <= 0) return 0;
  let m = Math.floor((-16 * B + Math.sqrt(256 * B * B + 128 * room)) / 64);
  while (m > 0 && kernelRegressionBytes({ ...p, m }).falkonStreamed > budget) m--; // float rounding of the root
  return m;
}

/**
 * Pick the solver. A forced choice that does not fit is refused here, before anything large is
 * allocated, with the option that does fit named in the message.
 */
export function planKernelRegression(p: MemoryProblem): MemoryPlan {
  const budget = memoryBudgetBytes(p.maxMemoryGb);
  const o = kernelRegressionBytes(p);
  const src = p.maxMemoryGb
    ? `maxMemoryGb = ${p.maxMemoryGb}`
    : `this machine (${formatBytes(totalmem())} total, ${formatBytes(freemem())} free)`;
  // What to change when nothing fits: the budget the user set, else the machine's free memory.
  const more = (bytes: number) =>
    p.maxMemoryGb ? `raise maxMemoryGb to ${budgetFor(bytes)}` : `free memory (the plan needs ${formatBytes(bytes)})`;
  const mFit = () => Math.min(maxCentresThatFit(p, budget), p.n);
  const fits = (b: number) => b <= budget;
  const plan = (solver: 'exact' | 'falkon', cross: CrossKernelMode | null, bytes: number, reason: string): MemoryPlan => ({
    solver,
    crossKernel: cross,
    bytes,
    budgetBytes: budget,
    options: o,
    reason,
  });
  const what = `N = ${p.n}, d = ${p.d}, K = ${p.k}`;
  const solver = p.solver ?? 'auto';
  const bytesOf = { stored: o.falkonStored, gram: o.falkonGram, streamed: o.falkonStreamed };
  const describe = {
    stored: `K_nM stored (${p.dtype ?? 'float32'})`,
    gram: 'K_nMᵀK_nM made in one pass',
    streamed: 'K_nM streamed in blocks every iteration',
  };
  const falkonPlan = (why: string): MemoryPlan | null => {
    const forced = p.crossKernel && p.crossKernel !== 'auto' ? p.crossKernel : null;
    const preference: CrossKernelMode[] = forced
      ? [forced]
      : gramIsCheaper(p.m, p.k, p.solves ?? 1)
        ? ['gram', 'stored', 'streamed']
        : ['stored', 'gram', 'streamed'];
    const pick = preference.find((mode) => fits(bytesOf[mode]));
    if (!pick) return null;
    const skipped = preference.slice(0, preference.indexOf(pick));
    return plan(
      'falkon',
      pick,
      bytesOf[pick],
      `${why}; Falkon with ${describe[pick]} (M = ${p.m}${forced ? ', as configured' : ''}) needs ${formatBytes(bytesOf[pick])} ≤ budget ${formatBytes(budget)} from ${src}` +
        (skipped.length ? `; ${skipped.map((mode) => `${describe[mode]} would need ${formatBytes(bytesOf[mode])}`).join(', ')}` : ''),
    );
  };
  if (solver === 'exact') {
    if (fits(o.exact))
      return plan('exact', null, o.exact, `exact solver requested: ${what} needs ${formatBytes(o.exact)} ≤ budget ${formatBytes(budget)}`);
    const alt = falkonPlan('exact refused');
    fail(
      `solver: exact kernel ridge for ${what} needs ${formatBytes(o.exact)} (the N×N kernel ${formatBytes(8 * p.n * p.n)} and its factor), more than the ${formatBytes(budget)} budget from ${src}; ` +
        (alt
          ? `use solver: falkon (M = ${p.m} needs ${formatBytes(alt.bytes)}, ${alt.crossKernel})`
          : mFit() >= 1
            ? `use solver: falkon with at most ${mFit()} centres`
            : `use solver: falkon and ${more(o.falkonStreamed)} (M = ${p.m}, K_nM streamed; exact needs ${budgetFor(o.exact)}), or train on fewer rows (data.trainSubset)`),
    );
  }
  if (solver === 'auto' && fits(o.exact))
    return plan(
      'exact',
      null,
      o.exact,
      `auto: the exact solver fits (${what}: ${formatBytes(o.exact)} ≤ budget ${formatBytes(budget)} from ${src})`,
    );
  const why =
    solver === 'falkon' ? 'falkon requested' : `auto: exact would need ${formatBytes(o.exact)} > budget ${formatBytes(budget)} (${what})`;
  const f = falkonPlan(why);
  if (f) return f;
  const fit = mFit();
  if (fit >= 1)
    fail(
      `centres: Falkon with M = ${p.m} needs ${formatBytes(o.falkonStreamed)} even with K_nM streamed, more than the ${formatBytes(budget)} budget from ${src}; use at most ${fit} centres (centres: [${fit}]) or ${more(o.falkonStreamed)}`,
    );
  const fixed = kernelRegressionBytes({ ...p, m: 0 }).falkonStreamed;
  const wanted = more(kernelRegressionBytes({ ...p, m: Math.min(p.m, p.n) }).falkonStreamed);
  fail(
    `${p.maxMemoryGb ? 'maxMemoryGb' : 'memory'}: no number of centres fits the ${formatBytes(budget)} budget from ${src}: ` +
      (OVERHEAD_BYTES >= budget
        ? `the runtime alone takes ${formatBytes(OVERHEAD_BYTES)}; ${wanted}`
        : `the training data and targets (${what}) with the runtime's ${formatBytes(OVERHEAD_BYTES)} already need ${formatBytes(fixed)}; ${wanted}, or train on fewer rows (data.trainSubset)`),
  );
}
