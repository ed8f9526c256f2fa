/**
 * K > 2 classes for the K-output network: targets in the ntk stage's one-vs-rest ±1 coding
 * (encodeOneHot 'pm1' of @tangent/kernels: +1 for the row's class, −1 for every other, so each
 * output regresses its own binary ±1 problem and the MSE reads as the binary network's), the
 * predicted class argmax_k f_k(x), and the scores the project reports for K classes (accuracy,
 * macro-F1, per-class recall: multiclassMetrics, the ntk stage's).
 */
import { argmaxLabels, encodeOneHot, multiclassMetrics, type MulticlassMetrics } from '@tangent/kernels';
import { gatherRows } from '@tangent/linalg';

/** Row i: +1 at column t_i, −1 elsewhere (n × K row-major, float32); a row without a class (t_i < 0 or null) stays 0. */
export function oneVsRestTargets(t: ArrayLike<number | null>, K: number): Float32Array {
  const labelled = Array.from({ length: t.length }, (_, i) => i).filter((i) => t[i] !== null && t[i]! >= 0);
  const Y = encodeOneHot(
    labelled.map((i) => t[i]!),
    K,
    'pm1',
  );
  const out = new Float32Array(t.length * K);
  labelled.forEach((i, a) => out.set(Y.data.subarray(a * K, (a + 1) * K), i * K));
  return out;
}

/** argmax_k F[i, k] per row of a row-major n × K matrix (argmaxLabels: ties to the lower class). */
export const argmaxRows = (F: Float32Array | Float64Array, K: number): Int8Array => argmaxLabels({ rows: F.length / K, cols: K, data: F });

/** Rows `idx` of a row-major n × K matrix held flat (linalg's gatherRows). */
export const gatherTargetRows = (Y: Float32Array, K: number, idx: ArrayLike<number>): Float32Array =>
  gatherRows({ rows: Y.length / K, cols: K, data: Y }, idx).data;

/** The K-class scores of outputs F (n × K) against the classes `truth`: accuracy, macro-F1, per-class recall (NaN: a class without rows). */
export function classScores(F: Float32Array, truth: Int8Array, K: number): MulticlassMetrics {
  return multiclassMetrics(argmaxRows(F, K), truth, K);
}

/**
 * Kernel–target alignment of a kernel with K target columns (Cristianini et al. 2002 with the
 * target kernel Y Yᵀ, as for multi-class in Cortes et al. 2012):
 *   A(Θ, Y) = ⟨Θ, Y Yᵀ⟩_F / (‖Θ‖_F ‖Y Yᵀ‖_F) = Σ_k y_kᵀ Θ y_k / (‖Θ‖_F ‖YᵀY‖_F),
 * which for K = 1 is the binary yᵀΘy / (‖Θ‖_F ‖y‖²). `theta` holds the lower triangle of an n × n
 * kernel (row-major), Y is n × K row-major. Uncentred, like the binary alignment.
 */
export function outputAlignment(theta: Float64Array, Y: ArrayLike<number>, K: number): number {
  const n = Y.length / K;
  let fro = 0,
    tyy = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      const v = theta[i * n + j],
        w = j === i ? 1 : 2;
      let yy = 0;
      for (let k = 0; k < K; k++) yy += Y[i * K + k] * Y[j * K + k];
      fro += w * v * v;
      tyy += w * v * yy;
    }
  let g = 0; // ‖YᵀY‖²_F
  for (let k = 0; k < K; k++)
    for (let l = 0; l < K; l++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += Y[i * K + k] * Y[i * K + l];
      g += s * s;
    }
  return tyy / (Math.sqrt(fro) * Math.sqrt(g));
}
