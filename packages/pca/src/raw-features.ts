/**
 * A table or image dataset's rows as features (datasets.ts, kinds `table-csv` and
 * `fashion-mnist`), read from its raw files: what the pca stage projects in place of the text
 * datasets' embeddings. Tables: the feature columns, standardised with the train rows' mean and
 * standard deviation when `standardize` (a constant column becomes 0); Fashion-MNIST: pixels/255,
 * optionally a seeded stratified subset of each split.
 */
import {
  FASHION_CLASSES,
  fashionMnistFiles,
  numericMatrix,
  readFashionSplit,
  readLabelledCsv,
  type Dataset,
  type FeatureDataset,
  type LabelledSplit,
} from '@tangent/contracts';
import { stratifiedSplit } from '@tangent/kernels';
import { mat32, type Mat32 } from '@tangent/linalg';

export interface FeatureSplit {
  ids: Int32Array;
  /** Class index per row (every row is labelled). */
  target: Int8Array;
  X: Mat32;
}

export interface FeatureRows {
  train: FeatureSplit;
  test: FeatureSplit;
  classes: string[];
  /** The raw files read (for provenance). */
  files: string[];
  /** What was done to the raw values, for the artifact's provenance. */
  scaling: string;
}

/** Fashion-MNIST, each split optionally cut to a seeded stratified subset of `rows` images. */
function fashionMnist(spec: Extract<Dataset, { kind: 'fashion-mnist' }>, dataDir: string): FeatureRows {
  const f = fashionMnistFiles(dataDir);
  const split = (images: string, labels: string, rows: number | undefined, idOffset: number, seed: number): FeatureSplit => {
    const s = readFashionSplit(images, labels, null);
    const d = s.rows * s.cols;
    const keep = subset(s.labels, rows, seed);
    const X = new Float32Array(keep.length * d);
    keep.forEach((r, i) => X.set(s.X.subarray(r * d, (r + 1) * d), i * d));
    return {
      ids: Int32Array.from(keep, (r) => idOffset + r),
      target: Int8Array.from(keep, (r) => s.labels[r]),
      X: mat32(keep.length, d, X),
    };
  };
  return {
    // ids: the image's index in its file, test images numbered after the 60 000 train images
    train: split(f.trainImages, f.trainLabels, spec.trainRows, 0, spec.seed),
    test: split(f.testImages, f.testLabels, spec.testRows, 60_000, spec.seed + 1),
    classes: [...FASHION_CLASSES],
    files: Object.values(f),
    scaling: 'pixels / 255',
  };
}

/**
 * The rows of a seeded stratified subset of `rows` of them (every row when absent or not fewer),
 * in file order: the stratified split's held-out share, so each class keeps its proportion.
 */
export function subset(labels: ArrayLike<number>, rows: number | undefined, seed: number): number[] {
  const n = labels.length;
  if (rows === undefined || rows >= n) return Array.from({ length: n }, (_, i) => i);
  const { isEval } = stratifiedSplit(labels, { evalFraction: rows / n, folds: 2, seed });
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (isEval[i]) out.push(i);
  return out;
}

/**
 * A table's feature columns as float32 rows; with `standardize`, each column centred and scaled
 * by the train rows' mean and standard deviation (population, 1/n), the same shift and scale
 * applied to the test rows; a column constant on train becomes 0.
 */
function tableRows(spec: Extract<Dataset, { kind: 'table-csv' }>, dataDir: string, where: string): FeatureRows {
  const csv = readLabelledCsv(spec, dataDir, where);
  const p = csv.columns.length;
  const matrix = (s: LabelledSplit) => numericMatrix(s.rows, csv.columns, s.file, s.lines);
  const train = matrix(csv.train),
    test = matrix(csv.test);
  if (spec.standardize) standardize(train, test, p);
  const split = (s: LabelledSplit, X: Float64Array): FeatureSplit => ({
    ids: s.ids,
    target: s.labels,
    X: mat32(s.ids.length, p, Float32Array.from(X)),
  });
  return {
    train: split(csv.train, train),
    test: split(csv.test, test),
    classes: csv.classes,
    files: csv.files,
    scaling: spec.standardize ? `${p} columns standardised with the train rows' mean and sd` : `${p} columns as they are`,
  };
}

/** Column-wise z-scores in place with the train rows' statistics (float64 sums). */
export function standardize(train: Float64Array, test: Float64Array, p: number): void {
  const n = train.length / p;
  for (let j = 0; j < p; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += train[i * p + j];
    mean /= n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (train[i * p + j] - mean) ** 2;
    const sd = Math.sqrt(ss / n);
    const scale = sd > 0 ? 1 / sd : 0;
    for (const X of [train, test]) for (let i = j; i < X.length; i += p) X[i] = (X[i] - mean) * scale;
  }
}

/** The features of a table or image dataset. */
export function readFeatureRows(spec: FeatureDataset, dataDir: string, where: string): FeatureRows {
  switch (spec.kind) {
    case 'fashion-mnist':
      return fashionMnist(spec, dataDir);
    case 'table-csv':
      return tableRows(spec, dataDir, where);
  }
}
