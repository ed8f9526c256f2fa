import { arcCos0, arcCos1 } from './arc-cosine.ts';

/**
 * Layer-wise (NNGP, NTK) recursion of a fully connected ReLU network in the NTK
 * parameterisation (Jacot et al. 2018, Thm 1; Arora et al. 2019, eqs. 9–11; the stax
 * "Dense ∘ Relu" pair of google/neural-tangents):
 *
 *   z¹ = σ_w W¹ x / sqrt(d) + σ_b b¹,   z^{l+1} = σ_w W^{l+1} relu(z^l) / sqrt(n_l) + σ_b b^{l+1},
 *   W, b ~ N(0, 1), f = z^L (scalar output), L = number of weight layers (L = 2: one hidden layer).
 *
 * Scaling convention: the input layer divides by sqrt(d), so Σ¹(x, z) = σ_w² x·z/d + σ_b²; that
 * is the 1/d factor in front of the textbook |x||z|/(2π) formula (see ntk-relu2.ts).
 *
 * A state carries, for one pair of inputs (x, z): the NNGP variances qx = Σ(x,x), qz = Σ(z,z),
 * the NNGP covariance Σ(x,z) and the NTK Θ(x,z) of the pre-activations z^l.
 */
export interface KernelState {
  qx: number;
  qz: number;
  nngp: number;
  ntk: number;
}

export interface ReluNetSpec {
  /** Number of weight layers L ≥ 2 (L − 1 hidden ReLU layers). */
  depth: number;
  /** Weight standard deviation σ_w (1 for the plain network). */
  sigmaW?: number;
  /** Bias standard deviation σ_b (0: no bias). */
  sigmaB?: number;
}

/** Input dense layer: Σ¹ = Θ¹ = σ_w² x·z/d + σ_b² (Jacot et al. 2018, eq. 4 base case). */
export function denseInput(xx: number, zz: number, xz: number, d: number, sigmaW = 1, sigmaB = 0): KernelState {
  const w2 = sigmaW * sigmaW,
    b2 = sigmaB * sigmaB;
  const nngp = (w2 * xz) / d + b2;
  return { qx: (w2 * xx) / d + b2, qz: (w2 * zz) / d + b2, nngp, ntk: nngp };
}

/**
 * ReLU then dense layer: Σ' = σ_w² E[relu relu] + σ_b², Θ' = Σ' + σ_w² E[relu' relu'] Θ
 * (Arora et al. 2019, eq. 11; expectations from arc-cosine.ts).
 */
export function reluDense(s: KernelState, sigmaW = 1, sigmaB = 0): KernelState {
  const w2 = sigmaW * sigmaW,
    b2 = sigmaB * sigmaB;
  const r = Math.sqrt(s.qx * s.qz);
  const c = r > 0 ? s.nngp / r : 0;
  const nngp = (w2 * r * arcCos1(c)) / 2 + b2;
  const ntk = nngp + ((w2 * arcCos0(c)) / 2) * s.ntk;
  return { qx: (w2 * s.qx) / 2 + b2, qz: (w2 * s.qz) / 2 + b2, nngp, ntk };
}

/** (NNGP, NTK) of the depth-L network for one pair, from x·x, z·z, x·z: compose the layers. */
export function reluNetKernel(xx: number, zz: number, xz: number, d: number, spec: ReluNetSpec): KernelState {
  if (!(spec.depth >= 2) || !Number.isInteger(spec.depth)) throw new RangeError(`depth must be an integer ≥ 2, got ${spec.depth}`);
  let s = denseInput(xx, zz, xz, d, spec.sigmaW, spec.sigmaB);
  for (let l = 1; l < spec.depth; l++) s = reluDense(s, spec.sigmaW, spec.sigmaB);
  return s;
}

/**
 * Per-input NNGP variances q_l(x) for l = 1..L−1 (the pre-activation layers a ReLU reads):
 * q_1 = σ_w² |x|²/d + σ_b², q_{l+1} = σ_w² q_l / 2 + σ_b² (E[relu(u)²] = q/2). They depend on
 * one input only, so the Gram map precomputes sqrt(q_l) per row and per column.
 */
export function reluLayerScales(sqNorms: Float64Array, d: number, spec: ReluNetSpec): Float64Array[] {
  const w2 = (spec.sigmaW ?? 1) ** 2,
    b2 = (spec.sigmaB ?? 0) ** 2;
  const out: Float64Array[] = [];
  let q = sqNorms.map((s) => (w2 * s) / d + b2);
  for (let l = 1; l < spec.depth; l++) {
    out.push(q.map(Math.sqrt));
    q = q.map((v) => (w2 * v) / 2 + b2);
  }
  return out;
}

/**
 * The same recursion as `reluDense` applied in place to one row of inner products
 * k[j] = x·z_j (j in [j0, j1)), without allocating: k[j] becomes Θ(x, z_j) or Σ(x, z_j).
 * `sx[l]` is sqrt(q_l(x)) and `sz[l][j]` sqrt(q_l(z_j)) from `reluLayerScales`.
 */
export function reluKernelRow(
  k: Float64Array,
  j0: number,
  j1: number,
  sx: ArrayLike<number>,
  sz: Float64Array[],
  d: number,
  spec: ReluNetSpec,
  ntk: boolean,
): void {
  mapRow(k, ntk ? k : null, ntk ? null : k, j0, j1, sx, sz, d, spec);
}

/**
 * Both kernels of one row from one evaluation of the recursion (Σ is the NTK recursion's
 * by-product, Arora et al. 2019, eq. 11): k[j] = x·z_j becomes Θ(x, z_j) and sigma[j] gets
 * Σ(x, z_j), each with the bits reluKernelRow gives it.
 */
export function reluKernelRowPair(
  k: Float64Array,
  sigma: Float64Array,
  j0: number,
  j1: number,
  sx: ArrayLike<number>,
  sz: Float64Array[],
  d: number,
  spec: ReluNetSpec,
): void {
  mapRow(k, k, sigma, j0, j1, sx, sz, d, spec);
}

/** The row map reading inner products from k and writing Θ to theta and Σ to sigma (either may be k, or null). */
function mapRow(
  k: Float64Array,
  theta: Float64Array | null,
  sigma: Float64Array | null,
  j0: number,
  j1: number,
  sx: ArrayLike<number>,
  sz: Float64Array[],
  d: number,
  spec: ReluNetSpec,
): void {
  const w2 = (spec.sigmaW ?? 1) ** 2,
    b2 = (spec.sigmaB ?? 0) ** 2;
  const L = spec.depth;
  const invPi = 1 / Math.PI,
    half = w2 / 2;
  const wd = w2 / d;
  if (L === 2) {
    // The common case, unrolled: one arc-cosine evaluation per entry.
    const sxi = sx[0],
      s = sz[0];
    for (let j = j0; j < j1; j++) {
      const sig = wd * k[j] + b2;
      const r = sxi * s[j];
      let c = r > 0 ? sig / r : 0;
      c = c > 1 ? 1 : c < -1 ? -1 : c;
      const t = Math.PI - Math.acos(c);
      const nngp = half * r * (Math.sqrt(1 - c * c) + t * c) * invPi + b2;
      if (sigma) sigma[j] = nngp;
      if (theta) theta[j] = nngp + half * t * invPi * sig;
    }
    return;
  }
  for (let j = j0; j < j1; j++) {
    let sig = wd * k[j] + b2;
    let th = sig;
    for (let l = 0; l < L - 1; l++) {
      const r = sx[l] * sz[l][j];
      let c = r > 0 ? sig / r : 0;
      c = c > 1 ? 1 : c < -1 ? -1 : c;
      const t = Math.PI - Math.acos(c);
      const next = half * r * (Math.sqrt(1 - c * c) + t * c) * invPi + b2;
      th = next + half * t * invPi * th;
      sig = next;
    }
    if (sigma) sigma[j] = sig;
    if (theta) theta[j] = th;
  }
}
