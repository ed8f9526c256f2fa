/**
 * The methods of the hybrid experiment, by name. 'sgd' is the baseline: SGD continued for the
 * whole budget. The other three train the linearised model f_lin(θ) = f0 + J0 (θ − θ0) from the
 * switch point θ0 (the thesis, Sarvanau 2025, numbers them NTK 1, 2, 3):
 *   - 'linearised-descent' (NTK 1, linearised-descent.ts): gradient descent on f_lin, any loss;
 *     matrix-free, SGD on f_lin with the SGD phase's batches;
 *   - 'functional-evolution' (NTK 2, functional-evolution.ts): the k steps summed in closed form
 *     from the MSE residual r(k) = exp(−ηΘ0k/n) r0;
 *   - 'integrated-flow' (NTK 3, integrated-flow.ts): the MSE gradient flow integrated to time t.
 * The last two are spectral: closed forms of the MSE flow in Θ0's eigenbasis (one shared
 * eigendecomposition, or Lanczos matrix-free), so they need sgd.loss: mse.
 */
export const NTK_METHODS = ['linearised-descent', 'functional-evolution', 'integrated-flow'] as const;
export type NtkMethod = (typeof NTK_METHODS)[number];
export type Method = 'sgd' | NtkMethod;

/** Whether a method is a closed form in Θ0's spectrum (MSE only; it shares one eigendecomposition). */
export const isSpectral = (m: NtkMethod): boolean => m !== 'linearised-descent';

/** The printed table's row names. */
export const METHOD_LABEL: Record<Method, string> = {
  sgd: 'SGD (full budget)',
  'linearised-descent': 'linearised descent (NTK 1)',
  'functional-evolution': 'functional evolution (NTK 2)',
  'integrated-flow': 'integrated flow (NTK 3)',
};

/** One method's outcome on one seed (a row of results.arrow). */
export interface MethodResult {
  seed: number;
  method: Method;
  switchEpoch: number;
  heuristic: string;
  trainMetric: number;
  testMetric: number;
  /** SGD + monitoring until the switch (for 'sgd': the whole budget, no monitoring). */
  phase1Seconds: number;
  /** Jacobian-free kernel Θ0 + f0, shared eigendecomposition (spectral methods), solve, parameter update. */
  phase2Seconds: number;
  totalSeconds: number;
  kernelSeconds: number;
  eighSeconds: number;
  solveSeconds: number;
  /** η-steps (linearised descent, functional evolution) or flow time t (integrated flow) of phase 2; for 'sgd' the SGD steps after the switch. */
  steps: number;
  /** RMS of f(θ) − f_lin(θ) on the NTK training rows / on the test monitor rows (network-output units). */
  linErrTrain: number | null;
  linErrTest: number | null;
  /** linErrTrain / RMS(f_lin(θ) − f0): the error relative to how far the linear model moved. */
  linErrRel: number | null;
  /** Linear-model training loss at the end (on the NTK rows). */
  linearLoss: number | null;
}
