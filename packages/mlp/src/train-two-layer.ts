/**
 * One training run of the finite-width two-layer network with empirical-NTK tracking:
 *   h = φ(W1 x/√d), f = W2 h/√m, W ~ N(0, 1) (NTK parameterisation; options: bias, standard;
 *   φ = relu or erf, model.activation),
 * trained by gradient descent θ ← θ − η ∇θ L on L = 1/(2n) Σ (f − y)² (or the logistic loss),
 * with η = c · n / λ_max(Θ̂_0) (c in natural NTK units: the linearised dynamics
 * f_{t+1} − y = (I − η Θ̂/n)(f_t − y) are stable iff c < 2).
 * Every row of the history describes the parameters θ_t after t epochs (t = 0 is initialisation).
 *
 * K > 2 classes: K outputs, f = W2 h/√m with W2 ∈ R^{K×m}, trained on L = 1/(2n) Σ_i ‖f(x_i) − y_i‖²
 * with one-vs-rest ±1 targets y_i (multiclass.ts), predicted class argmax_k f_k. Its NTK tends to
 * Θ ⊗ I_K; what is tracked (ΔΘ, λ_max, Θ̂₀'s error, η) is the trace kernel Θ̂_tr = (1/K) Σ_k Θ̂_kk
 * (output-trace.ts, where η's scale is justified). A binary task keeps its one ±1 output.
 */
import { formatBytes, fail, progress } from '@tangent/base';
import { gatherRows, type Mat32, type Mat64 } from '@tangent/linalg';
import { DivergenceError, binaryCrossEntropy, fit, gdStep, initMlp, mse, type Mlp, type MlpSpec, type Parameterization } from '@tangent/nn';
import { binaryScores, type ActivationName, type MulticlassMetrics } from '@tangent/kernels';
import { empiricalNtkTwoLayer } from './empirical-ntk-two-layer.ts';
import { DEFAULT_ACTIVATION, trainSettings } from './config.ts';
import { relativeFrobeniusDistance } from './kernel-stats.ts';
import { linearisedLossCurves, maxRelativeDeviation, type LossCurves } from './linearised-dynamics.ts';
import { argmaxRows, classScores, gatherTargetRows, outputAlignment } from './multiclass.ts';
import { TwoLayerGd, type RowCapture } from './two-layer-gd.ts';
import { TwoLayerGdMulti } from './two-layer-gd-multi.ts';
import { TwoLayerKernel, type KernelSummary } from './two-layer-kernel.ts';

export interface TrainData {
  /**
   * Training inputs (n × d, float32) and targets, n × K row-major: K = 1 the ±1 labels; K > 1
   * outputs, one-vs-rest ±1 rows (multiclass.ts oneVsRestTargets; the class is the row's argmax).
   */
  X: Mat32;
  y: Float32Array;
  /** Held-out inputs and their targets, coded as y (optional). */
  Xeval?: Mat32;
  yeval?: Float32Array;
  /** K, the network's outputs (default 1: the binary network). */
  outputs?: number;
  /** Unlabelled inputs to predict at the end (optional). */
  Xtest?: Mat32;
}

export interface TrainOptions {
  width: number;
  seed: number;
  /** c in η = c · n / λ_max(Θ̂_0). */
  lrScale: number;
  epochs: number;
  batchSize: number;
  loss: 'mse' | 'bce';
  parameterization: Parameterization;
  /** The hidden layer's φ (@tangent/kernels' activation registry). */
  activation: ActivationName;
  bias: boolean;
  sigmaB: number;
  /**
   * Train the centred network f(x; θ) − f(x; θ₀). Same Jacobian, so the same NTK and ΔΘ, but
   * the random initial function no longer adds to the predictions: the infinite-width limit of
   * gradient descent is then exactly the kernel regressor Θ(x, X)Θ⁻¹y (Lee et al. 2019, eq. 16
   * with f₀ = 0). With MSE this is training on targets y + f₀(X).
   */
  center?: boolean;
  divergenceFactor: number;
  /** Indices (into X) of the tracked subset; null: no kernel tracking (e.g. submission runs). */
  tracked: Int32Array | null;
  trackEvery: number;
  trackFull: boolean;
  precision: 'float64' | 'float32';
  maxKernelBytes: number;
  /** The analytical NTK Θ(X, Z) (Z defaults to X; same scaling), for the error of Θ̂_0 and the predicted dynamics. */
  analytical?: (X: Mat32, Z?: Mat32) => Mat64;
  /**
   * Predict the train/eval loss curves of the linearised network from Θ̂_0 (all fit rows) and from
   * the analytical Θ (see linearised-dynamics.ts). Needs full-batch GD on the centred MSE.
   */
  dynamics?: boolean;
  /** Progress label; silent when omitted. */
  label?: string;
}

export interface HistoryRow {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  trainF1: number;
  evalLoss: number | null;
  evalAccuracy: number | null;
  evalF1: number | null;
  /** ‖Θ̂_t − Θ̂_0‖_F / ‖Θ̂_0‖_F on the tracked subset (null on epochs without kernel tracking). */
  deltaTheta: number | null;
  lambdaMax: number | null;
  alignment: number | null;
}

export interface TrainResult {
  history: HistoryRow[];
  /** η actually used, and η·λ_max(Θ̂_0)/n (= c). */
  lr: number;
  lrNatural: number;
  lambdaMax0: number;
  /** Where λ_max(Θ̂_0) came from: the whole training set or the tracked subset scaled by n/n_s. */
  lambdaMaxSource: 'full' | 'tracked-scaled';
  kernelInitError: number | null;
  deltaThetaFinal: number | null;
  deltaThetaFullFinal: number | null;
  trackedSize: number;
  fullKernel: boolean;
  final: HistoryRow;
  /** Predictions f on Xtest at the end (if given; n × K row-major for K outputs, centred as the training). */
  testPredictions: Float32Array | null;
  evalPredictions: Float32Array | null;
  /** K (predictions are n × K row-major). */
  outputs: number;
  /** K > 1: the final network's accuracy, macro-F1 and per-class recall on the train and eval rows. */
  classes: { train: MulticlassMetrics; eval: MulticlassMetrics | null } | null;
  seconds: number;
  network: Mlp;
  /** The loss curves predicted by the linearised dynamics (with `dynamics`), and how far the actual ones strayed. */
  dynamics: PredictedDynamics | null;
}

export interface PredictedDynamics {
  /** From the analytical Θ (null without `analytical`). */
  analytic: LossCurves | null;
  /** From Θ̂_0 on all fit rows (null when that kernel does not fit in tracking.maxKernelBytes). */
  empirical: LossCurves | null;
  maxRelDevAnalytic: number | null;
  maxRelDevEmpirical: number | null;
  /** Wall time of the predictions (kernels and iterations). */
  seconds: number;
}

/** The network of a run: d inputs, `width` hidden units with φ = o.activation (default: the config's), `outputs` outputs (default one). */
export function twoLayerSpec(
  d: number,
  width: number,
  o: Pick<TrainOptions, 'parameterization' | 'bias' | 'sigmaB'> & Partial<Pick<TrainOptions, 'activation'>>,
  outputs = 1,
): MlpSpec {
  return {
    sizes: [d, width, outputs],
    activation: o.activation ?? DEFAULT_ACTIVATION,
    parameterization: o.parameterization,
    bias: o.bias,
    sigmaW: 1,
    sigmaB: o.sigmaB,
    biasInit: 'zeros',
  };
}

/** The full-batch passes: the fused one-output ones (two-layer-gd.ts) or the K-output ones (two-layer-gd-multi.ts). */
interface GdPasses {
  forward(X: Mat32, out: Float32Array, keep?: boolean, capture?: RowCapture): Float32Array;
  backward(X: Mat32, dPred: Float32Array, grad: Float32Array): Float32Array;
}

function lossOf(kind: 'mse' | 'bce', f: Mat32, y: Float32Array) {
  return kind === 'mse'
    ? mse(f, y)
    : binaryCrossEntropy(
        f,
        Float32Array.from(y, (v) => (v > 0 ? 1 : 0)),
      );
}

/** Peak memory of an N×N kernel computation: result + two float64 temporaries. */
export function kernelPeakBytes(n: number): number {
  return 3 * n * n * 8;
}

/** Epochs 0..TRACK_FIRST_EPOCHS are always tracked (the kernel moves fastest early), whatever tracking.every. */
export const TRACK_FIRST_EPOCHS = 10;
/**
 * Without the full-fit kernel or a tracked subset, λ_max(Θ̂_0) is estimated on the first
 * LAMBDA_SUBSET_SIZE fit rows and scaled by n/n_s (the default tracking.size).
 */
export const LAMBDA_SUBSET_SIZE = 1000;
/** A diverged run is advised to rerun at c / DIVERGENCE_LR_DIVISOR. */
export const DIVERGENCE_LR_DIVISOR = 4;
/** Mini-batch SGD reshuffles epoch t with seed·SGD_SEED_STRIDE + t (a prime: no two (seed, t < stride) collide). */
export const SGD_SEED_STRIDE = 1_000_003;

/** The shuffle seed of epoch t of the run with this seed. */
export function sgdEpochSeed(seed: number, t: number): number {
  return seed * SGD_SEED_STRIDE + t;
}

/** Whether epoch t records the tracked-subset kernel: t ≤ TRACK_FIRST_EPOCHS, every `every`-th, and the last. */
export function isTrackedEpoch(t: number, every: number, epochs: number): boolean {
  return t <= TRACK_FIRST_EPOCHS || t % every === 0 || t === epochs;
}

/**
 * Options for one run: the mlp section's defaults (config.ts: c = 1, 500 epochs, centred MSE,
 * full-batch GD, no tracked subset), then `o`. E.g. trainOptions({ width: 1024, seed: 0, epochs: 50 }).
 */
export function trainOptions(o: Pick<TrainOptions, 'width' | 'seed'> & Partial<TrainOptions>): TrainOptions;
/** The same without a width and seed yet: a base to spread them into. */
export function trainOptions(o?: Partial<TrainOptions>): Omit<TrainOptions, 'width' | 'seed'>;
export function trainOptions(o: Partial<TrainOptions> = {}): TrainOptions {
  return { lrScale: 1, tracked: null, ...trainSettings(), ...o } as TrainOptions; // width and seed: from o, per the overloads
}

export function trainTwoLayer(data: TrainData, o: TrainOptions): TrainResult {
  const t0 = performance.now();
  const n = data.X.rows,
    d = data.X.cols,
    K = data.outputs ?? 1;
  if (!(Number.isInteger(K) && K >= 1)) fail(`train: outputs must be a positive integer, got ${K}`);
  if (data.y.length !== n * K)
    fail(K === 1 ? `train: ${data.y.length} labels for ${n} rows` : `train: ${data.y.length} targets for ${n} rows × ${K} outputs`);
  if (!(o.lrScale > 0)) fail(`train: learning rate (natural units) must be > 0, got ${o.lrScale}`);
  if (K > 1 && o.loss !== 'mse')
    fail(
      `train: train.loss '${o.loss}' is the one-output logistic loss; ${K} outputs train on the MSE of one-vs-rest ±1 targets: set train.loss: mse`,
    );
  const net = initMlp(twoLayerSpec(d, o.width, o, K), o.seed);
  const gd: GdPasses = K === 1 ? new TwoLayerGd(net) : new TwoLayerGdMulti(net);
  // K > 1: the classes (argmax of the target rows) the scores compare with, and the K-column alignment
  const truth = (y?: Float32Array) => (K > 1 && y ? argmaxRows(y, K) : null);
  const tTrain = truth(data.y),
    tEval = truth(data.yeval);
  // K > 1: accuracy of the argmax and, as f1, the macro-F1 (the ntk stage's f1 for K > 2 classes)
  const scoresOf = (f: Float32Array, y: Float32Array, t: Int8Array | null): { accuracy: number; f1: number } => {
    if (!t) return binaryScores(f, y);
    const c = classScores(f, t, K);
    return { accuracy: c.accuracy, f1: c.macroF1 };
  };
  const precision = o.precision;

  // Tracked subset kernel Θ̂_0 (refused if it cannot fit), kept as its lower triangle.
  const tracked = o.tracked;
  let Xs: Mat32 | null = null,
    ys: Float32Array | null = null,
    sub: TwoLayerKernel | null = null,
    s0: KernelSummary | null = null,
    theta0: Float64Array | null = null;
  if (tracked) {
    if (kernelPeakBytes(tracked.length) > o.maxKernelBytes)
      fail(
        `tracked subset of ${tracked.length} points needs ${formatBytes(kernelPeakBytes(tracked.length))} for its kernel (tracking.maxKernelBytes = ${formatBytes(o.maxKernelBytes)}); lower tracking.size`,
      );
    Xs = gatherRows(data.X, tracked);
    ys = gatherTargetRows(data.y, K, tracked);
    sub = new TwoLayerKernel(Xs, { precision, cache: true });
    s0 = withAlignment(sub, sub.update(net, { y: K === 1 ? ys : null }), ys, K);
    theta0 = sub.snapshot();
  }

  // η = c · n / λ_max(Θ̂_0): from the whole training kernel when we have it, else the subset's λ_max · n / n_s.
  if (o.dynamics && (o.loss !== 'mse' || !o.center || (o.batchSize > 0 && o.batchSize < n)))
    fail('train: tracking.dynamics predicts full-batch GD on the centred MSE; set train.batchSize: 0, train.loss: mse, model.center: true');
  const fullOk = (o.trackFull || !!o.dynamics) && kernelPeakBytes(n) <= o.maxKernelBytes;
  let lambdaMax0: number, source: TrainResult['lambdaMaxSource'];
  let fullTheta0: Float64Array | null = null;
  let full0: Float64Array | null = null,
    fullK: TwoLayerKernel | null = null;
  if (fullOk) {
    // ΔΘ on all fit rows at t = T needs Θ̂_0 and x·z kept; a run without tracking (submission) needs neither.
    const K = new TwoLayerKernel(data.X, { precision, cache: false, keepXz: !!tracked });
    lambdaMax0 = K.update(net).lambdaMax;
    source = 'full';
    fullTheta0 = K.theta;
    if (tracked) ((full0 = K.theta), (fullK = K));
    else K.dispose();
  } else {
    if (s0) lambdaMax0 = (s0.lambdaMax * n) / tracked!.length;
    else {
      const ns = Math.min(n, LAMBDA_SUBSET_SIZE);
      const K = new TwoLayerKernel(
        gatherRows(
          data.X,
          Int32Array.from({ length: ns }, (_, i) => i),
        ),
        { precision, cache: false },
      );
      lambdaMax0 = (K.update(net).lambdaMax * n) / ns;
    }
    source = 'tracked-scaled';
  }
  const lr = (o.lrScale * n) / lambdaMax0;
  const kernelInitError = sub && o.analytical ? relativeFrobeniusDistance(sub.full(), o.analytical(Xs!)) : null;
  const predict = o.dynamics ? predictor(data, o, net, fullTheta0, lr) : null;

  // Centring: predictions f − f₀; with squared loss that is fitting f to y + f₀ on the train rows.
  if (o.center && o.loss !== 'mse') fail('train: model.center works with loss mse only (it shifts the regression targets by f₀)');
  // (the train rows through the training buffer: no second N×m buffer for one pass)
  const f0 = (X?: Mat32, keep = false) => (o.center && X ? gd.forward(X, new Float32Array(X.rows * K), keep) : null);
  const f0Train = f0(data.X, true),
    f0Eval = f0(data.Xeval),
    f0Test = f0(data.Xtest);
  const minus = (a: Float32Array, b: Float32Array | null) => (b ? a.map((v, i) => v - b[i]) : a);
  const yFit = f0Train ? data.y.map((v, i) => v + f0Train[i]) : data.y;

  const history: HistoryRow[] = [];
  const grad = new Float32Array(net.params.length);
  const fTrain = new Float32Array(n * K),
    fEval = data.Xeval ? new Float32Array(data.Xeval.rows * K) : null;
  const out: Mat32 = { rows: n, cols: K, data: fTrain };
  const bar = o.label ? progress(o.label, o.epochs, 'epoch') : { tick() {}, stop() {} };
  let initialLoss = NaN;
  // the tracked rows' pre-activations come out of the training forward pass (no sgemm of their own)
  const capture = sub && tracked ? { rows: tracked, into: sub.preactivationBuffer(o.width) } : null;
  for (let t = 0; t <= o.epochs; t++) {
    const trackNow = !!sub && t > 0 && isTrackedEpoch(t, o.trackEvery, o.epochs);
    gd.forward(data.X, fTrain, true, trackNow ? capture! : undefined);
    if (trackNow) sub!.preactivationsGiven();
    const { loss, dPred } = lossOf(o.loss, out, yFit);
    if (t === 0) initialLoss = loss;
    if (!Number.isFinite(loss) || loss > o.divergenceFactor * initialLoss) {
      bar.stop();
      const advice = (o.lrScale / DIVERGENCE_LR_DIVISOR).toPrecision(3);
      throw new DivergenceError(
        `run w${o.width}-s${o.seed}-lr${o.lrScale} diverged at epoch ${t}: training loss ${loss} (started at ${initialLoss.toPrecision(4)}) with η = ${lr.toPrecision(4)} (η·λ_max/n = ${o.lrScale}); rerun with c = ${advice} instead: in configs/pipeline.yaml, grid.lrs, grid.lrSweep.lrs where the sweep adds it, or regimes.<name>.lrs for a regime's run`,
        t,
        lr,
        loss,
      );
    }
    const tr = scoresOf(minus(fTrain, f0Train), data.y, tTrain);
    let evalLoss: number | null = null,
      ev: { accuracy: number; f1: number } | null = null;
    if (data.Xeval && data.yeval) {
      gd.forward(data.Xeval, fEval!);
      const centred = { rows: data.Xeval.rows, cols: K, data: minus(fEval!, f0Eval) };
      evalLoss = lossOf(o.loss, centred, data.yeval).loss;
      ev = scoresOf(centred.data, data.yeval, tEval);
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
    if (sub && isTrackedEpoch(t, o.trackEvery, o.epochs)) {
      // ΔΘ(t) = ‖Θ̂_t − Θ̂_0‖_F / ‖Θ̂_0‖_F, λ_max(Θ̂_t), A(Θ̂_t, y) on the tracked subset
      const s = t === 0 ? { ...s0!, deltaTheta: 0 } : withAlignment(sub, sub.update(net, { ref: theta0, y: K === 1 ? ys : null }), ys!, K);
      row.deltaTheta = s.deltaTheta;
      row.lambdaMax = s.lambdaMax;
      row.alignment = s.alignment;
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
        seed: sgdEpochSeed(o.seed, t),
        divergenceFactor: Infinity,
      });
    } else {
      gd.backward(data.X, dPred.data, grad);
      gdStep(net.params, grad, lr);
    }
    bar.tick();
  }
  bar.stop();
  sub?.dispose();
  const dynamics = predict ? predict(history) : null;
  const final = history[history.length - 1];
  let deltaThetaFullFinal: number | null = null;
  if (full0 && fullK) {
    deltaThetaFullFinal = fullK.update(net, { ref: full0, lambdaMax: false, consumeXz: true }).deltaTheta;
    fullK.dispose();
  }
  const predictions = (X?: Mat32, f0X?: Float32Array | null) =>
    X ? minus(gd.forward(X, new Float32Array(X.rows * K)), f0X ?? null) : null;
  const evalPredictions = predictions(data.Xeval, f0Eval);
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
    fullKernel: fullOk,
    final,
    testPredictions: predictions(data.Xtest, f0Test),
    evalPredictions,
    outputs: K,
    classes: tTrain && {
      train: classScores(minus(fTrain, f0Train), tTrain, K), // fTrain: the last epoch's forward pass, at θ_T
      eval: tEval && classScores(evalPredictions!, tEval, K),
    },
    seconds: (performance.now() - t0) / 1000,
    network: net,
    dynamics,
  };
}

/** K > 1: the summary's alignment against the K target columns (outputAlignment); K = 1 has it from the fused pass. */
function withAlignment(sub: TwoLayerKernel, s: KernelSummary, ys: Float32Array, K: number): KernelSummary {
  return K === 1 ? s : { ...s, alignment: outputAlignment(sub.theta, ys, K) };
}

/**
 * The predicted curves, computed at initialisation (the network is still at θ₀); the returned
 * function scores them against the actual history once training is done.
 */
function predictor(
  data: TrainData,
  o: TrainOptions,
  net0: Mlp,
  fullTheta0: Float64Array | null,
  lr: number,
): (history: HistoryRow[]) => PredictedDynamics {
  const t0 = performance.now();
  const n = data.X.rows,
    K = data.outputs ?? 1; // K > 1: each output on its own, by Θ ⊗ I_K (Θ̂₀: its trace Θ̂_tr,0 ⊗ I_K; linearised-dynamics.ts)
  const yFit = Float64Array.from(data.y);
  const ev = (Kx: Mat64) => (data.Xeval && data.yeval ? { Kx, y: Float64Array.from(data.yeval) } : undefined);
  const empirical = fullTheta0
    ? linearisedLossCurves(
        { rows: n, cols: n, data: fullTheta0 },
        yFit,
        lr,
        o.epochs,
        data.Xeval ? ev(empiricalNtkTwoLayer(net0, data.Xeval, data.X, { precision: o.precision, maxBytes: o.maxKernelBytes })) : undefined,
        K,
      )
    : null;
  const analytic = o.analytical
    ? linearisedLossCurves(o.analytical(data.X), yFit, lr, o.epochs, data.Xeval ? ev(o.analytical(data.Xeval, data.X)) : undefined, K)
    : null;
  const seconds = (performance.now() - t0) / 1000;
  return (history) => ({
    analytic,
    empirical,
    maxRelDevAnalytic: analytic ? maxRelativeDeviation(analytic, history) : null,
    maxRelDevEmpirical: empirical ? maxRelativeDeviation(empirical, history) : null,
    seconds,
  });
}
