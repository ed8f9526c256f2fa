import { fail } from '@tangent/base';
import { eigh, gemm, matVec, mat64, type Mat64 } from '@tangent/linalg';

/**
 * K = V diag(s) Vᵀ once, then every ridge solve is cheap:
 *   α(λ) = V diag(1/(s + λ)) Vᵀ y    (spectral form of (K + λI)⁻¹ y; Hastie et al. 2009, §5.8)
 * so a grid of λ costs one eigendecomposition plus O(n²) per λ instead of one Cholesky each.
 * With T right-hand sides Y (n × T, e.g. one-hot classes) the same V serves all: A(λ) = V diag(1/(s + λ)) Vᵀ Y.
 */
export interface RidgeSpectrum {
  /** Eigenvalues s, ascending. */
  values: Float64Array;
  /** Eigenvectors V (column j ↔ s_j). */
  vectors: Mat64;
  /** Vᵀ y: n values for one target vector; n × T row-major for T targets. */
  proj: Float64Array;
  /** Right-hand sides T: 1 for a target vector y, Y.cols for a target matrix Y. */
  targets: number;
}

/** Targets as a flat row-major n × T array: a vector is T = 1; a matrix (n × T, T ≥ 2) its columns. */
export function targetColumns(y: Float64Array | Mat64): { data: Float64Array; rows: number; targets: number } {
  if (ArrayBuffer.isView(y)) return { data: y, rows: y.length, targets: 1 };
  if (y.cols < 2) fail(`kernel ridge: a target matrix needs at least 2 columns (got ${y.rows}×${y.cols}); pass one target as a vector`);
  return { data: y.data, rows: y.rows, targets: y.cols };
}

export function ridgeSpectrum(K: Mat64, y: Float64Array | Mat64, opts: { overwrite?: boolean } = {}): RidgeSpectrum {
  if (K.rows !== K.cols) fail(`ridgeSpectrum: kernel must be square, got ${K.rows}×${K.cols}`);
  const Y = targetColumns(y);
  if (Y.rows !== K.rows) fail(`ridgeSpectrum: ${Y.rows} targets for a ${K.rows}×${K.rows} kernel`);
  const { values, vectors } = eigh(K, { overwrite: opts.overwrite });
  const proj = ArrayBuffer.isView(y) ? matVec(vectors, y, true) : gemm(vectors, y, { transA: true }).data;
  return { values, vectors, proj, targets: Y.targets };
}

/**
 * 1/(s_j + λ) for each λ as an n × |λ| matrix; refuses λ for which s + λ is numerically singular
 * (λ = 0 on a rank-deficient kernel, e.g. duplicate inputs) rather than returning NaN/Inf.
 */
export function shiftedInverse(values: Float64Array, lambdas: ArrayLike<number>, what = 'kernel ridge'): Mat64 {
  const n = values.length,
    m = lambdas.length;
  let smax = 0;
  for (let j = 0; j < n; j++) smax = Math.max(smax, Math.abs(values[j]));
  // Eigenvalues below n·ε·max|s| are indistinguishable from 0 in float64.
  const tiny = n * 2.220446049250313e-16 * smax;
  const out = mat64(n, m);
  for (let c = 0; c < m; c++) {
    const lam = lambdas[c];
    if (!(lam >= 0) || !Number.isFinite(lam)) fail(`${what}: lambda must be a finite number ≥ 0, got ${lam}`);
    for (let j = 0; j < n; j++) {
      const den = values[j] + lam;
      if (!(den > tiny))
        fail(
          `${what}: K + λI is singular at λ = ${lam} (eigenvalue ${values[j].toExponential(3)}; duplicate or collinear inputs?); ` +
            `use λ > 0 or a diagonal jitter (pipeline: ntk.lambdas / ntk.jitter in configs/pipeline.yaml)`,
        );
      out.data[j * m + c] = 1 / den;
    }
  }
  return out;
}

/**
 * α for every λ at once: n × (|λ|·T), column c·T + t ↔ (lambdas[c], target t) (for one target,
 * column c ↔ lambdas[c]): V · Q with Q_j,(c,t) = (Vᵀy_t)_j / (s_j + λ_c).
 */
export function spectralRidgeAlphas(spec: RidgeSpectrum, lambdas: ArrayLike<number>, what?: string): Mat64 {
  const inv = shiftedInverse(spec.values, lambdas, what);
  const n = spec.values.length,
    m = lambdas.length,
    T = spec.targets;
  if (T === 1) {
    for (let j = 0; j < n; j++) for (let c = 0; c < m; c++) inv.data[j * m + c] *= spec.proj[j];
    return gemm(spec.vectors, inv);
  }
  const Q = mat64(n, m * T);
  for (let j = 0; j < n; j++)
    for (let c = 0; c < m; c++) for (let t = 0; t < T; t++) Q.data[(j * m + c) * T + t] = inv.data[j * m + c] * spec.proj[j * T + t];
  return gemm(spec.vectors, Q);
}
