/**
 * The two-layer network with K outputs in plain float64 loops (no BLAS, no fused pass, φ from the
 * activation registry without the Hermite table): the tests' independent oracle for outputs and
 * the MSE, and — by central finite differences, exact to O(h²) in float64 — for the Jacobian and
 * the gradient. Reads θ from `params` with the layout of `net` (@tangent/nn mlp.ts):
 *   f_k(x) = a2 Σ_r W2[k,r] φ(a1 W1[r]·x + c1 b1_r) + c2 b2_k.
 */
import { ACTIVATIONS, type ActivationName } from '@tangent/kernels';
import type { Mat32 } from '@tangent/linalg';
import type { Mlp } from '@tangent/nn';

/** f(x) ∈ R^K for row i of X at parameters θ = params. */
export function outputsF64(net: Mlp, params: Float64Array, X: Mat32, i: number): Float64Array {
  const [L1, L2] = net.layers;
  const { phi } = ACTIVATIONS[net.spec.activation as ActivationName];
  const d = L1.fanIn,
    m = L1.fanOut,
    K = L2.fanOut;
  const h = new Float64Array(m);
  for (let r = 0; r < m; r++) {
    let u = 0;
    for (let j = 0; j < d; j++) u += params[L1.wOffset + r * d + j] * X.data[i * d + j];
    u *= L1.wScale;
    if (L1.b) u += L1.bScale * params[L1.bOffset + r];
    h[r] = phi(u);
  }
  const f = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let s = 0;
    for (let r = 0; r < m; r++) s += params[L2.wOffset + k * m + r] * h[r];
    f[k] = L2.wScale * s + (L2.b ? L2.bScale * params[L2.bOffset + k] : 0);
  }
  return f;
}

/** L(θ) = 1/(2n) Σ_i ‖f(x_i) − y_i‖², Y n × K row-major. */
export function mseF64(net: Mlp, params: Float64Array, X: Mat32, Y: ArrayLike<number>): number {
  const K = net.layers[1].fanOut;
  let s = 0;
  for (let i = 0; i < X.rows; i++) {
    const f = outputsF64(net, params, X, i);
    for (let k = 0; k < K; k++) s += (f[k] - Y[i * K + k]) ** 2;
  }
  return s / (2 * X.rows);
}

/** (g(θ + h e_p) − g(θ − h e_p)) / 2h for every parameter p, g: R^P → R^q; returns P × q row-major. */
function centralDifferences(net: Mlp, h: number, g: (p: Float64Array) => ArrayLike<number>): Float64Array[] {
  const theta = Float64Array.from(net.params);
  return Array.from({ length: theta.length }, (_, p) => {
    const v = theta[p];
    theta[p] = v + h;
    const up = Float64Array.from(g(theta));
    theta[p] = v - h;
    const down = g(theta);
    theta[p] = v;
    return up.map((a, q) => (a - down[q]) / (2 * h));
  });
}

/** ∂L/∂θ by central differences of mseF64 at the network's parameters. */
export function gradientFd(net: Mlp, X: Mat32, Y: ArrayLike<number>, h = 1e-6): Float64Array {
  return Float64Array.from(
    centralDifferences(net, h, (p) => [mseF64(net, p, X, Y)]),
    (row) => row[0],
  );
}

/** J[(i·K + k), p] = ∂f_k(x_i)/∂θ_p by central differences ((N·K) × P, row-major). */
export function jacobianFd(net: Mlp, X: Mat32, h = 1e-6): Float64Array {
  const K = net.layers[1].fanOut,
    N = X.rows;
  const cols = centralDifferences(net, h, (p) => {
    const out = new Float64Array(N * K);
    for (let i = 0; i < N; i++) out.set(outputsF64(net, p, X, i), i * K);
    return out;
  });
  const P = cols.length,
    J = new Float64Array(N * K * P);
  for (let p = 0; p < P; p++) for (let q = 0; q < N * K; q++) J[q * P + p] = cols[p][q];
  return J;
}
