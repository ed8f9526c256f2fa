/**
 * The in-memory dataset every loader produces: float32 design matrices (row-major, features
 * standardised with training statistics where the loader says so), training targets in the
 * form the network fits (standardised regression targets, or one-hot rows), and the original
 * targets for metrics.
 */
import { gatherRows, mat64, rng } from '@tangent/linalg';
import { fail } from '@tangent/base';

export type Task = 'regression' | 'classification';

export interface Dataset {
  name: string;
  task: Task;
  inDim: number;
  /** Network output width: 1 for regression, number of classes for classification. */
  outDim: number;
  nTrain: number;
  nTest: number;
  xTrain: Float32Array;
  xTest: Float32Array;
  /** What the network is trained on: (y − targetMean)/targetStd, or one-hot rows (n × outDim). */
  yTrain: Float32Array;
  yTest: Float32Array;
  /** Original-scale regression targets (NaN-free); empty for classification. */
  rawTrain: Float64Array;
  rawTest: Float64Array;
  /** Class indices for classification; empty for regression. */
  labelsTrain: Int32Array;
  labelsTest: Int32Array;
  /** y_original = targetMean + targetStd · y_network (1 and 0 when not standardised). */
  targetMean: number;
  targetStd: number;
  classNames: string[];
  featureNames: string[];
  /** Raw input files, for provenance hashes. */
  files: string[];
}

/** Seeded split: a permutation of 0..n−1; the first round(n·testFraction) indices are the test set. */
export function splitIndices(n: number, testFraction: number, seed: number): { train: Int32Array; test: Int32Array } {
  const nTest = Math.round(n * testFraction);
  if (nTest < 1 || n - nTest < 2) fail(`split: ${n} rows with testFraction ${testFraction} leave ${n - nTest} training and ${nTest} test rows; need at least 2 and 1`);
  const p = rng(seed ^ 0x5eed).permutation(n);
  return { test: p.slice(0, nTest).sort(), train: p.slice(nTest).sort() };
}

/** Column means and standard deviations (population) of the selected rows; std 0 becomes 1. */
export function columnStats(X: Float64Array, cols: number, rows: Int32Array): { mean: Float64Array; std: Float64Array } {
  const mean = new Float64Array(cols), std = new Float64Array(cols);
  for (const i of rows) for (let j = 0; j < cols; j++) mean[j] += X[i * cols + j];
  for (let j = 0; j < cols; j++) mean[j] /= rows.length;
  for (const i of rows) for (let j = 0; j < cols; j++) std[j] += (X[i * cols + j] - mean[j]) ** 2;
  for (let j = 0; j < cols; j++) {
    std[j] = Math.sqrt(std[j] / rows.length);
    if (!(std[j] > 0)) std[j] = 1;
  }
  return { mean, std };
}

/** Rows of X (n × cols, float64) standardised column-wise, (x − mean)/std in float64, stored as float32. */
export function standardisedRows(X: Float64Array, cols: number, rows: Int32Array, stats: { mean: Float64Array; std: Float64Array }): Float32Array {
  const G = gatherRows(mat64(X.length / cols, cols, X), rows).data;
  return Float32Array.from(G, (v, k) => (v - stats.mean[k % cols]) / stats.std[k % cols]);
}

export function oneHot(labels: Int32Array, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  labels.forEach((c, i) => (out[i * classes + c] = 1));
  return out;
}

/**
 * Assemble a regression or classification dataset from a full float64 feature matrix and
 * targets, split by `seed`; feature statistics come from the training rows only.
 */
export function assembleTabular(opts: {
  name: string;
  task: Task;
  X: Float64Array;
  cols: number;
  y: Float64Array;
  classNames?: string[];
  featureNames: string[];
  testFraction: number;
  seed: number;
  standardizeTarget: boolean;
  files: string[];
}): Dataset {
  const n = opts.y.length;
  const { train, test } = splitIndices(n, opts.testFraction, opts.seed);
  const stats = columnStats(opts.X, opts.cols, train);
  const xTrain = standardisedRows(opts.X, opts.cols, train, stats);
  const xTest = standardisedRows(opts.X, opts.cols, test, stats);
  const pick = (idx: Int32Array) => Float64Array.from(idx, (i) => opts.y[i]);
  if (opts.task === 'regression') {
    const rawTrain = pick(train), rawTest = pick(test);
    let mean = 0, std = 1;
    if (opts.standardizeTarget) {
      mean = rawTrain.reduce((s, v) => s + v, 0) / rawTrain.length;
      std = Math.sqrt(rawTrain.reduce((s, v) => s + (v - mean) ** 2, 0) / rawTrain.length) || 1;
    }
    return {
      name: opts.name, task: 'regression', inDim: opts.cols, outDim: 1, nTrain: train.length, nTest: test.length, xTrain, xTest,
      yTrain: Float32Array.from(rawTrain, (v) => (v - mean) / std), yTest: Float32Array.from(rawTest, (v) => (v - mean) / std),
      rawTrain, rawTest, labelsTrain: new Int32Array(0), labelsTest: new Int32Array(0), targetMean: mean, targetStd: std,
      classNames: [], featureNames: opts.featureNames, files: opts.files,
    };
  }
  const C = opts.classNames!.length;
  const labelsTrain = Int32Array.from(train, (i) => opts.y[i]);
  const labelsTest = Int32Array.from(test, (i) => opts.y[i]);
  return {
    name: opts.name, task: 'classification', inDim: opts.cols, outDim: C, nTrain: train.length, nTest: test.length, xTrain, xTest,
    yTrain: oneHot(labelsTrain, C), yTest: oneHot(labelsTest, C), rawTrain: new Float64Array(0), rawTest: new Float64Array(0),
    labelsTrain, labelsTest, targetMean: 0, targetStd: 1, classNames: opts.classNames!, featureNames: opts.featureNames, files: opts.files,
  };
}
