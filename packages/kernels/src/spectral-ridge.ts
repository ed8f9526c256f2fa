import { fail } from '@tangent/base';
import { eigh, gemm, matVec, mat64, type Mat64 } from '@tangent/linalg';

/**
 * K = V diag(s) Vᵀ once, then every ridge solve is cheap:
 *   α(λ) = V diag(1/(s + λ)) Vᵀ y    (spectral form of (K + λI)⁻¹ y; Hastie et al. 2009, §5.8)
 * so a grid of λ costs one eigendecomposition plus O(n²) per λ instead of one Cholesky each.
 */
export interface RidgeSpectrum {
  /** Eigenvalues s, ascending. */
  values: Float64Array;
  /** Eigenvectors V (column j ↔ s_j). */
  vectors: Mat64;
  /** Vᵀ y. */
  proj: Float64Array;
}

export function ridgeSpectrum(K: Mat64, y: Float64Array, opts: { overwrite?: boolean } = {}): RidgeSpectrum {
  if (K.rows !== K.cols) fail(`ridgeSpectrum: kernel must be square, got ${K.rows}×${K.cols}`);
  if (y.length !== K.rows) fail(`ridgeSpectrum: ${y.length} targets for a ${K.rows}×${K.rows} kernel`);
  const { values, vectors } = eigh(K, { overwrite: opts.overwrite });
  return { values, vectors, proj: matVec(vectors, y, true) };
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

/** α for every λ at once (n × |λ|, column c ↔ lambdas[c]): V · (diag(Vᵀy) · inv). */
export function spectralRidgeAlphas(spec: RidgeSpectrum, lambdas: ArrayLike<number>, what?: string): Mat64 {
  const inv = shiftedInverse(spec.values, lambdas, what);
  const m = lambdas.length;
  for (let j = 0; j < spec.values.length; j++) for (let c = 0; c < m; c++) inv.data[j * m + c] *= spec.proj[j];
  return gemm(spec.vectors, inv);
}
