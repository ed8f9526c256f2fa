import { fail } from '@tangent/base';
import { mat64, type Mat64 } from '@tangent/linalg';

/**
 * Conjugate gradients for A X = B with A symmetric positive definite, applied to k right-hand
 * sides at once (Hestenes & Stiefel 1952; Saad 2003, Alg. 6.18). Each column runs its own
 * recurrence — its own step α_j = rᵀr / pᵀAp and β_j = r'ᵀr' / rᵀr — so the result is exactly k
 * independent CG solves; only the product A·P is shared (one pass over a streamed kernel serves
 * every class). A column stops moving once |r_j| ≤ tol·|b_j|.
 */
export interface CgOptions {
  /** Iteration cap (default 100). */
  maxIter?: number;
  /** Relative residual |r|/|b| at which a column stops (default 1e-7). */
  tol?: number;
  /** Starting point (default 0). */
  x0?: Mat64;
  /** Called after every iteration with the largest relative residual over the columns. */
  onIter?: (iter: number, relResidual: number) => void;
}

export interface CgResult {
  X: Mat64;
  iterations: number;
  /** Largest relative residual |b − A x|/|b| over the columns (recurrence value). */
  relResidual: number;
  /** Relative residual after each iteration. */
  history: number[];
  converged: boolean;
}

function colSqNorms(A: Mat64): Float64Array {
  const out = new Float64Array(A.cols);
  for (let i = 0; i < A.rows; i++) for (let j = 0; j < A.cols; j++) out[j] += A.data[i * A.cols + j] ** 2;
  return out;
}

function colDots(A: Mat64, B: Mat64): Float64Array {
  const out = new Float64Array(A.cols);
  for (let i = 0; i < A.rows; i++) for (let j = 0; j < A.cols; j++) out[j] += A.data[i * A.cols + j] * B.data[i * A.cols + j];
  return out;
}

/**
 * The recurrence as a generator: it yields each P whose product A·P it needs and is resumed with
 * that product, so one body serves a synchronous operator (conjugateGradient) and one that
 * awaits (conjugateGradientAsync: a kernel streamed by worker threads).
 */
function* cgSteps(B: Mat64, opts: CgOptions): Generator<Mat64, CgResult, Mat64> {
  const n = B.rows,
    k = B.cols;
  const maxIter = opts.maxIter ?? 100,
    tol = opts.tol ?? 1e-7;
  if (!(tol > 0)) fail(`conjugateGradient: tol must be > 0, got ${tol}`);
  const X = opts.x0 ? mat64(n, k, opts.x0.data.slice()) : mat64(n, k);
  const R = mat64(n, k, B.data.slice());
  if (opts.x0) {
    const AX = yield X;
    for (let i = 0; i < R.data.length; i++) R.data[i] -= AX.data[i];
  }
  const bNorm = colSqNorms(B).map(Math.sqrt);
  let rr = colSqNorms(R);
  const P = mat64(n, k, R.data.slice());
  const active = new Uint8Array(k);
  const rel = () => {
    let worst = 0;
    for (let j = 0; j < k; j++) {
      const r = bNorm[j] > 0 ? Math.sqrt(rr[j]) / bNorm[j] : 0;
      active[j] = r > tol ? 1 : 0;
      worst = Math.max(worst, r);
    }
    return worst;
  };
  let res = rel();
  const history: number[] = [];
  let it = 0;
  while (it < maxIter && res > tol) {
    const AP = yield P;
    const pAp = colDots(P, AP);
    const alpha = new Float64Array(k);
    for (let j = 0; j < k; j++) {
      if (!active[j]) continue;
      if (!(pAp[j] > 0)) fail(`conjugateGradient: pᵀAp = ${pAp[j]} ≤ 0 in column ${j}; the operator is not positive definite`);
      alpha[j] = rr[j] / pAp[j];
    }
    for (let i = 0; i < n; i++)
      for (let j = 0; j < k; j++) {
        const a = alpha[j];
        if (a === 0) continue;
        X.data[i * k + j] += a * P.data[i * k + j];
        R.data[i * k + j] -= a * AP.data[i * k + j];
      }
    const rrNew = colSqNorms(R);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < k; j++) {
        if (!active[j]) continue;
        P.data[i * k + j] = R.data[i * k + j] + (rrNew[j] / rr[j]) * P.data[i * k + j];
      }
    rr = rrNew;
    res = rel();
    history.push(res);
    it++;
    opts.onIter?.(it, res);
  }
  return { X, iterations: it, relResidual: res, history, converged: res <= tol };
}

export function conjugateGradient(apply: (P: Mat64) => Mat64, B: Mat64, opts: CgOptions = {}): CgResult {
  const steps = cgSteps(B, opts);
  for (let s = steps.next(); ;) {
    if (s.done) return s.value;
    s = steps.next(apply(s.value));
  }
}

/** conjugateGradient with an operator that returns a promise (the same recurrence, see cgSteps). */
export async function conjugateGradientAsync(apply: (P: Mat64) => Promise<Mat64>, B: Mat64, opts: CgOptions = {}): Promise<CgResult> {
  const steps = cgSteps(B, opts);
  for (let s = steps.next(); ;) {
    if (s.done) return s.value;
    s = steps.next(await apply(s.value));
  }
}
