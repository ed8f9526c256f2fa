/**
 * Hybrid benchmarks. `hybrid_wine_ntk3_switch`: the integrated-flow phase (the thesis' NTK 3) on
 * the wine config (seed 0):
 * kernel Θ0 at the switch point (1279×1279, float64), ONE eigendecomposition, the integrated-flow
 * solve and the parameter update. SGD to the switch point is untimed setup.
 */
import { join } from 'node:path';
import type { Benchmark } from '../../../tools/bench.ts';
import type { Mat32 } from '@tangent/linalg';
import { backward, cloneMlp, empiricalNtkMlp, forward, initMlp } from '@tangent/nn';
import { rng } from '@tangent/linalg';
import { loadExperiment } from '../src/config.ts';
import { loadDataset } from '../src/data/index.ts';
import { mlpSpec } from '../src/experiment.ts';
import { sgdEpoch, stepsPerEpoch } from '../src/sgd.ts';
import { spectrum } from '../src/linearised-model.ts';
import { integratedFlow } from '../src/integrated-flow.ts';

const root = join(import.meta.dirname, '..', '..', '..');
process.env.TANGENT_DATA_DIR ??= join(root, '..', 'shared', 'data');

interface State {
  net: ReturnType<typeof initMlp>;
  X: Mat32;
  y: Float64Array;
  eta: number;
  t: number;
  rcond: number;
}

const SWITCH_EPOCH = 5;

export const benchmarks: Benchmark[] = [
  {
    name: 'hybrid_wine_ntk3_switch',
    n: 1279,
    repeats: 1,
    setup(): State {
      const cfg = loadExperiment(join(root, 'configs', 'wine_quality.yaml'));
      const data = loadDataset(cfg.data, 0);
      const net = initMlp(mlpSpec(cfg, data), 0);
      const X: Mat32 = { rows: data.nTrain, cols: data.inDim, data: data.xTrain };
      const grad = new Float32Array(net.params.length);
      const r = rng(0);
      for (let e = 1; e <= SWITCH_EPOCH; e++)
        sgdEpoch(
          net,
          { X, y: data.yTrain, labels: data.labelsTrain, K: 1 },
          { lr: cfg.sgd.lr, batchSize: cfg.sgd.batchSize, loss: 'mse', epoch: e },
          r,
          grad,
        );
      return {
        net,
        X,
        y: Float64Array.from(data.yTrain),
        eta: cfg.sgd.lr,
        t: (cfg.sgd.epochs - SWITCH_EPOCH) * stepsPerEpoch(data.nTrain, cfg.sgd.batchSize),
        rcond: cfg.ntk.rcond,
      };
    },
    run(state) {
      const s = state as State;
      const { out, cache } = forward(s.net, s.X);
      const kernel = empiricalNtkMlp(s.net, s.X);
      const sp = spectrum(kernel);
      const sol = integratedFlow({ kernel, f0: Float64Array.from(out.data), y: s.y, n: s.X.rows, outDim: 1 }, sp, {
        eta: s.eta,
        t: s.t,
        rcond: s.rcond,
      });
      const jtw = backward(s.net, cache, { rows: s.X.rows, cols: 1, data: Float32Array.from(sol.w) });
      const trained = cloneMlp(s.net);
      for (let i = 0; i < jtw.length; i++) trained.params[i] -= jtw[i];
    },
    extra: (seconds, state) => ({
      params: (state as State).net.params.length,
      kernel_rows: (state as State).X.rows,
      flow_time: (state as State).t,
    }),
  },
];
