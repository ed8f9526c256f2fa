/**
 * Phase 2 with Θ0 in memory (the default, `ntk.matrixFree: false`): the linearised model at
 * θ0 = θ_switch on n training rows (all, or `ntk.subset`), Θ0 = J0 J0ᵀ formed in float64 (rows
 * i·K + o), and each configured method solved on it by name from DENSE_SOLVERS. Every solver
 * returns w with θ − θ0 = −J0ᵀ w (linearised-model.ts), one backward pass from θ0.
 */
import { fail } from '@tangent/base';
import { matVec, type Mat32, type Mat64 } from '@tangent/linalg';
import { backward, empiricalNtkMlp, forward, type ForwardCache } from '@tangent/nn';
import { functionalEvolution } from './functional-evolution.ts';
import { integratedFlow } from './integrated-flow.ts';
import { linearisedDescent } from './linearised-descent.ts';
import { spectrum, type LinearisedProblem, type LinearSolution, type Spectrum } from './linearised-model.ts';
import { moved, ntkResult, phaseOutput, phaseRows, type PhaseOutput, type SwitchPoint } from './linearised-phase.ts';
import { isSpectral, type NtkMethod } from './methods.ts';
import type { TrainLoss } from './sgd.ts';

/** What every dense solver is given: the problem on Θ0, Θ0's one shared eigendecomposition (when a spectral method runs), the budget. */
export interface DenseSolve {
  problem: LinearisedProblem;
  spectrum: Spectrum | null;
  eta: number;
  steps: number;
  loss: TrainLoss;
  rcond: number;
}

export type DenseSolver = (s: DenseSolve) => LinearSolution;

const spectrumOf = (s: DenseSolve): Spectrum => s.spectrum ?? fail('internal: a spectral method ran without the spectrum of Θ0');

/** The three methods on Θ0, by name (methods.ts). */
export const DENSE_SOLVERS: Record<NtkMethod, DenseSolver> = {
  'linearised-descent': (s) => linearisedDescent(s.problem, { eta: s.eta, steps: s.steps, loss: s.loss }),
  'functional-evolution': (s) => functionalEvolution(s.problem, spectrumOf(s), { eta: s.eta, steps: s.steps, rcond: s.rcond }),
  'integrated-flow': (s) => integratedFlow(s.problem, spectrumOf(s), { eta: s.eta, t: s.steps, rcond: s.rcond }),
};

/** The linearised model at θ0 on the phase's rows: Θ0, f0 and y, the rows and forward cache for J0ᵀ, the seconds Θ0 took. */
interface Linearised {
  problem: LinearisedProblem;
  Xsub: Mat32;
  cache0: ForwardCache;
  kernelSeconds: number;
}

function linearise(sw: SwitchPoint, X: Mat32, y: Float32Array): Linearised {
  const { net0 } = sw;
  const tK = performance.now();
  const { out: f0out, cache: cache0 } = forward(net0, X);
  const kernel = empiricalNtkMlp(net0, X); // Θ0 = J0 J0ᵀ, float64, rows i·K + o
  const kernelSeconds = (performance.now() - tK) / 1000;
  const problem = { kernel, f0: Float64Array.from(f0out.data), y: Float64Array.from(y), n: X.rows, outDim: sw.train.K };
  return { problem, Xsub: X, cache0, kernelSeconds };
}

/** On the test monitor rows: f0 and the cross kernel Θ0(X_test, X_sub) that carry f_lin(x) = f0(x) − Θ0(x, X_sub) w (null: no rows). */
function testLinearisation(sw: SwitchPoint, Xsub: Mat32): { f0: Float64Array; cross: Mat64 } | null {
  if (!sw.XlinTest.rows) return null;
  return { f0: Float64Array.from(forward(sw.net0, sw.XlinTest).out.data), cross: empiricalNtkMlp(sw.net0, sw.XlinTest, Xsub) };
}

/** f_lin on the test monitor rows: f0(x) − Θ0(x, X_sub) w. */
function linearTest(test: { f0: Float64Array; cross: Mat64 }, w: Float64Array): Float64Array {
  const kw = matVec(test.cross, w);
  return test.f0.map((v, i) => v - kw[i]);
}

/** One method: solve, move the network to θ0 − J0ᵀ w, measure it against its linear model. */
function denseMethod(sw: SwitchPoint, lin: Linearised, solve: DenseSolve, test: ReturnType<typeof testLinearisation>, method: NtkMethod) {
  const tS = performance.now();
  const sol = DENSE_SOLVERS[method](solve);
  // θ − θ0 = −J0ᵀ w, and J0ᵀ w is the backward pass with output gradient w.
  const jtw = backward(sw.net0, lin.cache0, { rows: lin.problem.n, cols: lin.problem.outDim, data: Float32Array.from(sol.w) });
  const delta = jtw.map((v) => -v);
  const trained = moved(sw.net0, delta);
  const solveSeconds = (performance.now() - tS) / 1000;
  const result = ntkResult(sw, method, trained, {
    kernelSeconds: lin.kernelSeconds,
    eighSeconds: isSpectral(method) ? solve.spectrum!.seconds : 0,
    solveSeconds,
    steps: solve.steps,
    linearLoss: sol.trace.at(-1)!.loss,
    fit: { net: forward(trained, lin.Xsub).out.data, lin: sol.fLin, f0: lin.problem.f0 },
    test: test && { net: forward(trained, sw.XlinTest).out.data, lin: linearTest(test, sol.w) },
  });
  return { result, trace: sol.trace };
}

/** Every configured method from one Θ0 (and one eigendecomposition, shared by the spectral methods). */
export function densePhase(sw: SwitchPoint): PhaseOutput {
  const { eta, steps, X, y } = phaseRows(sw);
  const lin = linearise(sw, X, y);
  const methods = sw.cfg.ntk.methods;
  const sp = methods.some(isSpectral) ? spectrum(lin.problem.kernel) : null;
  const solve: DenseSolve = { problem: lin.problem, spectrum: sp, eta, steps, loss: sw.loss, rcond: sw.cfg.ntk.rcond };
  const test = testLinearisation(sw, lin.Xsub);
  const done = methods.map((m) => denseMethod(sw, lin, solve, test, m));
  return phaseOutput(sw, done, lin.problem.n * lin.problem.outDim);
}
