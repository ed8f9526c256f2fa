/**
 * Phase 2 of the hybrid experiment without Θ0 (config `ntk.matrixFree: true`): the linearised
 * model at θ0 on all training rows (or `ntk.subset` of them), every product from two network
 * passes (matrix-free-ntk.ts), each configured method solved by name from MATRIX_FREE_SOLVERS.
 * Same budget, learning rate and result rows as the dense path (dense-phase.ts); kernelSeconds
 * holds the forward caches at θ0, eighSeconds the Lanczos eigenpairs (shared by the spectral
 * methods, functional evolution and integrated flow).
 */
import { fail, log } from '@tangent/base';
import { rng, type Eigenpairs, type Mat32 } from '@tangent/linalg';
import { forward, jvp } from '@tangent/nn';
import { geometricExpSum } from './functional-evolution.ts';
import { integratedCoefficient } from './integrated-flow.ts';
import { linearLoss } from './linearised-model.ts';
import { moved, ntkResult, phaseOutput, phaseRows, type PhaseOutput, type SwitchPoint } from './linearised-phase.ts';
import { linearisedSgd, lowRankFlow, matrixFreeNtk, ntkEigenpairs, type MatrixFreeNtk } from './matrix-free-ntk.ts';
import { isSpectral, type NtkMethod } from './methods.ts';
import { predictBlocked } from './sgd.ts';

/** What every matrix-free solver is given: the products at θ0 on the phase's rows, r0 = f0 − y, the top eigenpairs (spectral methods), the budget. */
export interface MatrixFreeSolve {
  sw: SwitchPoint;
  mf: MatrixFreeNtk;
  Xsub: Mat32;
  ySub: Float32Array;
  r0: Float64Array;
  eig: Eigenpairs | null;
  eta: number;
  steps: number;
}

/** δθ = θ − θ0, and the linear-model loss curve where the method records one. */
export type MatrixFreeSolver = (s: MatrixFreeSolve) => { delta: Float32Array; trace: Array<{ step: number; loss: number }> };

/** δθ = −J0ᵀ w for the flow w = φ(Θ0) r0 (low-rank eigenpairs + Krylov complement). */
function flowDelta(s: MatrixFreeSolve, phi: (lambda: number) => number) {
  const eig = s.eig ?? fail('internal: a spectral method ran without the eigenpairs of Θ0');
  const w = lowRankFlow(s.mf, eig, s.r0, phi, { complementSteps: s.sw.cfg.ntk.complementSteps, rcond: s.sw.cfg.ntk.rcond });
  return { delta: s.mf.vjp(w).map((v) => -v), trace: [] };
}

const h = (s: MatrixFreeSolve) => s.eta / s.mf.n;

/** The three methods without Θ0, by name (methods.ts). */
export const MATRIX_FREE_SOLVERS: Record<NtkMethod, MatrixFreeSolver> = {
  'linearised-descent': (s) =>
    linearisedSgd(s.sw.net0, s.Xsub, s.ySub, {
      lr: s.eta,
      batchSize: s.sw.cfg.sgd.batchSize,
      steps: s.steps,
      loss: s.sw.loss,
      rng: rng(s.sw.shuffleSeed),
    }),
  'functional-evolution': (s) => flowDelta(s, (l) => h(s) * geometricExpSum(h(s) * l, s.steps)),
  'integrated-flow': (s) => flowDelta(s, (l) => integratedCoefficient(l, h(s), s.steps)),
};

/** The top `ntk.topK` eigenpairs of Θ0 by Lanczos (null: no spectral method runs) and the seconds they took. */
function eigenpairs(sw: SwitchPoint, mf: MatrixFreeNtk): { eig: Eigenpairs | null; seconds: number } {
  const { cfg, seed } = sw;
  if (!cfg.ntk.methods.some(isSpectral)) return { eig: null, seconds: 0 };
  const t0 = performance.now();
  const eig = ntkEigenpairs(mf, cfg.ntk.topK, { steps: cfg.ntk.lanczosSteps ?? 2 * cfg.ntk.topK + 20, seed });
  const seconds = (performance.now() - t0) / 1000;
  log(
    `seed ${seed}: top ${eig.values.length} eigenvalues of Θ0 (${mf.n}·${mf.K} rows, Lanczos): λ1 = ${eig.values[0].toPrecision(4)}, λk = ${eig.values.at(-1)!.toPrecision(4)} (${seconds.toFixed(1)} s)`,
  );
  return { eig, seconds };
}

/** The products at θ0 on the phase's rows and everything the solvers share. */
function prepare(sw: SwitchPoint): { solve: MatrixFreeSolve; kernelSeconds: number; eighSeconds: number } {
  const { eta, steps, X: Xsub, y: ySub } = phaseRows(sw);
  const tK = performance.now();
  const mf = matrixFreeNtk(sw.net0, Xsub);
  const kernelSeconds = (performance.now() - tK) / 1000;
  const r0 = mf.f0.map((v, i) => v - ySub[i]);
  const { eig, seconds } = eigenpairs(sw, mf);
  return { solve: { sw, mf, Xsub, ySub, r0, eig, eta, steps }, kernelSeconds, eighSeconds: seconds };
}

/** One method: solve for δθ, move the network, measure it against f_lin = f0 + J0 δθ on the NTK rows and the test monitor rows. */
function matrixFreeMethod(p: ReturnType<typeof prepare>, f0Test: ReturnType<typeof forward> | null, method: NtkMethod) {
  const { sw, mf, Xsub, ySub, steps } = p.solve;
  const tS = performance.now();
  const { delta, trace } = MATRIX_FREE_SOLVERS[method](p.solve);
  const trained = moved(sw.net0, delta);
  const solveSeconds = (performance.now() - tS) / 1000;
  const fLin = mf.jvp(delta).map((v, i) => v + mf.f0[i]); // f0 + J0 δθ
  const test = f0Test && {
    net: forward(trained, sw.XlinTest).out.data,
    lin: Float64Array.from(jvp(sw.net0, f0Test.cache, delta).data, (v, i) => f0Test.out.data[i] + v),
  };
  const finalLoss = linearLoss(sw.loss, fLin, Float64Array.from(ySub), mf.K);
  trace.push({ step: steps, loss: finalLoss });
  const result = ntkResult(sw, method, trained, {
    kernelSeconds: p.kernelSeconds,
    eighSeconds: isSpectral(method) ? p.eighSeconds : 0,
    solveSeconds,
    steps,
    linearLoss: finalLoss,
    fit: { net: predictBlocked(trained, Xsub), lin: fLin, f0: mf.f0 },
    test,
  });
  log(
    `seed ${sw.seed}: ${method} (matrix-free, ${mf.n} rows) test ${result.testMetric.toFixed(4)} in ${result.phase2Seconds.toFixed(1)} s`,
  );
  return { result, trace };
}

/** Every configured method from the products at θ0 (and one set of Lanczos eigenpairs, shared by the spectral methods). */
export function matrixFreePhase(sw: SwitchPoint): PhaseOutput {
  const p = prepare(sw);
  const f0Test = sw.XlinTest.rows ? forward(sw.net0, sw.XlinTest) : null;
  const done = sw.cfg.ntk.methods.map((m) => matrixFreeMethod(p, f0Test, m));
  return phaseOutput(sw, done, p.solve.mf.n * p.solve.mf.K);
}
