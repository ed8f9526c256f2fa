import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readArtifact } from '@tangent/arrow-io';
import { rng, type Mat32 } from '@tangent/linalg';
import { backward, empiricalNtkMlp, forward, initMlp, jacobian } from '@tangent/nn';
import { parseExperiment } from './config.ts';
import { hybridHistorySchema, hybridResultsSchema, runExperiment, hybridTraceSchema } from './stage.ts';
import { tempArtifacts } from '@tangent/contracts/testing';

// Every test publishes into its own artifacts root: $TANGENT_ARTIFACTS_DIR/hybrid/<experiment>/.
let artifacts = '';
const tmpArtifacts = tempArtifacts('hybrid-artifacts-');
beforeEach(() => (artifacts = tmpArtifacts.enter()));
afterEach(() => tmpArtifacts.exit());

describe('phase-2 plumbing on a real network', () => {
  it('J0ᵀ w is one backward pass with output gradient w, in the (sample, output) row layout of Θ0', () => {
    const net = initMlp({ sizes: [4, 7, 6, 3], activation: 'tanh', parameterization: 'ntk', bias: true }, 5);
    const r = rng(9);
    const X: Mat32 = { rows: 5, cols: 4, data: r.fillNormal(new Float32Array(20)) };
    const J = jacobian(net, X, { dtype: 'float64' }); // rows i·K + o
    const w = r.fillNormal(new Float64Array(15));
    const { cache } = forward(net, X);
    const viaBackward = backward(net, cache, { rows: 5, cols: 3, data: Float32Array.from(w) });
    for (let q = 0; q < J.cols; q++) {
      let s = 0;
      for (let i = 0; i < J.rows; i++) s += J.data[i * J.cols + q] * w[i];
      expect(viaBackward[q]).toBeCloseTo(s, 4);
    }
    const K = empiricalNtkMlp(net, X);
    for (const [i, j] of [
      [0, 0],
      [1, 4],
      [14, 2],
    ]) {
      let s = 0;
      for (let q = 0; q < J.cols; q++) s += J.data[i * J.cols + q] * J.data[j * J.cols + q];
      expect(K.data[i * 15 + j]).toBeCloseTo(s, 6);
    }
  });
});

/** A tiny regression CSV: y = sin x1 + x2 x3 / 2 + noise. */
function toyCsv(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hybrid-'));
  const r = rng(1);
  const lines = ['x1,x2,x3,y'];
  for (let i = 0; i < 80; i++) {
    const x = [r.normal(), r.normal(), r.normal()];
    lines.push(`${x.join(',')},${Math.sin(x[0]) + 0.5 * x[1] * x[2] + 0.05 * r.normal()}`);
  }
  writeFileSync(join(dir, 'toy.csv'), `${lines.join('\n')}\n`);
  return { dir, file: join(dir, 'toy.csv') };
}

describe('linearisation error (linearised descent, one step)', () => {
  // One NTK-1 step moves θ by δ = −(η/n) J0ᵀ g(f0), and f(θ0 + δ) − f_lin = f(θ0 + δ) − f0 − J0 δ = ½ δᵀ∇²f δ + O(δ³):
  // linErrTrain is second order in η, the linear model's movement RMS(f_lin − f0) first order, so doubling η multiplies
  // linErrTrain by 4 and linErrRel by 2. A wrong sign of θ update, or an error measured against f0 instead of f_lin,
  // is first order (ratio 2); a constant (e.g. 0) has ratio 1.
  it('is second order in the step (×4 when η doubles, linErrRel ×2) and has the scale the linear model’s losses give', async () => {
    const { file } = toyCsv();
    const run = async (lr: number) => {
      const cfg = parseExperiment({
        experiment: `lin-${lr}`,
        seeds: [0],
        data: { kind: 'csv', path: file, target: 'y', task: 'regression' },
        model: { hidden: [32, 32], activation: 'tanh' },
        sgd: { lr: 0.05, batchSize: 16, epochs: 4 },
        switch: { fixedEpoch: { enabled: true, epoch: 2 }, paramNorm: { enabled: false }, ntkStability: { enabled: false } },
        ntk: { methods: ['linearised-descent'], lr, steps: 1, linErrTestSize: 10 },
      });
      const out = await runExperiment(cfg, { quiet: true });
      expect(out.dir).toBe(join(artifacts, 'hybrid', `lin-${lr}`));
      const loss0 = out.runs[0].ntkTraces.find((t) => t.method === 'linearised-descent' && t.step === 0)!.loss;
      return { ...out.runs[0].results.find((x) => x.method === 'linearised-descent')!, loss0 };
    };
    const a = await run(0.2),
      b = await run(0.4);
    expect(a.linErrTrain!).toBeGreaterThan(1e-4); // well above float32 round-off of O(1) outputs (measured 2.2e-4)
    expect(b.linErrTrain! / a.linErrTrain!).toBeGreaterThan(3.8); // measured 4.02
    expect(b.linErrTrain! / a.linErrTrain!).toBeLessThan(4.2);
    expect(b.linErrRel! / a.linErrRel!).toBeGreaterThan(1.9); // measured 2.01
    expect(b.linErrRel! / a.linErrRel!).toBeLessThan(2.1);
    expect(b.linErrTest! / a.linErrTest!).toBeGreaterThan(3.8); // the same on held-out rows (measured 4.06)
    expect(b.linErrTest! / a.linErrTest!).toBeLessThan(4.3);
    // Absolute scale, from the linear model's own losses: f_lin = f0 + Δ with Δ = −(η/n) Θ0 (f0 − y) linear in η, so
    // L(η) − L0 = −αη + ½ RMS(Δ(η))² (L = ½ mean of squares, one output) and RMS(Δ(η))² = D(2η) − 2 D(η).
    // linErrTrain / linErrRel is that same RMS(f_lin − f0), so a wrong scale of either shows here.
    expect(a.loss0).toBe(b.loss0); // the same switch point
    const D = (r: typeof a) => r.linearLoss! - r.loss0;
    const moved = Math.sqrt(D(b) - 2 * D(a));
    expect(a.linErrTrain! / a.linErrRel! / moved).toBeCloseTo(1, 4);
  });
});

describe('runExperiment end to end (tiny CSV regression)', () => {
  it('switches, runs SGD and the three linearised-model methods, writes Arrow + metrics.json with provenance', async () => {
    const { file } = toyCsv();
    const cfg = parseExperiment({
      experiment: 'toy',
      seeds: [0, 1],
      data: { kind: 'csv', path: file, target: 'y', task: 'regression' },
      model: { hidden: [32, 32] },
      sgd: { lr: 0.05, batchSize: 16, epochs: 6 },
      switch: {
        fixedEpoch: { enabled: true, epoch: 3 },
        paramNorm: { enabled: false },
        ntkStability: { enabled: true, delta: 1e-9, monitorSize: 8 },
      },
      ntk: { linErrTestSize: 10 },
    });
    const out = await runExperiment(cfg, { quiet: true });
    const outDir = join(artifacts, 'hybrid', 'toy');
    expect(out.dir).toBe(outDir);
    expect(readdirSync(outDir).sort()).toEqual(['history.arrow', 'metrics.json', 'ntk_trace.arrow', 'results.arrow']);
    expect(out.runs.map((x) => x.decision.heuristic)).toEqual(['fixed_epoch', 'fixed_epoch']);
    const res = out.runs[0].results;
    expect(res.map((x) => x.method)).toEqual(['sgd', 'linearised-descent', 'functional-evolution', 'integrated-flow']);
    // Budget: 3 remaining epochs × ceil(64/16) steps.
    for (const x of res) expect(x.steps).toBe(12);
    // functional evolution and integrated flow are one flow (sum vs integral) at a small step: close,
    // and close to linearised descent.
    const byM = Object.fromEntries(res.map((x) => [x.method, x]));
    expect(Math.abs(byM['functional-evolution'].trainMetric - byM['integrated-flow'].trainMetric)).toBeLessThan(0.01);
    expect(Math.abs(byM['linearised-descent'].trainMetric - byM['functional-evolution'].trainMetric)).toBeLessThan(0.01);
    for (const m of ['linearised-descent', 'functional-evolution', 'integrated-flow']) {
      expect(byM[m].linErrRel!).toBeLessThan(0.5); // the network stays close to its linearisation
      expect(byM[m].linearLoss!).toBeLessThan(out.runs[0].history[3].trainLoss);
    }
    const h = readArtifact(join(outDir, 'history.arrow'), hybridHistorySchema);
    expect(h.table.numRows).toBe(2 * 7);
    expect(h.meta.config).toMatchObject({ experiment: 'toy' });
    expect(h.meta.dtype).toContain('float64');
    expect(readArtifact(join(outDir, 'results.arrow'), hybridResultsSchema).table.numRows).toBe(8);
    expect(readArtifact(join(outDir, 'ntk_trace.arrow'), hybridTraceSchema).table.numRows).toBeGreaterThan(6);
    const metrics = JSON.parse(readFileSync(join(outDir, 'metrics.json'), 'utf8'));
    // snake_case keys throughout (the pipeline's one JSON casing), provenance of the hybrid instance.
    expect(metrics.summary['integrated-flow'].test_metric.n).toBe(2);
    expect(metrics.summary['integrated-flow'].testMetric).toBeUndefined();
    expect(metrics.switches[0]).toMatchObject({ seed: 0, epoch: 3, heuristic: 'fixed_epoch' });
    expect(Object.keys(metrics.switches[0])).toEqual(['seed', 'epoch', 'heuristic', 'fired', 'param_signal', 'ntk_signal', 'would_fire']);
    expect(metrics.results[0]).toMatchObject({ method: 'sgd', switch_epoch: 3 });
    expect(metrics.metric_definition).toMatch(/^NRMSE = RMSE/);
    expect(metrics.provenance).toMatchObject({ stage: 'hybrid', key: 'toy', kind: 'metrics' });
    expect(metrics.provenance.config).toMatchObject({ experiment: 'toy' });
    expect(out.table).toMatch(/integrated flow \(NTK 3\)/);
  });
});
