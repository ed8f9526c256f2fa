/**
 * Dense kernels at the sizes the pipeline uses (NTK Gram matrices of ~7600 tweets). Backend
 * and threads follow TANGENT_BLAS / TANGENT_THREADS, e.g. `TANGENT_BLAS=ort npm run bench -- gemm_f64_4096`.
 */
import type { Benchmark } from '../../../tools/bench.ts';
import {
  backendInfo,
  cholesky,
  choleskySolve,
  eigh,
  gemm,
  hasEigh,
  hugeFloat32,
  hugeFloat64,
  mat32,
  mat64,
  rng,
  type Mat64,
} from '../src/index.ts';

function randomMatrix(n: number, seed: number): Mat64 {
  const A = mat64(n, n, hugeFloat64(n * n)); // allocated like numpy's arrays (huge pages), then filled
  rng(seed).fillNormal(A.data);
  return A;
}

/** Symmetric, strictly diagonally dominant (hence SPD) without an O(n³) setup. */
function spd(n: number, seed: number): Mat64 {
  const r = rng(seed);
  const A = mat64(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) A.data[i * n + j] = A.data[j * n + i] = r.uniform() - 0.5;
    A.data[i * n + i] = n;
  }
  return A;
}

/**
 * C = A B into an output allocated once, on both sides (numpy: `np.matmul(A, B, out=C)`), the
 * way every hot loop here calls gemm. A fresh output per call measures the allocator instead:
 * numpy's lands on huge pages (its allocator advises them), a fresh typed array on 4 KiB pages
 * that fault in during the call, and the 64–128 MB it allocates per call sets off V8's
 * concurrent GC threads, which compete with the two BLAS threads for the two cores (measured:
 * 5–25 % of an f32 call).
 */
function gemmBench(name: string, f32: boolean): Benchmark {
  const n = 4096;
  return {
    name,
    n,
    setup: () => {
      const A = randomMatrix(n, 1),
        B = randomMatrix(n, 2);
      if (!f32) return { A, B, C: mat64(n, n, hugeFloat64(n * n).fill(0)) };
      const A32 = mat32(n, n, hugeFloat32(n * n)),
        B32 = mat32(n, n, hugeFloat32(n * n));
      A32.data.set(A.data);
      B32.data.set(B.data);
      return { A: A32, B: B32, C: mat32(n, n, hugeFloat32(n * n).fill(0)) };
    },
    run: (s) => {
      const { A, B, C } = s as { A: Mat64; B: Mat64; C: Mat64 };
      gemm(A, B, { out: C });
    },
    peer: { name: 'numpy', script: 'packages/linalg/bench/peer-numpy.py', args: ['gemm', f32 ? 'f32' : 'f64', String(n)] },
    extra: (seconds) => ({
      gflops: +((2 * n ** 3) / seconds / 1e9).toFixed(1),
      backend: backendInfo().name,
      threads: backendInfo().threads,
    }),
  };
}

const N = 7600;

export const benchmarks: Benchmark[] = [
  gemmBench('gemm_f64_4096', false),
  gemmBench('gemm_f32_4096', true),
  {
    name: 'cholesky_solve_f64_7600',
    n: N,
    setup: () => ({ A: spd(N, 3), b: rng(4).fillNormal(new Float64Array(N)) }),
    run: (s) => {
      const { A, b } = s as { A: Mat64; b: Float64Array };
      choleskySolve(cholesky(A), b);
    },
    extra: () => ({ backend: backendInfo().name, threads: backendInfo().threads }),
  },
];

// eigh at this size needs LAPACK; without it (TANGENT_BLAS=ort|ts) the benchmark is not offered.
if (hasEigh())
  benchmarks.push({
    name: 'eigh_f64_7600',
    n: N,
    repeats: 1,
    setup: () => {
      const A = randomMatrix(N, 5);
      for (let i = 0; i < N; i++) for (let j = 0; j < i; j++) A.data[j * N + i] = A.data[i * N + j];
      return A;
    },
    run: (A) => {
      eigh(A as Mat64);
    },
    extra: () => ({ backend: backendInfo().name, threads: backendInfo().threads }),
  });
else process.stderr.write('linalg bench: eigh_f64_7600 skipped (backend has no LAPACK eigensolver)\n');
