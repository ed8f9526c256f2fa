/** Stage 3's math at the pipeline's size: 7613 train tweets, 384-dim embeddings → 128 dims. */
import type { Benchmark } from '../../../tools/bench.ts';
import { backendInfo, mat32, rng, type Mat32 } from '@tangent/linalg';
import { fitPca, projectPca, unitRows32 } from '../src/pca.ts';

const n = 7613,
  D = 384,
  d = 128;

export const benchmarks: Benchmark[] = [
  {
    name: 'pca_7613_384_to_128',
    n,
    setup: () => {
      // Correlated like real sentence embeddings: a decaying spectrum, not white noise.
      const r = rng(7);
      const scales = Float32Array.from({ length: D }, (_, j) => 0.97 ** j);
      const X = mat32(n, D, r.fillNormal(new Float32Array(n * D)));
      for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) X.data[i * D + j] *= scales[j];
      return X;
    },
    run: (X) => {
      const model = fitPca(X as Mat32, d);
      unitRows32(projectPca(model, X as Mat32));
    },
    extra: () => ({ backend: backendInfo().name, threads: backendInfo().threads }),
  },
];
