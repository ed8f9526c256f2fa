/**
 * A dense multilayer perceptron whose parameters live in ONE flat Float32Array, so optimisers,
 * Jacobians and empirical NTKs all work on a single vector θ ∈ R^P. Layer l (1-based) maps
 * h_{l-1} ∈ R^{n_{l-1}} to
 *
 *   z_l = a_l · W_l h_{l-1} + c_l · b_l,    h_l = φ(z_l) (hidden layers), f = z_L (output)
 *
 * with the scaling convention fixed by the parameterisation:
 *   'ntk'      : W ~ N(0, 1), a_l = σ_w / √n_{l-1}, c_l = σ_b           (Jacot et al. 2018, eq. 1)
 *   'standard' : W ~ N(0, σ_w² / n_{l-1}), a_l = 1, c_l = 1
 *   'mup'      : as 'ntk' except the output layer, a_L = σ_w / n_{L-1} (mean-field / μP readout)
 * 'ntk' and 'standard' define the same function distribution at initialisation; they differ in
 * gradient scale. 'mup' is the mean-field parameterisation of a one-hidden-layer net,
 * f = (σ_w/m) Σ_k w2_k relu(a_1 w1_k·x), which for two layers is μP (Yang & Hu 2021, "Feature
 * learning in infinite-width neural networks", §5 and Table 3; Mei, Montanari & Nguyen 2018):
 * f₀ = O(1/√m) and the NTK Θ̂ = O(1/m), so a learning rate in natural units
 * η = c · n / λ_max(Θ̂₀) = O(m) moves the function by O(c) per step (Δf = −(η/n) Θ̂ r) AND moves
 * every hidden unit's weights by O(1): ∂f/∂w1_k = (σ_w w2_k / m) a_1 1[u_k > 0] x, times η = O(m),
 * is O(1), so the features keep changing as m → ∞. In 'ntk' the same rule gives η = O(1) and a
 * per-unit change of O(1/√m): the lazy limit.
 * Biases start at 0 unless `biasInit: 'normal'` (then b ~ N(0, 1) in 'ntk', N(0, σ_b²) in
 * 'standard'). Layout of θ: [W_1 (n_1×n_0 row-major), b_1 (n_1), W_2, b_2, ...]; b_l is absent
 * when `bias` is false.
 */
import { rng, type Mat32 } from '@tangent/linalg';
import { fail } from '@tangent/base';

/** 'erf': the kernels' activation registry's φ = erf (see activations.ts). */
export type Activation = 'relu' | 'tanh' | 'identity' | 'sigmoid' | 'erf';
export const ACTIVATION_KINDS: readonly Activation[] = ['relu', 'tanh', 'identity', 'sigmoid', 'erf'];
export type Parameterization = 'ntk' | 'standard' | 'mup';

export interface MlpSpec {
  /** Layer widths, input first and output last, e.g. [11, 100, 100, 1]. */
  sizes: number[];
  activation: Activation;
  parameterization: Parameterization;
  bias: boolean;
  /** Weight scale σ_w (default 1). */
  sigmaW?: number;
  /** Bias scale σ_b (default 1; only used when bias is true). */
  sigmaB?: number;
  /** Bias initialisation (default 'zeros'). */
  biasInit?: 'zeros' | 'normal';
}

export interface Layer {
  fanIn: number;
  fanOut: number;
  /** n_l × n_{l-1} row-major view into `params`. */
  W: Mat32;
  /** n_l view into `params`, or null without bias. */
  b: Float32Array | null;
  /** Offsets of W and b inside the flat vector. */
  wOffset: number;
  bOffset: number;
  /** Forward multipliers a_l (weights) and c_l (bias), see the module comment. */
  wScale: number;
  bScale: number;
}

export interface Mlp {
  spec: Required<MlpSpec>;
  /** θ, all parameters in one vector. */
  params: Float32Array;
  layers: Layer[];
}

export function validateSpec(spec: MlpSpec): Required<MlpSpec> {
  const s: Required<MlpSpec> = { sigmaW: 1, sigmaB: 1, biasInit: 'zeros', ...spec };
  if (!Array.isArray(s.sizes) || s.sizes.length < 2)
    fail(`mlp spec: sizes must list at least input and output widths, got ${JSON.stringify(s.sizes)}`);
  for (const n of s.sizes)
    if (!Number.isInteger(n) || n < 1) fail(`mlp spec: sizes must be positive integers, got ${JSON.stringify(s.sizes)}`);
  if (!ACTIVATION_KINDS.includes(s.activation)) fail(`mlp spec: activation '${s.activation}' unknown; use ${ACTIVATION_KINDS.join(', ')}`);
  if (!['ntk', 'standard', 'mup'].includes(s.parameterization))
    fail(`mlp spec: parameterization '${s.parameterization}' unknown; use ntk, standard or mup`);
  if (!(s.sigmaW > 0) || !(s.sigmaB >= 0)) fail(`mlp spec: need sigmaW > 0 and sigmaB >= 0, got ${s.sigmaW}, ${s.sigmaB}`);
  return s;
}

/** Lay out views into an existing flat parameter vector (no copy). */
export function mlpFromParams(spec: MlpSpec, params: Float32Array): Mlp {
  const s = validateSpec(spec);
  const P = countParams(s);
  if (params.length !== P) fail(`mlp: parameter vector has ${params.length} entries, the spec ${JSON.stringify(s.sizes)} needs ${P}`);
  const layers: Layer[] = [];
  let off = 0;
  for (let l = 1; l < s.sizes.length; l++) {
    const fanIn = s.sizes[l - 1],
      fanOut = s.sizes[l];
    const wOffset = off;
    off += fanIn * fanOut;
    const bOffset = s.bias ? off : -1;
    if (s.bias) off += fanOut;
    const ntk = s.parameterization !== 'standard'; // 'mup' is 'ntk' with a 1/fan_in readout
    const readout = s.parameterization === 'mup' && l === s.sizes.length - 1;
    layers.push({
      fanIn,
      fanOut,
      W: { rows: fanOut, cols: fanIn, data: params.subarray(wOffset, wOffset + fanIn * fanOut) },
      b: s.bias ? params.subarray(bOffset, bOffset + fanOut) : null,
      wOffset,
      bOffset,
      wScale: readout ? s.sigmaW / fanIn : ntk ? s.sigmaW / Math.sqrt(fanIn) : 1,
      bScale: ntk ? s.sigmaB : 1,
    });
  }
  return { spec: s, params, layers };
}

export function countParams(spec: MlpSpec): number {
  let p = 0;
  for (let l = 1; l < spec.sizes.length; l++) p += spec.sizes[l - 1] * spec.sizes[l] + (spec.bias ? spec.sizes[l] : 0);
  return p;
}

/** Seeded initialisation; the draw order (W_1, b_1, W_2, ...) is part of the reproducibility contract. */
export function initMlp(spec: MlpSpec, seed: number): Mlp {
  const s = validateSpec(spec);
  const mlp = mlpFromParams(s, new Float32Array(countParams(s)));
  const r = rng(seed);
  for (const L of mlp.layers) {
    const unit = s.parameterization !== 'standard'; // 'ntk' and 'mup': N(0, 1) weights, scale in the forward pass
    r.fillNormal(L.W.data, unit ? 1 : s.sigmaW / Math.sqrt(L.fanIn));
    if (L.b && s.biasInit === 'normal') r.fillNormal(L.b, unit ? 1 : s.sigmaB);
  }
  return mlp;
}

/** An independent copy (fresh parameter vector). */
export function cloneMlp(mlp: Mlp): Mlp {
  return mlpFromParams(mlp.spec, Float32Array.from(mlp.params));
}
