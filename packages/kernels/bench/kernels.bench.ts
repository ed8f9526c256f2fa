/**
 * Stage 4 benchmarks on random unit-norm inputs (the PCA stage's output is unit-norm, d = 128,
 * N = 7613 = the Kaggle train set). Compare with bench/krr-cv-numpy.py (same protocol).
 */
import { backendInfo, hasEigh, mat64, rng, type Mat64 } from '@tangent/linalg';
import type { Benchmark } from '../../../tools/bench.ts';
import { encodeLabels } from '../src/classification-metrics.ts';
import { crossValidateRidge, foldSummary, logGrid, type RidgeSolver } from '../src/cross-validate-ridge.ts';
import { ntkGramAsync, ntkNngpGramAsync } from '../src/ntk-gram.ts';
import { stratifiedSplit } from '../src/stratified-split.ts';

const N = 7613,
  D = 128;

function unitRows(n: number, d: number, seed: number): Mat64 {
  const r = rng(seed);
  const X = mat64(n, d, r.fillNormal(new Float64Array(n * d)));
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += X.data[i * d + k] ** 2;
    s = 1 / Math.sqrt(s);
    for (let k = 0; k < d; k++) X.data[i * d + k] *= s;
  }
  return X;
}

/** Labels from a fixed nonlinear rule of the inputs plus noise, so CV has a signal to find. */
function labels(X: Mat64, seed: number): Int8Array {
  const r = rng(seed);
  return Int8Array.from({ length: X.rows }, (_, i) =>
    X.data[i * D] * X.data[i * D + 1] * 40 + X.data[i * D + 2] * 6 + 0.5 * r.normal() > 0 ? 1 : 0,
  );
}

function cvBench(name: string, solver: RidgeSolver): Benchmark {
  return {
    name,
    n: N,
    repeats: 1,
    setup: () => {
      const X = unitRows(N, D, 1);
      return { X, t: labels(X, 2) };
    },
    run: async (state) => {
      const { X, t } = state as { X: Mat64; t: Int8Array };
      const K = await ntkGramAsync(X, undefined, { depth: 2 });
      // All N rows are cross-validated (no eval hold-out): folds train on 6090, validate on 1523.
      const { fold } = stratifiedSplit(t, { evalFraction: 0, folds: 5, seed: 3 });
      const cv = crossValidateRidge(K, encodeLabels(t), t, fold, { lambdas: logGrid(1e-4, 1e2, 20), solver });
      const { mean } = foldSummary(cv.accuracy);
      (state as { best?: number; solver?: string }).best = Math.max(...mean);
      (state as { best?: number; solver?: string }).solver = cv.solver;
    },
    extra: (_s, state) => ({
      solver: (state as { solver: string }).solver,
      eigh: hasEigh(),
      best_cv_accuracy: +(state as { best: number }).best.toFixed(4),
      backend: backendInfo().name,
    }),
  };
}

export const benchmarks: Benchmark[] = [
  {
    name: 'ntk_gram_7613_d128',
    n: N,
    setup: () => unitRows(N, D, 1),
    run: async (X) => {
      await ntkGramAsync(X as Mat64, undefined, { depth: 2 });
    },
    peer: { name: 'numpy', script: 'packages/linalg/bench/peer-numpy.py', args: ['ntk_gram', String(N), String(D)] },
    extra: (s) => ({ entries_per_second: Math.round((N * N) / s), backend: backendInfo().name, threads: backendInfo().threads }),
  },
  {
    // Θ and Σ from one pass (ntkNngpGramAsync, the ntk stage with compare: [nngp]) against two
    // ntkGramAsync passes, alternating in the same run; "seconds" is both variants together.
    name: 'ntk_nngp_gram_7613_d128',
    n: N,
    setup: () => ({ X: unitRows(N, D, 1), one: [] as number[], two: [] as number[] }),
    run: async (state) => {
      const s = state as { X: Mat64; one: number[]; two: number[] };
      const time = async (f: () => Promise<unknown>) => {
        const t0 = performance.now();
        await f();
        return (performance.now() - t0) / 1000;
      };
      const one = () => ntkNngpGramAsync(s.X, undefined, { depth: 2 });
      const two = async () => [
        await ntkGramAsync(s.X, undefined, { depth: 2 }),
        await ntkGramAsync(s.X, undefined, { depth: 2, kind: 'nngp' }),
      ];
      if (s.one.length % 2) (s.two.push(await time(two)), s.one.push(await time(one)));
      else (s.one.push(await time(one)), s.two.push(await time(two)));
    },
    extra: (_s, state) => {
      const { one, two } = state as { one: number[]; two: number[] };
      const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      return {
        one_pass_seconds: +med(one).toFixed(3),
        two_passes_seconds: +med(two).toFixed(3),
        ratio: +med(one.map((o, i) => o / two[i])).toFixed(3),
        backend: backendInfo().name,
        threads: backendInfo().threads,
      };
    },
  },
  cvBench('krr_cv_7613_d128_5x20', 'auto'),
  cvBench('krr_cv_7613_d128_5x20_cholesky', 'cholesky'),
];
