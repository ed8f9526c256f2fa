/**
 * Fashion-MNIST (Xiao et al. 2017), the one reader: the MNIST idx format, gzip-compressed, under
 * $TANGENT_DATA_DIR/fashion-mnist/. Images are idx3 (magic 2051, n × 28 × 28 unsigned bytes),
 * labels idx1 (magic 2049, n bytes in 0..9); pixels are scaled to [0, 1] and the official
 * 60 000 / 10 000 train/test split is kept. The krr and hybrid stages read it through here, and
 * their instances hash the same files (`fashionMnistFiles`) into their identities.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fail } from '@tangent/base';

export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

const HINT =
  "put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz under $TANGENT_DATA_DIR/fashion-mnist/ (Debian's 'dataset-fashion-mnist' package provides them)";

/** The four files, by role, under `dataDir`. */
export function fashionMnistFiles(dataDir: string) {
  const d = join(dataDir, 'fashion-mnist');
  return {
    trainImages: join(d, 'train-images-idx3-ubyte.gz'),
    trainLabels: join(d, 'train-labels-idx1-ubyte.gz'),
    testImages: join(d, 't10k-images-idx3-ubyte.gz'),
    testLabels: join(d, 't10k-labels-idx1-ubyte.gz'),
  };
}

/** The four files as raw-data entries (name, path): what an instance reading them hashes into its identity. */
export const fashionMnistRawFiles = (dataDir: string): Array<{ name: string; path: string }> =>
  Object.entries(fashionMnistFiles(dataDir)).map(([name, path]) => ({ name, path }));

function readGz(path: string): Buffer {
  if (!existsSync(path)) fail(`${path}: file not found; ${HINT}`);
  try {
    return gunzipSync(readFileSync(path));
  } catch (e) {
    fail(`${path}: not a valid gzip file (${(e as Error).message}); ${HINT}`);
  }
}

/** idx3 images → (n, rows, cols, bytes). */
export function parseIdxImages(buf: Buffer, source: string): { n: number; rows: number; cols: number; pixels: Uint8Array } {
  if (buf.length < 16) fail(`${source}: too short for an idx3 header (${buf.length} bytes)`);
  const magic = buf.readUInt32BE(0);
  if (magic !== 2051) fail(`${source}: magic number ${magic}, expected 2051 (idx3 unsigned-byte images); is this an image file?`);
  const n = buf.readUInt32BE(4),
    rows = buf.readUInt32BE(8),
    cols = buf.readUInt32BE(12);
  if (buf.length !== 16 + n * rows * cols)
    fail(`${source}: header says ${n}×${rows}×${cols} pixels but the body has ${buf.length - 16} bytes; the file is truncated or corrupt`);
  return { n, rows, cols, pixels: new Uint8Array(buf.buffer, buf.byteOffset + 16, n * rows * cols) };
}

/** idx1 labels → bytes. */
export function parseIdxLabels(buf: Buffer, source: string): Uint8Array {
  if (buf.length < 8) fail(`${source}: too short for an idx1 header (${buf.length} bytes)`);
  const magic = buf.readUInt32BE(0);
  if (magic !== 2049) fail(`${source}: magic number ${magic}, expected 2049 (idx1 unsigned-byte labels); is this a label file?`);
  const n = buf.readUInt32BE(4);
  if (buf.length !== 8 + n)
    fail(`${source}: header says ${n} labels but the body has ${buf.length - 8} bytes; the file is truncated or corrupt`);
  return new Uint8Array(buf.buffer, buf.byteOffset + 8, n);
}

export interface FashionSplit {
  /** Row-major n × (rows·cols), pixels / 255. */
  X: Float32Array;
  labels: Int32Array;
  rows: number;
  cols: number;
  /** Examples in the file (before `limit`). */
  total: number;
}

/** One split, its first `limit` examples (null: all). */
export function readFashionSplit(imagesPath: string, labelsPath: string, limit: number | null): FashionSplit {
  const img = parseIdxImages(readGz(imagesPath), imagesPath);
  const lab = parseIdxLabels(readGz(labelsPath), labelsPath);
  if (img.n !== lab.length) fail(`${imagesPath}: ${img.n} images but ${labelsPath} has ${lab.length} labels; the pair does not match`);
  const n = limit === null ? img.n : Math.min(limit, img.n);
  const d = img.rows * img.cols;
  const X = new Float32Array(n * d);
  for (let i = 0; i < n * d; i++) X[i] = img.pixels[i] / 255;
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (lab[i] > 9) fail(`${labelsPath}: label ${lab[i]} at index ${i} is outside 0..9`);
    labels[i] = lab[i];
  }
  return { X, labels, rows: img.rows, cols: img.cols, total: img.n };
}
