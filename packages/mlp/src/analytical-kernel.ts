/**
 * The infinite-width kernels a run is compared with, in the network's own scaling (NTK
 * parameterisation, σ_w = 1, no bias; Jacot et al. 2018, Thm 1, for two layers):
 *
 *   Σ(x, z) = E[φ(u) φ(v)],   Θ(x, z) = (x·z/d) E[φ'(u) φ'(v)] + Σ(x, z),
 *   (u, v) ~ N(0, [[|x|²/d, x·z/d], [x·z/d, |z|²/d]]),
 *
 * the depth-2 recursion of @tangent/kernels' dual-activation.ts with φ's dual from the
 * activation registry: 'nngp' Σ is the dynamics' wrong-kernel baseline (the readout alone),
 * 'ntk' Θ the kernel of Θ̂₀'s error and of the predicted dynamics. ReLU's Gram is ntkGram (its
 * unrolled, WebAssembly SIMD rows; the numbers the stage has always recorded); any other φ runs
 * activationKernelRow, the recursion the ntk stage applies for `ntk.activation` of that name.
 */
import { fail } from '@tangent/base';
import {
  ACTIVATIONS,
  activationKernelRow,
  activationLayerVariances,
  ntkGram,
  type ActivationName,
  type KernelKind,
  type NetSpec,
} from '@tangent/kernels';
import { gemm, mirrorLower, syrk, type Mat32, type Mat64 } from '@tangent/linalg';
import type { KernelFn } from './linearised-dynamics.ts';

/** The network's spec as the recursion reads it: two weight layers, σ_w = 1, no bias. */
const TWO_LAYER: NetSpec = { depth: 2, sigmaW: 1, sigmaB: 0 };

function toMat64(A: Mat32, what: string): Mat64 {
  const data = Float64Array.from(A.data);
  for (let i = 0; i < data.length; i++)
    if (!Number.isFinite(data[i])) fail(`analytical kernel: ${what} has a non-finite entry at row ${Math.floor(i / A.cols)}`);
  return { rows: A.rows, cols: A.cols, data };
}

const sqNorms = (A: Mat64) =>
  Float64Array.from({ length: A.rows }, (_, i) => {
    let s = 0;
    for (let k = i * A.cols; k < (i + 1) * A.cols; k++) s += A.data[k] * A.data[k];
    return s;
  });

/** Θ(X, Z) or Σ(X, Z) (float64, n × m; Z defaults to X) of the two-layer network with φ = `activation`. */
export function twoLayerAnalyticalKernel(activation: ActivationName, kind: KernelKind = 'ntk'): KernelFn {
  if (activation === 'relu') return (X, Z) => ntkGram(X, Z, { ...TWO_LAYER, kind });
  const act = ACTIVATIONS[activation];
  return (X, Z) => {
    const symmetric = Z === undefined || Z === X;
    const A = toMat64(X, 'X'),
      B = symmetric ? A : toMat64(Z!, 'Z');
    if (A.cols !== B.cols) fail(`analytical kernel: X has ${A.cols} features but Z has ${B.cols}`);
    const n = A.rows,
      m = B.rows,
      d = A.cols;
    // x·z: the symmetric Gram's lower triangle only (SYRK, half the flops and half the duals), then mirrored
    const K: Mat64 = { rows: n, cols: m, data: new Float64Array(n * m) };
    if (symmetric) syrk(A, { out: K, lowerOnly: true });
    else gemm(A, B, { transB: true, out: K });
    const qA = activationLayerVariances(sqNorms(A), d, TWO_LAYER, act);
    const qB = symmetric ? qA : activationLayerVariances(sqNorms(B), d, TWO_LAYER, act);
    for (let i = 0; i < n; i++)
      activationKernelRow(K.data.subarray(i * m, (i + 1) * m), 0, symmetric ? i + 1 : m, [qA[0][i]], qB, d, TWO_LAYER, act, kind === 'ntk');
    if (symmetric) mirrorLower(n, K.data);
    return K;
  };
}
