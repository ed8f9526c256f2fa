/**
 * The μP / mean-field parameterisation (model.parameterization: mup) against the scaling laws its
 * docstring derives (packages/nn mlp.ts): Θ̂₀ = O(1/m), so η = c·n/λ_max(Θ̂₀) = O(m); one step then
 * moves each hidden unit's input weights by O(1) at every width, where the NTK parameterisation
 * moves them by O(1/√m) (lazy).
 */
import { describe, expect, it } from 'vitest';
import { mat32, rng, type Mat32 } from '@tangent/linalg';
import { initMlp } from '@tangent/nn';
import { trainOptions, trainTwoLayer, twoLayerSpec } from './train-two-layer.ts';

function sphere(n: number, d: number, seed: number): { X: Mat32; y: Float32Array } {
  const X = mat32(n, d, rng(seed).fillNormal(new Float32Array(n * d)));
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += X.data[i * d + j] ** 2;
    for (let j = 0; j < d; j++) X.data[i * d + j] *= Math.sqrt(d / s); // norm √d, as inputScale sqrt_d
    y[i] = X.data[i * d] + 0.5 * X.data[i * d + 1] ** 2 > 0.4 ? 1 : -1;
  }
  return { X, y };
}

const base = trainOptions({ epochs: 1, precision: 'float64', maxKernelBytes: 2 ** 30 });

/** RMS change per first-layer weight after one full-batch step at c = 1, and m·λ_max(Θ̂₀)/n. */
function oneStep(parameterization: 'ntk' | 'mup', width: number) {
  const { X, y } = sphere(80, 6, 3);
  const r = trainTwoLayer({ X, y }, { ...base, width, seed: 0, parameterization });
  const init = initMlp(twoLayerSpec(6, width, { parameterization, bias: false, sigmaB: 1 }), 0);
  const n1 = 6 * width;
  let s = 0;
  for (let i = 0; i < n1; i++) s += (r.network.params[i] - init.params[i]) ** 2;
  return { dW1: Math.sqrt(s / n1), mLambda: (width * r.lambdaMax0) / X.rows, lr: r.lr };
}

describe('μP (mean-field readout f = W2 h/m)', () => {
  it('Θ̂₀ = O(1/m), η = O(m), and a step moves every unit by O(1) at all widths; NTK: O(1/√m)', () => {
    const [mS, mL] = [64, 4096];
    const mupS = oneStep('mup', mS),
      mupL = oneStep('mup', mL);
    const ntkS = oneStep('ntk', mS),
      ntkL = oneStep('ntk', mL);
    // m·λ_max/n converges (law of large numbers over units): the kernel itself is O(1/m)
    expect(mupL.mLambda / mupS.mLambda).toBeGreaterThan(0.7);
    expect(mupL.mLambda / mupS.mLambda).toBeLessThan(1.4);
    expect(mupL.lr / mupS.lr).toBeGreaterThan(0.7 * (mL / mS));
    // per-unit weight movement: width-independent in μP, ∝ m^-1/2 (a factor 8 here) in NTK
    expect(mupL.dW1 / mupS.dW1).toBeGreaterThan(0.6);
    expect(mupL.dW1 / mupS.dW1).toBeLessThan(1.6);
    expect(ntkS.dW1 / ntkL.dW1).toBeGreaterThan(8 * 0.6);
    expect(ntkS.dW1 / ntkL.dW1).toBeLessThan(8 * 1.6);
    // the same step size in function space: μP moved the weights √m times more at m = 4096
    expect(mupL.dW1 / ntkL.dW1).toBeGreaterThan(Math.sqrt(mL) * 0.5);
  });
});
