/**
 * 'linearised-descent' (the thesis' NTK 1): gradient descent on the linearised model,
 *   θ_{k+1} = θ_k − (η/n) J0ᵀ g(f_lin(θ_k)),   f_lin(θ) = f0 + J0(θ − θ0),
 * run in function space, which is the same iteration multiplied through by J0:
 *   f_{k+1} = f_k − (η/n) Θ0 g(f_k),   w_{k+1} = w_k + (η/n) g(f_k),   θ_k = θ0 − J0ᵀ w_k.
 * One Θ0 mat-vec per step (O(M²)) instead of two Jacobian products (O(M·P)). g = f − y for MSE,
 * softmax(f) − y for cross-entropy (no closed form exists then; this is the general method).
 */
import { gemm, type Mat64 } from '@tangent/linalg';
import {
  checkProblem,
  checkpoints,
  linearLoss,
  outputResidual,
  type LinearLoss,
  type LinearisedProblem,
  type LinearSolution,
} from './linearised-model.ts';
import { fail } from '@tangent/base';

export function linearisedDescent(
  p: LinearisedProblem,
  opts: { eta: number; steps: number; loss?: LinearLoss; traceCount?: number; onStep?: (k: number) => void },
): LinearSolution {
  const M = checkProblem(p);
  if (!(opts.eta > 0)) fail(`linearised descent: learning rate must be positive, got ${opts.eta}`);
  if (!Number.isInteger(opts.steps) || opts.steps < 0) fail(`linearised descent: steps must be a non-negative integer, got ${opts.steps}`);
  const loss = opts.loss ?? 'mse';
  const h = opts.eta / p.n;
  const f = Float64Array.from(p.f0);
  const w = new Float64Array(M);
  const g: Mat64 = { rows: M, cols: 1, data: new Float64Array(M) };
  const Kg: Mat64 = { rows: M, cols: 1, data: new Float64Array(M) };
  const marks = new Set(checkpoints(opts.steps, opts.traceCount ?? 50));
  const trace: LinearSolution['trace'] = [];
  for (let k = 0; k < opts.steps; k++) {
    outputResidual(loss, f, p.y, p.outDim, g.data); // g(f_k)
    if (marks.has(k)) trace.push({ step: k, loss: linearLoss(loss, f, p.y, p.outDim) });
    gemm(p.kernel, g, { out: Kg, beta: 0 }); // Θ0 g(f_k)
    for (let i = 0; i < M; i++) {
      w[i] += h * g.data[i]; // w_{k+1} = w_k + (η/n) g
      f[i] -= h * Kg.data[i]; // f_{k+1} = f_k − (η/n) Θ0 g
    }
    opts.onStep?.(k);
  }
  trace.push({ step: opts.steps, loss: linearLoss(loss, f, p.y, p.outDim) });
  return { w, fLin: f, trace };
}
