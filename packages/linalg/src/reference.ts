/**
 * Plain TypeScript kernels: slow but dependency-free, and the oracle the native and
 * onnxruntime backends are tested against. All matrices are row-major and contiguous
 * (leading dimension = number of columns), exactly like `Matrix`.
 */
import type { FloatArray } from './matrix.ts';

/** C = alpha·op(A)·op(B) + beta·C with op(A) m×k, op(B) k×n. */
export function gemmRef(
  ta: boolean,
  tb: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: FloatArray,
  b: FloatArray,
  beta: number,
  c: FloatArray,
): void {
  // Accumulate each output row in float64 whatever the storage type, then write once:
  // the reference should be at least as accurate as what it checks.
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const aip = ta ? a[p * m + i] : a[i * k + p];
      if (aip === 0) continue;
      if (tb) for (let j = 0; j < n; j++) row[j] += aip * b[j * k + p];
      else {
        const off = p * n;
        for (let j = 0; j < n; j++) row[j] += aip * b[off + j];
      }
    }
    const off = i * n;
    if (beta === 0) for (let j = 0; j < n; j++) c[off + j] = alpha * row[j];
    else for (let j = 0; j < n; j++) c[off + j] = alpha * row[j] + beta * c[off + j];
  }
}

/** Lower triangle of C (n×n) = alpha·A·Aᵀ (A n×k) or alpha·Aᵀ·A (trans, A k×n); upper untouched. */
export function syrkLowerRef(trans: boolean, n: number, k: number, alpha: number, a: FloatArray, c: FloatArray): void {
  if (!trans) {
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[i * k + p] * a[j * k + p];
        c[i * n + j] = alpha * s;
      }
    return;
  }
  const acc = new Float64Array(n * n);
  for (let p = 0; p < k; p++) {
    const off = p * n;
    for (let i = 0; i < n; i++) {
      const v = a[off + i];
      if (v === 0) continue;
      for (let j = 0; j <= i; j++) acc[i * n + j] += v * a[off + j];
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) c[i * n + j] = alpha * acc[i * n + j];
}

/**
 * In-place lower Cholesky (Cholesky–Banachiewicz, row by row so inner products run over
 * contiguous rows). Returns 0, or the 1-based index of the first non-positive pivot.
 * Only the lower triangle is read or written.
 */
export function potrfLowerRef(n: number, a: FloatArray): number {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s = a[ri + j];
      for (let p = 0; p < j; p++) s -= a[ri + p] * a[rj + p];
      if (i === j) {
        if (!(s > 0)) return i + 1; // also catches NaN
        a[ri + i] = Math.sqrt(s);
      } else a[ri + j] = s / a[rj + j];
    }
  }
  return 0;
}

/** B (n×m) := op(T)⁻¹·B for triangular T (n×n), lower or upper, op = identity or transpose. */
export function trsmLeftRef(lower: boolean, trans: boolean, n: number, m: number, t: FloatArray, b: FloatArray): void {
  // op(T) is lower-triangular exactly when (lower XOR trans): then solve forwards.
  const forward = lower !== trans;
  const at = trans ? (i: number, p: number) => t[p * n + i] : (i: number, p: number) => t[i * n + p];
  const row = new Float64Array(m);
  for (let s = 0; s < n; s++) {
    const i = forward ? s : n - 1 - s;
    for (let j = 0; j < m; j++) row[j] = b[i * m + j];
    const lo = forward ? 0 : i + 1;
    const hi = forward ? i : n;
    for (let p = lo; p < hi; p++) {
      const f = at(i, p);
      if (f === 0) continue;
      const off = p * m;
      for (let j = 0; j < m; j++) row[j] -= f * b[off + j];
    }
    const d = at(i, i);
    for (let j = 0; j < m; j++) b[i * m + j] = row[j] / d;
  }
}

/**
 * Symmetric eigendecomposition by Householder tridiagonalisation + implicit QL (tred2/tql2,
 * after EISPACK via JAMA). `a` (n×n, symmetric) is overwritten with the eigenvectors:
 * column j is the eigenvector of w[j]; w ascending. O(n³): fine for the D×D covariances
 * (D ≤ ~1000) and as a test oracle.
 */
export function syevRef(n: number, a: Float64Array, w: Float64Array): void {
  if (n === 0) return;
  // tred2 runs on the transpose of JAMA's V (V[i][j] lives at V[j * n + i]), so every O(n³)
  // loop walks contiguous memory; its result is then exactly the Vᵀ that tql2 wants.
  const V = a;
  const d = w;
  const e = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) V[j * n + i] = V[i * n + j];

  // tred2: Householder reduction to tridiagonal form.
  for (let j = 0; j < n; j++) d[j] = V[j * n + n - 1];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[j * n + i - 1];
        V[j * n + i] = 0;
        V[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[i * n + j] = f;
        g = e[j] + V[j * n + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[j * n + k] * d[k];
          e[k] += V[j * n + k] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[j * n + k] -= f * e[k] + g * d[k];
        d[j] = V[j * n + i - 1];
        V[j * n + i] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    V[i * n + n - 1] = V[i * n + i];
    V[i * n + i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[(i + 1) * n + k] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[(i + 1) * n + k] * V[j * n + k];
        for (let k = 0; k <= i; k++) V[j * n + k] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[(i + 1) * n + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[j * n + n - 1];
    V[j * n + n - 1] = 0;
  }
  V[n * n - 1] = 1;
  e[0] = 0;

  // tql2 rotates columns of V, i.e. contiguous rows of Vt.
  const Vt = V;
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new Error(`syevRef: QL iteration did not converge for eigenvalue ${l}`);
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.sqrt(p * p + 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          const r0 = i * n;
          const r1 = (i + 1) * n;
          for (let k = 0; k < n; k++) {
            const hk = Vt[r1 + k];
            const vk = Vt[r0 + k];
            Vt[r1 + k] = s * vk + c * hk;
            Vt[r0 + k] = c * vk - s * hk;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  // Sort ascending (selection sort on values, swapping eigenvector rows of Vt).
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let p = d[i];
    for (let j = i + 1; j < n; j++)
      if (d[j] < p) {
        k = j;
        p = d[j];
      }
    if (k !== i) {
      d[k] = d[i];
      d[i] = p;
      const tmp = Vt.slice(i * n, i * n + n);
      Vt.copyWithin(i * n, k * n, k * n + n);
      Vt.set(tmp, k * n);
    }
  }
  transposeSquareInPlace(n, V);
}

/** In-place transpose of an n×n row-major matrix, in cache-sized tiles. */
export function transposeSquareInPlace(n: number, a: FloatArray): void {
  const B = 64;
  for (let ib = 0; ib < n; ib += B)
    for (let jb = ib; jb < n; jb += B) {
      const ie = Math.min(ib + B, n);
      const je = Math.min(jb + B, n);
      for (let i = ib; i < ie; i++)
        for (let j = jb === ib ? i + 1 : jb; j < je; j++) {
          const t = a[i * n + j];
          a[i * n + j] = a[j * n + i];
          a[j * n + i] = t;
        }
    }
}

function hypot(a: number, b: number): number {
  const x = Math.abs(a);
  const y = Math.abs(b);
  const big = x > y ? x : y;
  if (big === 0) return 0;
  const sa = a / big;
  const sb = b / big;
  return big * Math.sqrt(sa * sa + sb * sb);
}

/** y := alpha·A·x + beta·y, A symmetric n×n row-major, lower triangle read (reference xSYMV). */
export function symvLowerRef(n: number, alpha: number, a: FloatArray, x: FloatArray, beta: number, y: FloatArray): void {
  const acc = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * n,
      xi = x[i];
    let s = 0;
    for (let j = 0; j < i; j++) {
      const v = a[o + j];
      s += v * x[j];
      acc[j] += v * xi;
    }
    acc[i] += s + a[o + i] * xi;
  }
  for (let i = 0; i < n; i++) y[i] = alpha * acc[i] + (beta === 0 ? 0 : beta * y[i]);
}
