/**
 * Principal component analysis in float64 on the linalg core: covariance by SYRK, spectrum by
 * a symmetric eigensolver, projection by GEMM.
 */
import { fail } from '@tangent/base';
import { colMeans, eigh, gemm, mat64, normalizeRows, subtractRow, syrk, type Mat32, type Mat64, type Matrix } from '@tangent/linalg';

export interface PcaModel {
  /** Column means of the fitting data (length D). */
  mean: Float64Array;
  /** d × D; row k is the k-th principal axis (unit norm), by decreasing variance. */
  components: Mat64;
  /** Variance along each axis (eigenvalues of the sample covariance, divisor n − 1). */
  variances: Float64Array;
  /** variances / total variance. */
  explainedVarianceRatio: Float64Array;
  /** Trace of the covariance: the variance of all D dimensions. */
  totalVariance: number;
  /** Rows the model was fitted on. */
  fitRows: number;
}

function toFloat64(X: Matrix): Mat64 {
  return mat64(X.rows, X.cols, X.data instanceof Float64Array ? X.data.slice() : Float64Array.from(X.data));
}

/**
 * Fit PCA: C = (X − 1μᵀ)ᵀ(X − 1μᵀ)/(n − 1), C = VΛVᵀ, keep the d largest eigenpairs.
 * The eigensolver is LAPACK when the backend has one, else linalg's TypeScript tridiagonal-QL
 * solver, which handles the D×D covariance (D of a few hundred) in about a second.
 * Sign convention: each axis has its largest-magnitude entry positive, so refits are stable.
 */
export function fitPca(X: Matrix, d: number): PcaModel {
  const n = X.rows;
  const D = X.cols;
  if (!Number.isInteger(d) || d < 1) fail(`pca: d must be a whole number >= 1, got ${d}`);
  if (d > D) fail(`pca: d=${d} exceeds the embedding dimension ${D}; choose d <= ${D}`);
  if (n < 2) fail(`pca: need at least 2 rows to fit, got ${n}`);
  if (d > n - 1) fail(`pca: d=${d} exceeds the rank bound n−1=${n - 1} of ${n} centred rows; choose d <= ${n - 1}`);
  const Xc = toFloat64(X);
  for (let i = 0; i < Xc.data.length; i++)
    if (!Number.isFinite(Xc.data[i])) fail(`pca: non-finite value in row ${Math.floor(i / D)}, column ${i % D} of the fitting data`);
  const mean = colMeans(Xc);
  subtractRow(Xc, mean);
  const C = syrk(Xc, { trans: true, alpha: 1 / (n - 1) });
  const { values, vectors } = eigh(C);
  let total = 0;
  for (let i = 0; i < D; i++) total += C.data[i * D + i];
  const components = mat64(d, D);
  const variances = new Float64Array(d);
  for (let k = 0; k < d; k++) {
    const j = D - 1 - k; // eigh is ascending
    // Round-off can leave tiny negative eigenvalues of a rank-deficient covariance.
    variances[k] = Math.max(0, values[j]);
    let big = 0;
    for (let i = 0; i < D; i++) {
      const v = vectors.data[i * D + j];
      if (Math.abs(v) > Math.abs(big)) big = v;
    }
    const s = big < 0 ? -1 : 1;
    for (let i = 0; i < D; i++) components.data[k * D + i] = s * vectors.data[i * D + j];
  }
  const explainedVarianceRatio = variances.map((v) => (total > 0 ? v / total : 0));
  return { mean, components, variances, explainedVarianceRatio, totalVariance: total, fitRows: n };
}

/** Y = (X − 1μᵀ)·Wᵀ: coordinates along the d principal axes (float64). */
export function projectPca(model: PcaModel, X: Matrix): Mat64 {
  if (X.cols !== model.mean.length) fail(`pca: data has ${X.cols} columns but the model was fitted on ${model.mean.length}`);
  const Xc = subtractRow(toFloat64(X), model.mean);
  return gemm(Xc, model.components, { transB: true });
}

/** Scale rows of Y to unit Euclidean norm in place (an all-zero row stays zero); return them as float32 for the artifact. */
export function unitRows32(Y: Mat64): Mat32 {
  normalizeRows(Y);
  return { rows: Y.rows, cols: Y.cols, data: Float32Array.from(Y.data) };
}
