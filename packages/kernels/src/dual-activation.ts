import { denseInput, type KernelState } from './relu-kernel-recursion.ts';

/**
 * The dual of an activation φ (Daniely, Frostig & Singer 2016): its Gaussian expectations, which
 * are all the infinite-width recursion needs of it. For (u, v) ~ N(0, [[qx, s], [s, qz]]):
 *   dual(qx, qz, s)           = E[φ(u) φ(v)]     (the NNGP step)
 *   derivativeDual(qx, qz, s) = E[φ'(u) φ'(v)]   (the NTK step)
 * and E[φ(u)²] = dual(q, q, q) carries a single input's variance to the next layer.
 *
 * One file per activation defines its dual in closed form (relu-dual.ts, erf-dual.ts) together
 * with φ and φ' for the finite networks, and activation-registry.ts lists them: a new activation
 * is that file plus one registry line.
 */
export interface DualActivation {
  /** The manifest's name for it (`ntk.activation`). */
  name: string;
  /** φ, for the finite networks and Monte-Carlo checks. */
  phi(x: number): number;
  /** φ'. */
  dphi(x: number): number;
  dual(qx: number, qz: number, s: number): number;
  derivativeDual(qx: number, qz: number, s: number): number;
}

export interface NetSpec {
  /** Number of weight layers L ≥ 2 (L − 1 hidden layers). */
  depth: number;
  /** Weight standard deviation σ_w (default 1). */
  sigmaW?: number;
  /** Bias standard deviation σ_b (default 0: no bias). */
  sigmaB?: number;
}

/**
 * Activation then dense layer, the recursion of Jacot et al. (2018, Thm 1) and Arora et al.
 * (2019, eqs. 9–11) with φ left general (NTK parameterisation, as relu-kernel-recursion.ts):
 *   Σ' = σ_w² E[φ(u)φ(v)] + σ_b²,   Θ' = Σ' + σ_w² E[φ'(u)φ'(v)] Θ,   q' = σ_w² E[φ(u)²] + σ_b².
 */
export function activationDense(s: KernelState, act: DualActivation, sigmaW = 1, sigmaB = 0): KernelState {
  const w2 = sigmaW * sigmaW,
    b2 = sigmaB * sigmaB;
  const nngp = w2 * act.dual(s.qx, s.qz, s.nngp) + b2;
  const ntk = nngp + w2 * act.derivativeDual(s.qx, s.qz, s.nngp) * s.ntk;
  return { qx: w2 * act.dual(s.qx, s.qx, s.qx) + b2, qz: w2 * act.dual(s.qz, s.qz, s.qz) + b2, nngp, ntk };
}

/** (NNGP, NTK) of the depth-L network with activation `act` for one pair, from x·x, z·z, x·z. */
export function activationNetKernel(xx: number, zz: number, xz: number, d: number, spec: NetSpec, act: DualActivation): KernelState {
  if (!(spec.depth >= 2) || !Number.isInteger(spec.depth)) throw new RangeError(`depth must be an integer ≥ 2, got ${spec.depth}`);
  let s = denseInput(xx, zz, xz, d, spec.sigmaW, spec.sigmaB);
  for (let l = 1; l < spec.depth; l++) s = activationDense(s, act, spec.sigmaW, spec.sigmaB);
  return s;
}

/**
 * The recursion applied in place to one row of inner products k[j] = x·z_j (j in [j0, j1)):
 * k[j] becomes Θ(x, z_j) (ntk) or Σ(x, z_j). `qx[l]` is q_l(x) and `qz[l][j]` q_l(z_j) from
 * `activationLayerVariances`. The generic path of the Gram (ReLU has its own, unrolled, in
 * relu-kernel-recursion.ts and WebAssembly).
 */
export function activationKernelRow(
  k: Float64Array,
  j0: number,
  j1: number,
  qx: ArrayLike<number>,
  qz: Float64Array[],
  d: number,
  spec: NetSpec,
  act: DualActivation,
  ntk: boolean,
): void {
  const w2 = (spec.sigmaW ?? 1) ** 2,
    b2 = (spec.sigmaB ?? 0) ** 2;
  for (let j = j0; j < j1; j++) {
    let sig = (w2 * k[j]) / d + b2;
    let th = sig;
    for (let l = 0; l < spec.depth - 1; l++) {
      const next = w2 * act.dual(qx[l], qz[l][j], sig) + b2;
      th = next + w2 * act.derivativeDual(qx[l], qz[l][j], sig) * th;
      sig = next;
    }
    k[j] = ntk ? th : sig;
  }
}

/** Per-input NNGP variances q_l(x), l = 1..L−1: q_1 = σ_w²|x|²/d + σ_b², q_{l+1} = σ_w² E[φ(u)²] + σ_b². */
export function activationLayerVariances(sqNorms: Float64Array, d: number, spec: NetSpec, act: DualActivation): Float64Array[] {
  const w2 = (spec.sigmaW ?? 1) ** 2,
    b2 = (spec.sigmaB ?? 0) ** 2;
  const out: Float64Array[] = [];
  let q = sqNorms.map((s) => (w2 * s) / d + b2);
  for (let l = 1; l < spec.depth; l++) {
    out.push(q);
    q = q.map((v) => w2 * act.dual(v, v, v) + b2);
  }
  return out;
}
