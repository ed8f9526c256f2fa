/**
 * Phase 2 of the hybrid experiment without Θ0 (config `ntk.matrixFree: true`): the linearised
 * model at θ0 on all training rows (or `ntk.subset` of them), every product from two network
 * passes (matrix-free-ntk.ts). Same budget, learning rate and result rows as the dense path in
 * experiment.ts; kernelSeconds holds the forward caches at θ0, eighSeconds the Lanczos
 * eigenpairs (shared by NTK 2 and NTK 3).
 */
import { log } from '@tangent/arrow-io';
import { rng, type Mat32, type Rng } from '@tangent/linalg';
import { cloneMlp, forward, gatherRows, jvp, type Mlp } from '@tangent/nn';
import type { ExperimentConfig } from './config.ts';
import type { SwitchDecision } from './heuristics.ts';
import { geometricExpSum } from './functional-evolution.ts';
import { integratedCoefficient } from './integrated-flow.ts';
import { linearLoss } from './linearised-model.ts';
import { linearisedSgd, lowRankFlow, matrixFreeNtk, ntkEigenpairs } from './matrix-free-ntk.ts';
import { predictBlocked, type TrainLoss, type TrainSet } from './sgd.ts';
import type { Method, MethodResult } from './experiment.ts';

export interface MatrixFreeInput {
  cfg: ExperimentConfig;
  seed: number;
  net0: Mlp;
  train: TrainSet;
  Xtest: Mat32;
  /** Test rows for the test-side linearisation error. */
  XlinTest: Mat32;
  loss: TrainLoss;
  decision: SwitchDecision;
  phase1Seconds: number;
  remainingSteps: number;
  /** Picks the `ntk.subset` rows when set. */
  pick: Rng;
  /** Seed of NTK 1's batch shuffles. */
  shuffleSeed: number;
  score: (out: Float32Array | Float64Array, split: 'train' | 'test', rows?: number) => number;
}

export function matrixFreePhase(a: MatrixFreeInput): {
  results: MethodResult[];
  traces: Array<{ seed: number; method: Method; step: number; loss: number }>;
  rows: number;
} {
  const { cfg, net0, train, seed } = a;
  const N = train.X.rows,
    K = train.K;
  const nSub = cfg.ntk.subset === null ? N : Math.min(N, cfg.ntk.subset);
  const subIdx = nSub === N ? null : a.pick.permutation(N).slice(0, nSub).sort();
  const Xsub = subIdx ? gatherRows(train.X, subIdx) : train.X;
  const ySub = new Float32Array(nSub * K);
  for (let r = 0; r < nSub; r++) {
    const i = subIdx ? subIdx[r] : r;
    ySub.set(train.y.subarray(i * K, (i + 1) * K), r * K);
  }
  const eta = cfg.ntk.lr ?? cfg.sgd.lr;
  const steps = cfg.ntk.steps ?? a.remainingSteps;
  const h = eta / nSub;

  const tK = performance.now();
  const mf = matrixFreeNtk(net0, Xsub);
  const kernelSeconds = (performance.now() - tK) / 1000;
  const y64 = Float64Array.from(ySub);
  const r0 = mf.f0.map((v, i) => v - y64[i]);
  const f0Test = a.XlinTest.rows ? forward(net0, a.XlinTest) : null;

  let eig: ReturnType<typeof ntkEigenpairs> | null = null;
  let eighSeconds = 0;
  const methods = cfg.ntk.methods;
  if (methods.includes('ntk2') || methods.includes('ntk3')) {
    const t0 = performance.now();
    eig = ntkEigenpairs(mf, cfg.ntk.topK, { steps: cfg.ntk.lanczosSteps ?? 2 * cfg.ntk.topK + 20, seed });
    eighSeconds = (performance.now() - t0) / 1000;
    log(
      `seed ${seed}: top ${eig.values.length} eigenvalues of Θ0 (${nSub}·${K} rows, Lanczos): λ1 = ${eig.values[0].toPrecision(4)}, λk = ${eig.values.at(-1)!.toPrecision(4)} (${eighSeconds.toFixed(1)} s)`,
    );
  }

  const results: MethodResult[] = [];
  const traces: Array<{ seed: number; method: Method; step: number; loss: number }> = [];
  for (const method of methods) {
    const tS = performance.now();
    let delta: Float32Array;
    let trace: Array<{ step: number; loss: number }>;
    if (method === 'ntk1') {
      const r = linearisedSgd(net0, Xsub, ySub, { lr: eta, batchSize: cfg.sgd.batchSize, steps, loss: a.loss, rng: rng(a.shuffleSeed) });
      delta = r.delta;
      trace = r.trace;
    } else {
      const phi = method === 'ntk2' ? (l: number) => h * geometricExpSum(h * l, steps) : (l: number) => integratedCoefficient(l, h, steps);
      const w = lowRankFlow(mf, eig!, r0, phi, { complementSteps: cfg.ntk.complementSteps, rcond: cfg.ntk.rcond });
      const jtw = mf.vjp(w);
      delta = jtw.map((v) => -v); // θ − θ0 = −J0ᵀ w
      trace = [];
    }
    const trained = cloneMlp(net0);
    for (let i = 0; i < delta.length; i++) trained.params[i] += delta[i];
    const solveSeconds = (performance.now() - tS) / 1000;
    const phase2Seconds = kernelSeconds + (method === 'ntk1' ? 0 : eighSeconds) + solveSeconds;

    // Linearisation error: f(θ) vs f_lin(θ) = f0 + J0 δθ on the NTK rows and the test monitor rows.
    const fLin = mf.jvp(delta).map((v, i) => v + mf.f0[i]);
    const fNet = predictBlocked(trained, Xsub);
    let e2 = 0,
      m2 = 0;
    for (let i = 0; i < fLin.length; i++) {
      e2 += (fNet[i] - fLin[i]) ** 2;
      m2 += (fLin[i] - mf.f0[i]) ** 2;
    }
    let linErrTest: number | null = null;
    if (f0Test) {
      const jd = jvp(net0, f0Test.cache, delta).data;
      const fT = forward(trained, a.XlinTest).out.data;
      let s = 0;
      for (let i = 0; i < fT.length; i++) s += (fT[i] - (f0Test.out.data[i] + jd[i])) ** 2;
      linErrTest = Math.sqrt(s / fT.length);
    }
    const finalLoss = a.loss === 'mse' ? linearLoss('mse', fLin, y64, K) : linearLoss('cross_entropy', fLin, y64, K);
    trace.push({ step: steps, loss: finalLoss });
    results.push({
      seed,
      method,
      switchEpoch: a.decision.epoch,
      heuristic: a.decision.heuristic,
      trainMetric: a.score(predictBlocked(trained, train.X), 'train'),
      testMetric: a.score(predictBlocked(trained, a.Xtest), 'test'),
      phase1Seconds: a.phase1Seconds,
      phase2Seconds,
      totalSeconds: a.phase1Seconds + phase2Seconds,
      kernelSeconds,
      eighSeconds: method === 'ntk1' ? 0 : eighSeconds,
      solveSeconds,
      steps,
      linErrTrain: Math.sqrt(e2 / fLin.length),
      linErrTest,
      linErrRel: m2 > 0 ? Math.sqrt(e2 / m2) : null,
      linearLoss: finalLoss,
    });
    for (const t of trace) traces.push({ seed, method, step: t.step, loss: t.loss });
    log(
      `seed ${seed}: ${method} (matrix-free, ${nSub} rows) test ${results.at(-1)!.testMetric.toFixed(4)} in ${phase2Seconds.toFixed(1)} s`,
    );
  }
  return { results, traces, rows: nSub * K };
}
