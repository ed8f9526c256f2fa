/**
 * The straightforward trainer as it was before the fused fast path (train-two-layer.ts): nn's
 * forward/backward, the full empirical NTK by empiricalNtkTwoLayer every tracked epoch, power
 * iteration for λ_max. Kept as the test oracle of trainTwoLayer (same seeds → same history to
 * float tolerance); not exported from the package.
 */
import { formatBytes, fail, progress } from '@tangent/base';
import { gatherRows, type Mat32, type Mat64 } from '@tangent/linalg';
import { DivergenceError, backward, binaryCrossEntropy, fit, forward, gdStep, initMlp, mse } from '@tangent/nn';
import { binaryScores } from '@tangent/kernels';
import { empiricalNtkTwoLayer } from './empirical-ntk-two-layer.ts';
import { kernelTargetAlignment, relativeFrobeniusDistance, topEigenvalue } from './kernel-stats.ts';
import { kernelPeakBytes, twoLayerSpec, type HistoryRow, type TrainData, type TrainOptions, type TrainResult } from './train-two-layer.ts';

function lossOf(kind: 'mse' | 'bce', f: Mat32, y: Float32Array) {
  return kind === 'mse'
    ? mse(f, y)
    : binaryCrossEntropy(
        f,
        Float32Array.from(y, (v) => (v > 0 ? 1 : 0)),
      );
}

export function trainTwoLayerReference(data: TrainData, o: TrainOptions): TrainResult {
  const t0 = performance.now();
  const n = data.X.rows,
    d = data.X.cols;
  if (data.y.length !== n) fail(`train: ${data.y.length} labels for ${n} rows`);
  if (!(o.lrScale > 0)) fail(`train: learning rate (natural units) must be > 0, got ${o.lrScale}`);
  const net = initMlp(twoLayerSpec(d, o.width, o), o.seed);
  const kOpts = { precision: o.precision, maxBytes: Infinity };

  // Tracked subset kernel Θ̂_0 (refused if it cannot fit).
  const tracked = o.tracked;
  let Xs: Mat32 | null = null,
    ys: Float32Array | null = null,
    theta0: Mat64 | null = null;
  if (tracked) {
    if (kernelPeakBytes(tracked.length) > o.maxKernelBytes)
      fail(
        `tracked subset of ${tracked.length} points needs ${formatBytes(kernelPeakBytes(tracked.length))} for its kernel (tracking.maxKernelBytes = ${formatBytes(o.maxKernelBytes)}); lower tracking.size`,
      );
    Xs = gatherRows(data.X, tracked);
    ys = Float32Array.from(tracked, (i) => data.y[i]);
    theta0 = empiricalNtkTwoLayer(net, Xs, undefined, kOpts);
  }
  const fullOk = o.trackFull && kernelPeakBytes(n) <= o.maxKernelBytes;
  const full0 = fullOk ? empiricalNtkTwoLayer(net, data.X, undefined, kOpts) : null;

  // η = c · n / λ_max(Θ̂_0): from the whole training kernel when we have it, else the subset's λ_max · n / n_s.
  let lambdaMax0: number, source: TrainResult['lambdaMaxSource'];
  if (full0) {
    lambdaMax0 = topEigenvalue(full0).value;
    source = 'full';
  } else {
    const Ks =
      theta0 ??
      empiricalNtkTwoLayer(
        net,
        gatherRows(
          data.X,
          Int32Array.from({ length: Math.min(n, 1000) }, (_, i) => i),
        ),
        undefined,
        kOpts,
      );
    lambdaMax0 = (topEigenvalue(Ks).value * n) / Ks.rows;
    source = 'tracked-scaled';
  }
  const lr = (o.lrScale * n) / lambdaMax0;
  const kernelInitError = theta0 && o.analytical ? relativeFrobeniusDistance(theta0, o.analytical(Xs!)) : null;

  // Centring: predictions f − f₀; with squared loss that is fitting f to y + f₀ on the train rows.
  if (o.center && o.loss !== 'mse') fail('train: model.center works with loss mse only (it shifts the regression targets by f₀)');
  const f0 = (X?: Mat32) => (o.center && X ? Float32Array.from(forward(net, X).out.data) : null);
  const f0Train = f0(data.X),
    f0Eval = f0(data.Xeval),
    f0Test = f0(data.Xtest);
  const minus = (a: Float32Array, b: Float32Array | null) => (b ? a.map((v, i) => v - b[i]) : a);
  const yFit = f0Train ? data.y.map((v, i) => v + f0Train[i]) : data.y;

  const history: HistoryRow[] = [];
  const eigvec = theta0 ? new Float64Array(theta0.rows) : undefined;
  const grad = new Float32Array(net.params.length);
  const bar = o.label ? progress(o.label, o.epochs, 'epoch') : { tick() {}, stop() {} };
  let initialLoss = NaN;
  for (let t = 0; t <= o.epochs; t++) {
    const { out, cache } = forward(net, data.X);
    const { loss, dPred } = lossOf(o.loss, out, yFit);
    if (t === 0) initialLoss = loss;
    if (!Number.isFinite(loss) || loss > o.divergenceFactor * initialLoss) {
      bar.stop();
      const advice = (o.lrScale / 4).toPrecision(3);
      throw new DivergenceError(
        `run w${o.width}-s${o.seed}-lr${o.lrScale} diverged at epoch ${t}: training loss ${loss} (started at ${initialLoss.toPrecision(4)}) with η = ${lr.toPrecision(4)} (η·λ_max/n = ${o.lrScale}); rerun with --lr ${advice} (or remove ${o.lrScale} from the config's lrs)`,
        t,
        lr,
        loss,
      );
    }
    const tr = binaryScores(minus(out.data, f0Train), data.y);
    let evalLoss: number | null = null,
      ev: { accuracy: number; f1: number } | null = null;
    if (data.Xeval && data.yeval) {
      const fe = forward(net, data.Xeval).out;
      const centred = { rows: fe.rows, cols: fe.cols, data: minus(fe.data, f0Eval) };
      evalLoss = lossOf(o.loss, centred, data.yeval).loss;
      ev = binaryScores(centred.data, data.yeval);
    }
    const row: HistoryRow = {
      epoch: t,
      trainLoss: loss,
      trainAccuracy: tr.accuracy,
      trainF1: tr.f1,
      evalLoss,
      evalAccuracy: ev?.accuracy ?? null,
      evalF1: ev?.f1 ?? null,
      deltaTheta: null,
      lambdaMax: null,
      alignment: null,
    };
    if (theta0 && (t <= 10 || t % o.trackEvery === 0 || t === o.epochs)) {
      const th = t === 0 ? theta0 : empiricalNtkTwoLayer(net, Xs!, undefined, kOpts);
      row.deltaTheta = relativeFrobeniusDistance(th, theta0); // ΔΘ(t) = ‖Θ̂_t − Θ̂_0‖_F / ‖Θ̂_0‖_F
      row.lambdaMax = topEigenvalue(th, { start: eigvec, tol: 1e-10 }).value;
      row.alignment = kernelTargetAlignment(th, ys!);
    }
    history.push(row);
    if (t === o.epochs) break;
    if (o.batchSize > 0 && o.batchSize < n) {
      // one epoch of seeded mini-batch SGD (the shuffle seed depends on run seed and epoch)
      const y01 = o.loss === 'bce' ? Float32Array.from(data.y, (v) => (v > 0 ? 1 : 0)) : yFit;
      fit(net, data.X, y01, {
        loss: o.loss,
        lr,
        epochs: 1,
        batchSize: o.batchSize,
        seed: o.seed * 1_000_003 + t,
        divergenceFactor: Infinity,
      });
    } else {
      backward(net, cache, dPred, grad);
      gdStep(net.params, grad, lr);
    }
    bar.tick();
  }
  bar.stop();
  const final = history[history.length - 1];
  let deltaThetaFullFinal: number | null = null;
  if (full0) deltaThetaFullFinal = relativeFrobeniusDistance(empiricalNtkTwoLayer(net, data.X, undefined, kOpts), full0);
  return {
    history,
    lr,
    lrNatural: (lr * lambdaMax0) / n,
    lambdaMax0,
    lambdaMaxSource: source,
    kernelInitError,
    deltaThetaFinal: final.deltaTheta,
    deltaThetaFullFinal,
    trackedSize: tracked?.length ?? 0,
    fullKernel: !!full0,
    final,
    testPredictions: data.Xtest ? minus(Float32Array.from(forward(net, data.Xtest).out.data), f0Test) : null,
    evalPredictions: data.Xeval ? minus(Float32Array.from(forward(net, data.Xeval).out.data), f0Eval) : null,
    outputs: 1,
    classes: null,
    seconds: (performance.now() - t0) / 1000,
    network: net,
    dynamics: null, // the oracle of the training path only
  };
}
