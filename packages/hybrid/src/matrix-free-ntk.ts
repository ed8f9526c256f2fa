/**
 * The linearised network at θ0 without Θ0 or J0 in memory (issue 14). Two network passes give
 * every product the NTK methods need, on all training rows:
 *   J0ᵀ u  — backward at θ0 with output gradient u (reverse mode, nn's `backward`),
 *   J0 v   — forward-mode tangent pass at θ0 along v (nn's `jvp`),
 *   Θ0 u   = J0 (J0ᵀ u)   (Lee et al. 2019, eq. 6: Θ0 = J0 J0ᵀ, rows i·K + o).
 * The network runs in float32 (the training dtype); vectors in function space, Lanczos and the
 * spectral coefficients are float64.
 *
 *  - linearised descent, `linearisedSgd`: SGD on f_lin(θ) = f0 + J0 (θ − θ0) with the SGD phase's batch size
 *    and step η, δθ ← δθ − (η/B) J0,Bᵀ g(f0,B + J0,B δθ): per step one forward, one JVP and one
 *    backward on the batch — the cost of an SGD step (plus a tangent pass).
 *  - functional evolution and integrated flow, `lowRankFlow`: w = φ(Θ0) r0 for the scalar flow
 *    function φ of the first (geometric sum) or the second (integrated flow), r0 = f0 − y. The top-k eigenpairs (Lanczos on Θ0 u) carry φ
 *    exactly on span(V_k); the complement flow φ(P⊥Θ0P⊥) P⊥ r0 is a Krylov (Lanczos) matrix
 *    function on the deflated operator: no eigenvalue of the complement is dropped or frozen.
 */
import {
  axpy,
  dot,
  gatherRows,
  krylovFunction,
  topEigenpairs,
  type Eigenpairs,
  type Mat32,
  type Rng,
  type SymmetricOperator,
} from '@tangent/linalg';
import { backward, forward, jvp, type ForwardCache, type Mlp } from '@tangent/nn';
import { outputResidual, type LinearLoss } from './linearised-model.ts';

export interface MatrixFreeNtk {
  n: number;
  K: number;
  P: number;
  /** f(θ0) on the rows, length n·K (rows i·K + o). */
  f0: Float64Array;
  /** J0ᵀ u (length P). */
  vjp(u: Float64Array): Float32Array;
  /** J0 v (length n·K). */
  jvp(v: Float32Array): Float64Array;
  /** Θ0 u = J0 (J0ᵀ u). */
  times(u: Float64Array): Float64Array;
}

/** Products at θ0 over the rows of X, forward caches kept per block of `block` rows (activations only). */
export function matrixFreeNtk(net0: Mlp, X: Mat32, block = 4096): MatrixFreeNtk {
  const K = net0.spec.sizes[net0.spec.sizes.length - 1];
  const P = net0.params.length;
  const n = X.rows;
  const blocks: Array<{ r0: number; r1: number; cache: ForwardCache }> = [];
  const f0 = new Float64Array(n * K);
  for (let r0 = 0; r0 < n; r0 += block) {
    const r1 = Math.min(n, r0 + block);
    const view: Mat32 = { rows: r1 - r0, cols: X.cols, data: X.data.subarray(r0 * X.cols, r1 * X.cols) };
    const { out, cache } = forward(net0, view);
    f0.set(out.data, r0 * K);
    blocks.push({ r0, r1, cache });
  }
  const vjp = (u: Float64Array): Float32Array => {
    const g = new Float64Array(P);
    const tmp = new Float32Array(P);
    for (const b of blocks) {
      const U: Mat32 = { rows: b.r1 - b.r0, cols: K, data: Float32Array.from(u.subarray(b.r0 * K, b.r1 * K)) };
      backward(net0, b.cache, U, tmp);
      for (let i = 0; i < P; i++) g[i] += tmp[i];
    }
    return Float32Array.from(g);
  };
  const jv = (v: Float32Array): Float64Array => {
    const out = new Float64Array(n * K);
    for (const b of blocks) out.set(jvp(net0, b.cache, v).data, b.r0 * K);
    return out;
  };
  return { n, K, P, f0, vjp, jvp: jv, times: (u) => jv(vjp(u)) };
}

/**
 * Linearised descent on all training rows: mini-batch SGD on the linearised model (same batches, η and step
 * count as the SGD phase). Returns δθ = θ − θ0 and the mean batch loss per epoch.
 */
export function linearisedSgd(
  net0: Mlp,
  X: Mat32,
  y: Float32Array,
  opts: { lr: number; batchSize: number; steps: number; loss: LinearLoss; rng: Rng },
): { delta: Float32Array; trace: Array<{ step: number; loss: number }> } {
  const N = X.rows,
    K = net0.spec.sizes[net0.spec.sizes.length - 1],
    P = net0.params.length;
  const bs = Math.min(opts.batchSize, N);
  const delta = new Float32Array(P);
  const grad = new Float32Array(P);
  const trace: Array<{ step: number; loss: number }> = [];
  let step = 0;
  while (step < opts.steps) {
    const order = opts.rng.permutation(N);
    let sum = 0,
      cnt = 0;
    for (let s = 0; s < N && step < opts.steps; s += bs, step++) {
      const idx = order.subarray(s, Math.min(N, s + bs));
      const B = idx.length;
      const { out, cache } = forward(net0, gatherRows(X, idx)); // f0 on the batch
      const Jd = jvp(net0, cache, delta); // J0,B δθ
      const f = new Float64Array(B * K),
        yb = new Float64Array(B * K);
      for (let i = 0; i < B; i++)
        for (let o = 0; o < K; o++) {
          f[i * K + o] = out.data[i * K + o] + Jd.data[i * K + o];
          yb[i * K + o] = y[idx[i] * K + o];
        }
      const g = outputResidual(opts.loss, f, yb, K, new Float64Array(B * K));
      let l = 0;
      for (let i = 0; i < g.length; i++) l += opts.loss === 'mse' ? 0.5 * g[i] * g[i] : 0;
      sum += l / B;
      cnt++;
      backward(net0, cache, { rows: B, cols: K, data: Float32Array.from(g, (v) => v / B) }, grad); // (1/B) J0,Bᵀ g
      for (let i = 0; i < P; i++) delta[i] -= opts.lr * grad[i];
    }
    trace.push({ step, loss: opts.loss === 'mse' ? sum / cnt : NaN });
  }
  return { delta, trace };
}

/** u ↦ Θ0 u as the in-place operator Lanczos takes. */
const theta0 =
  (mf: MatrixFreeNtk): SymmetricOperator =>
  (u, out) =>
    out.set(mf.times(u));

/** Top-k eigenpairs of Θ0 by Lanczos on the matrix-free product. */
export function ntkEigenpairs(mf: MatrixFreeNtk, k: number, opts: { steps?: number; seed?: number } = {}): Eigenpairs {
  return topEigenpairs(theta0(mf), mf.n * mf.K, k, opts);
}

/**
 * w = φ(Θ0) r0 = V_k φ(Λ_k) V_kᵀ r0 + φ(P⊥Θ0P⊥) P⊥ r0 (Krylov, `complementSteps` Lanczos steps).
 * Eigenvalues below rcond·λ_max in the top-k part are Θ0's null space and dropped (J0ᵀ v = 0).
 */
export function lowRankFlow(
  mf: MatrixFreeNtk,
  eig: Eigenpairs,
  r0: Float64Array,
  phi: (lambda: number) => number,
  opts: { complementSteps: number; rcond?: number },
): Float64Array {
  const M = r0.length;
  const w = new Float64Array(M);
  const rPerp = Float64Array.from(r0);
  const cut = (opts.rcond ?? 1e-10) * (eig.values[0] ?? 0);
  eig.vectors.forEach((v, j) => {
    const c = dot(v, r0);
    axpy(eig.values[j] > cut ? phi(eig.values[j]) * c : 0, v, w);
    axpy(-c, v, rPerp);
  });
  const project = (x: Float64Array) => {
    for (const v of eig.vectors) axpy(-dot(v, x), v, x);
  };
  if (opts.complementSteps > 0) {
    const wc = krylovFunction(theta0(mf), rPerp, opts.complementSteps, phi, { project });
    for (let i = 0; i < M; i++) w[i] += wc[i];
  }
  return w;
}
