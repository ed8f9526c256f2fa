// NTK Gram + kernel ridge regression on a small fixed array; prints JSON. Run in the repo
// (node --import tsx, from sources) and in the consumer project (plain node, packed build):
// the consumer test compares the two.
import { kernelRidgeFit, kernelRidgePredict, ntkGram, ntkGramAsync } from '@tangent/kernels';
import { mat64 } from '@tangent/linalg';

const n = 12,
  d = 5;
const X = mat64(
  n,
  d,
  Array.from({ length: n * d }, (_, i) => Math.sin(1.7 * i + 0.3)),
);
const y = Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : -1));
const K = ntkGram(X);
const alpha = kernelRidgeFit(K, y, 1e-2);
const fitted = kernelRidgePredict(K, alpha);
// The threaded Gram runs its map in worker threads (gram-worker-boot.mjs) above 4M entries.
const m = 2000;
const Z = mat64(
  m,
  d,
  Array.from({ length: m * d }, (_, i) => Math.cos(0.37 * i)),
);
const big = await ntkGramAsync(Z, undefined, { depth: 2, threads: 2 });
const ref = ntkGram(Z);
let workerMaxDiff = 0;
for (let i = 0; i < big.data.length; i += 997) workerMaxDiff = Math.max(workerMaxDiff, Math.abs(big.data[i] - ref.data[i]));
console.log(JSON.stringify({ K: Array.from(K.data), alpha: Array.from(alpha), fitted: Array.from(fitted), workerMaxDiff }));
