/**
 * The ntk stage's kernel-ridge work (issue 26: "NTK and NNGP from one Gram pass"): the default
 * ntk section on the default pipeline's sizes (7613 train rows, of which 6091 fit rows after the
 * 20 % eval split, 3263 test rows, d = 128 unit-norm rows), once NTK-only and once with
 * `compare: [nngp]`, in the same run and in alternating order, so that the ratio compares like
 * with like on a shared machine. Self-contained: seeded synthetic rows whose per-axis variance
 * decays like the PCA stage's output (var_k ∝ (k + 1)^−0.65), labels from a fixed nonlinear rule
 * plus noise (~43 % positive, as in the tweets). Reading and writing artifacts are not timed
 * (~0.2 s). "seconds" is the median of both variants together; the figures of each variant,
 * their ratio and each kernel's step timings (the last round) are in the line.
 * TANGENT_BENCH_ROUNDS=k repeats the pair k times (medians reported).
 */
import { loadavg } from 'node:os';
import { stratifiedSplit } from '@tangent/kernels';
import { backendInfo, mat64, rng, type Mat64 } from '@tangent/linalg';
import type { Benchmark } from '../../../tools/bench.ts';
import { ntkConfigSchema } from '../src/config.ts';
import { kernelRidgeOutcomes, ridgeSplit } from '../src/ridge-on-split.ts';

const N_TRAIN = 7613,
  N_TEST = 3263,
  D = 128;

/** Unit-norm rows with PCA-like decaying per-axis variance. */
function pcaLikeRows(n: number, seed: number): Mat64 {
  const r = rng(seed);
  const X = mat64(n, D, r.fillNormal(new Float64Array(n * D)));
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < D; k++) s += (X.data[i * D + k] *= (k + 1) ** -0.325) ** 2;
    for (let k = 0; k < D; k++) X.data[i * D + k] /= Math.sqrt(s);
  }
  return X;
}

function labels(X: Mat64, seed: number): number[] {
  const r = rng(seed);
  const x = (i: number, k: number) => X.data[i * D + k];
  return Array.from({ length: X.rows }, (_, i) => (x(i, 0) * x(i, 1) * 30 + x(i, 2) * 4 - x(i, 3) * 3 + 0.6 * r.normal() > 0.35 ? 1 : 0));
}

interface State {
  X: Mat64;
  Z: Mat64;
  target: number[];
  split: { isEval: Uint8Array; fold: Int8Array };
  ntkOnly: number[];
  compare: number[];
  /** CPU seconds of the process (all threads) for each variant: steadier than wall time on a shared machine. */
  cpu: { ntkOnly: number[]; compare: number[] };
  last: Record<string, unknown>;
  loadStart: number;
}

/** The stage's kernel ridge for `compare` on the state's data; seconds and each kernel's λ and step timings. */
async function stageWork(st: State, compare: Array<'nngp'>) {
  const cfg = ntkConfigSchema.parse({ compare });
  const t0 = performance.now(),
    cpu0 = process.cpuUsage();
  const s = ridgeSplit(cfg, st.target, st.split);
  const kernels: Record<string, unknown> = {};
  for await (const o of kernelRidgeOutcomes(cfg, [cfg.kernel, ...compare], st.X, st.Z, s))
    kernels[o.kernel] = {
      lambda: +o.selection.lambda.toPrecision(4),
      eval_f1: +o.eval.f1.toFixed(4),
      solver: o.selection.cv.solver,
      timings: o.timings,
    };
  const cpu = process.cpuUsage(cpu0);
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, kernels };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export const benchmarks: Benchmark[] = [
  {
    name: 'ntk_stage_compare_nngp',
    n: 6091,
    repeats: 1,
    setup: (): State => {
      const X = pcaLikeRows(N_TRAIN, 1),
        Z = pcaLikeRows(N_TEST, 2);
      const target = labels(X, 3);
      const split = stratifiedSplit(target, { evalFraction: 0.2, folds: 5, seed: 42 });
      return { X, Z, target, split, ntkOnly: [], compare: [], cpu: { ntkOnly: [], compare: [] }, last: {}, loadStart: loadavg()[0] };
    },
    run: async (state) => {
      const st = state as State;
      // Alternate which variant goes first, so that a drift in the machine's speed lands on both.
      const order: Array<'ntk' | 'both'> = st.ntkOnly.length % 2 ? ['both', 'ntk'] : ['ntk', 'both'];
      for (const v of order) {
        const r = await stageWork(st, v === 'both' ? ['nngp'] : []);
        (v === 'both' ? st.compare : st.ntkOnly).push(r.seconds);
        (v === 'both' ? st.cpu.compare : st.cpu.ntkOnly).push(r.cpuSeconds);
        st.last[v === 'both' ? 'compare_steps' : 'ntk_only_steps'] = r.kernels;
      }
    },
    extra: (_s, state) => {
      const st = state as State;
      const ratios = st.compare.map((c, i) => c / st.ntkOnly[i]);
      return {
        ntk_only_seconds: +median(st.ntkOnly).toFixed(2),
        compare_nngp_seconds: +median(st.compare).toFixed(2),
        ratio: +median(ratios).toFixed(3),
        ntk_only_cpu_seconds: +median(st.cpu.ntkOnly).toFixed(2),
        compare_nngp_cpu_seconds: +median(st.cpu.compare).toFixed(2),
        cpu_ratio: +median(st.cpu.compare.map((c, i) => c / st.cpu.ntkOnly[i])).toFixed(3),
        loadavg_1min: [+st.loadStart.toFixed(2), +loadavg()[0].toFixed(2)],
        rounds: st.ntkOnly.length,
        fit_rows: st.split.isEval.reduce((a, e) => a + (e ? 0 : 1), 0),
        train_rows: N_TRAIN,
        test_rows: N_TEST,
        d: D,
        backend: backendInfo().name,
        threads: backendInfo().threads,
        ...st.last,
      };
    },
  },
];
