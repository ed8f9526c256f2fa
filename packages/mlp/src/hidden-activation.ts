/**
 * The hidden layer's φ of the two-layer network, as @tangent/kernels' activation registry gives
 * it: the one source of φ and φ' for the fused passes (two-layer-gd.ts, two-layer-kernel.ts) and
 * of the dual that makes the analytical kernel (analytical-kernel.ts). ReLU keeps its own,
 * unrolled (and WebAssembly SIMD) passes; any other activation runs the generic JavaScript loops
 * through φ and φ' of its registry entry, read from a table of them (hermiteTable).
 */
import { fail } from '@tangent/base';
import { ACTIVATIONS, type ActivationName, type DualActivation } from '@tangent/kernels';
import type { Mlp } from '@tangent/nn';

export interface HiddenActivation {
  name: ActivationName;
  /** The registry's entry (φ, φ' and the dual). */
  dual: DualActivation;
  /** ReLU: the callers' unrolled mask passes apply (φ'(u) = 1[u > 0], φ(u) = u·φ'(u)). */
  relu: boolean;
  /** φ and φ' for the network's passes: the registry's, through hermiteTable where φ is smooth (not relu). */
  phi: (u: number) => number;
  dphi: (u: number) => number;
}

/** Half-width and resolution of hermiteTable's grid: [−8, 8] in steps of 1/256. */
const TABLE_RANGE = 8,
  TABLE_PER_UNIT = 256;

/**
 * A smooth φ and its φ' by cubic Hermite interpolation of the registry's φ and φ' at the nodes of
 * a grid of step h (the registry's own φ and φ' outside it): on each interval the cubic p matches
 * φ and φ' at both ends, so |φ − p| ≤ h⁴/384 · max|φ⁗| and |φ' − p'| ≤ (√3/216) h³ max|φ⁗|
 * (Hermite's remainder and its derivative; erf: |φ⁗| < 6, errors < 4e-12 and < 3e-9 at
 * h = 1/256), below float32's resolution. p' is exactly the derivative of p, so the forward and
 * backward passes stay consistent to the last bit of the interpolant. Why: erf's series
 * (erf-dual.ts) costs ~156 ns per entry for N(0, 1) pre-activations and φ' an exp (~60 ns), a
 * table lookup ~45 ns (README), and the erf network's forward pass is dominated by them.
 */
export function hermiteTable(
  dual: DualActivation,
  range = TABLE_RANGE,
  perUnit = TABLE_PER_UNIT,
): { phi: (x: number) => number; dphi: (x: number) => number } {
  const intervals = 2 * range * perUnit,
    h = 1 / perUnit;
  // p(t) = c0 + t (c1 + t (c2 + t c3)) on [x_i, x_i + h], t ∈ [0, 1], with c1 = h φ'(x_i)
  const c = new Float64Array(4 * intervals);
  const node = (i: number) => -range + i * h;
  for (let i = 0; i < intervals; i++) {
    const y0 = dual.phi(node(i)),
      y1 = dual.phi(node(i + 1)),
      m0 = h * dual.dphi(node(i)),
      m1 = h * dual.dphi(node(i + 1));
    c.set([y0, m0, 3 * (y1 - y0) - 2 * m0 - m1, 2 * (y0 - y1) + m0 + m1], 4 * i);
  }
  return {
    phi(x) {
      const s = (x + range) * perUnit;
      if (!(s >= 0 && s < intervals)) return dual.phi(x); // outside the grid, and NaN
      const i = Math.floor(s),
        t = s - i,
        o = 4 * i;
      return c[o] + t * (c[o + 1] + t * (c[o + 2] + t * c[o + 3]));
    },
    dphi(x) {
      const s = (x + range) * perUnit;
      if (!(s >= 0 && s < intervals)) return dual.dphi(x);
      const i = Math.floor(s),
        t = s - i,
        o = 4 * i;
      return perUnit * (c[o + 1] + t * (2 * c[o + 2] + 3 * t * c[o + 3])); // p'(t)/h
    },
  };
}

const isActivationName = (a: string): a is ActivationName => Object.hasOwn(ACTIVATIONS, a);
const tables = new Map<ActivationName, ReturnType<typeof hermiteTable>>();

/**
 * φ of a two-layer network with one output (`outputs: 'any'`: K ≥ 1 outputs, for the passes
 * written for K outputs); `who` names the caller in the error for any other network.
 */
export function hiddenActivation(net: Mlp, who: string, outputs: 'one' | 'any' = 'one'): HiddenActivation {
  const s = net.spec;
  if (s.sizes.length !== 3 || (outputs === 'one' && s.sizes[2] !== 1) || !isActivationName(s.activation))
    fail(
      `${who}: needs a two-layer network with ${outputs === 'one' ? 'one output' : 'K ≥ 1 outputs'} and activation ${Object.keys(ACTIVATIONS).join(' or ')}, got sizes ${JSON.stringify(s.sizes)} and ${s.activation}`,
    );
  const name = s.activation,
    dual = ACTIVATIONS[name],
    relu = name === 'relu';
  if (relu) return { name, dual, relu, phi: dual.phi, dphi: dual.dphi };
  let table = tables.get(name);
  if (!table) tables.set(name, (table = hermiteTable(dual)));
  return { name, dual, relu, phi: table.phi, dphi: table.dphi };
}
