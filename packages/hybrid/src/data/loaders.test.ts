import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { paths } from '@tangent/arrow-io';
import { readWineCsv, loadWine, winePath } from './wine.ts';
import { parseIdxImages, parseIdxLabels, readFashionSplit } from '@tangent/contracts';
import { fashionPaths, loadFashionMnist } from './fashion-mnist.ts';
import { loadCsv } from './csv.ts';

describe('Wine Quality loader (real files)', () => {
  it('reads 1599 red and 4898 white rows with 11 features and quality in 3..9', () => {
    // the files come from the configured data directory (vitest.config.ts passes TANGENT_DATA_DIR through)
    expect(paths.rawData()).toBe(resolve(process.env.TANGENT_DATA_DIR!));
    expect(winePath('red')).toBe(join(paths.rawData(), 'wine-quality', 'winequality-red.csv'));
    const red = readWineCsv(winePath('red'));
    const white = readWineCsv(winePath('white'));
    expect(red.rows).toBe(1599);
    expect(white.rows).toBe(4898);
    expect(red.X.length).toBe(1599 * 11);
    expect(Array.from(red.X.subarray(0, 11))).toEqual([7.4, 0.7, 0, 1.9, 0.076, 11, 34, 0.9978, 3.51, 0.56, 9.4]);
    expect(red.y[0]).toBe(5);
    expect(Math.min(...red.y, ...white.y)).toBe(3);
    expect(Math.max(...red.y, ...white.y)).toBe(9);
  });

  it('splits by seed, standardises features with training statistics only', () => {
    const a = loadWine({ variant: 'red', testFraction: 0.2, standardizeTarget: true, seed: 1 });
    const b = loadWine({ variant: 'red', testFraction: 0.2, standardizeTarget: true, seed: 1 });
    const c = loadWine({ variant: 'red', testFraction: 0.2, standardizeTarget: true, seed: 2 });
    expect(a.nTrain + a.nTest).toBe(1599);
    expect(a.nTest).toBe(320);
    expect(Array.from(a.rawTest)).toEqual(Array.from(b.rawTest));
    expect(Array.from(a.rawTest)).not.toEqual(Array.from(c.rawTest));
    for (let j = 0; j < 11; j++) {
      let m = 0, v = 0;
      for (let i = 0; i < a.nTrain; i++) m += a.xTrain[i * 11 + j];
      m /= a.nTrain;
      for (let i = 0; i < a.nTrain; i++) v += (a.xTrain[i * 11 + j] - m) ** 2;
      expect(Math.abs(m)).toBeLessThan(1e-5);
      expect(Math.sqrt(v / a.nTrain)).toBeCloseTo(1, 4);
    }
    // standardised target round-trips to the original quality
    expect(a.targetMean + a.targetStd * a.yTrain[0]).toBeCloseTo(a.rawTrain[0], 4);
    const both = loadWine({ variant: 'both', testFraction: 0.25, standardizeTarget: false, seed: 0 });
    expect(both.nTrain + both.nTest).toBe(1599 + 4898);
    expect(both.targetStd).toBe(1);
  });

  it('fails with one line naming the file when it is missing or malformed', () => {
    expect(() => readWineCsv('/nonexistent/winequality-red.csv')).toThrowError(/winequality-red\.csv: file not found; put the UCI Wine Quality CSVs/);
    const dir = mkdtempSync(join(tmpdir(), 'wine-'));
    const p = join(dir, 'w.csv');
    writeFileSync(p, 'a,b,c\n1,2,3\n');
    expect(() => readWineCsv(p)).toThrowError(/unexpected header .* separated by ';'/);
  });
});

describe('Fashion-MNIST loader (real files)', () => {
  it('reads 60000/10000 images of 28×28 with labels 0..9, balanced classes', () => {
    const p = fashionPaths();
    const test = readFashionSplit(p.testImages, p.testLabels, null);
    expect(test.total).toBe(10000);
    expect([test.rows, test.cols]).toEqual([28, 28]);
    const counts = new Array(10).fill(0);
    for (const l of test.labels) counts[l]++;
    expect(counts).toEqual(new Array(10).fill(1000));
    // pixels/255 of the file's bytes (IDX: 16-byte header, then row-major uint8 pixels), read here independently
    const raw = gunzipSync(readFileSync(p.testImages));
    expect(raw.readUInt32BE(0)).toBe(2051);
    for (let i = 0; i < 784 * 10; i++) if (test.X[i] !== Math.fround(raw[16 + i] / 255)) expect.fail(`pixel ${i}: ${test.X[i]}`);
    expect(Math.max(...test.X.subarray(0, 784 * 10))).toBe(1); // some pixel is 255 in the first ten images
    const ds = loadFashionMnist({ trainSubset: 500, testSubset: 100 });
    expect([ds.nTrain, ds.nTest, ds.inDim, ds.outDim]).toEqual([500, 100, 784, 10]);
    const train = parseIdxLabels(gunzipSync(readFileSync(p.trainLabels)), p.trainLabels);
    expect(train.length).toBe(60000);
    expect(Math.max(...train)).toBe(9);
    expect(Math.min(...train)).toBe(0);
  });

  it('checks magic numbers and sizes', () => {
    const hdr = (magic: number, ...dims: number[]) => {
      const b = Buffer.alloc(4 + 4 * dims.length);
      b.writeUInt32BE(magic, 0);
      dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
      return b;
    };
    expect(() => parseIdxImages(Buffer.concat([hdr(2049, 1, 2, 2), Buffer.alloc(4)]), 'x')).toThrowError(/magic number 2049, expected 2051/);
    expect(() => parseIdxImages(Buffer.concat([hdr(2051, 2, 2, 2), Buffer.alloc(4)]), 'x')).toThrowError(/truncated or corrupt/);
    expect(() => parseIdxLabels(Buffer.concat([hdr(2051, 2), Buffer.alloc(2)]), 'y')).toThrowError(/expected 2049/);
    expect(parseIdxImages(Buffer.concat([hdr(2051, 1, 2, 2), Buffer.from([0, 1, 2, 255])]), 'x').pixels[3]).toBe(255);
  });

  it('names the Debian package when the files are missing', () => {
    expect(() => loadFashionMnist({ trainSubset: null, testSubset: null, dataDir: '/nonexistent' })).toThrowError(/dataset-fashion-mnist/);
    const dir = mkdtempSync(join(tmpdir(), 'fm-'));
    mkdirSync(join(dir, 'fashion-mnist'));
    writeFileSync(join(dir, 'fashion-mnist', 'train-images-idx3-ubyte.gz'), 'not gzip');
    writeFileSync(join(dir, 'fashion-mnist', 'train-labels-idx1-ubyte.gz'), gzipSync(Buffer.alloc(8)));
    expect(() => loadFashionMnist({ trainSubset: null, testSubset: null, dataDir: dir })).toThrowError(/not a valid gzip file/);
  });
});

describe('generic CSV loader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'csv-'));
  const file = join(dir, 'd.csv');
  writeFileSync(file, 'a,b,label,y\n1,2,cat,0.5\n2,4,dog,1.5\n3,6,cat,2.5\n4,8,bird,3.5\n5,10,dog,4.5\n');

  it('loads regression with chosen features and target', () => {
    const ds = loadCsv({ path: file, delimiter: ',', features: ['a', 'b'], target: 'y', task: 'regression', testFraction: 0.2, standardizeTarget: false, seed: 0 });
    expect([ds.nTrain, ds.nTest, ds.inDim, ds.outDim]).toEqual([4, 1, 2, 1]);
    expect([...ds.rawTrain, ...ds.rawTest].sort()).toEqual([0.5, 1.5, 2.5, 3.5, 4.5]);
  });

  it('loads classification with classes sorted by name', () => {
    const ds = loadCsv({ path: file, delimiter: ',', features: ['a', 'b'], target: 'label', task: 'classification', testFraction: 0.2, standardizeTarget: false, seed: 0 });
    expect(ds.classNames).toEqual(['bird', 'cat', 'dog']);
    expect(ds.outDim).toBe(3);
    expect(ds.yTrain.length).toBe(ds.nTrain * 3);
  });

  it('fails naming the column or cell', () => {
    expect(() => loadCsv({ path: file, delimiter: ',', features: ['a', 'zz'], target: 'y', task: 'regression', testFraction: 0.2, standardizeTarget: false, seed: 0 })).toThrowError(/data.features: column 'zz' not in .*columns are \[a, b, label, y\]/);
    expect(() => loadCsv({ path: file, delimiter: ',', features: null, target: 'y', task: 'regression', testFraction: 0.2, standardizeTarget: false, seed: 0 })).toThrowError(/feature column 'label': 'cat' is not a number/);
    expect(() => loadCsv({ path: file, delimiter: ',', features: ['a'], target: 'label', task: 'regression', testFraction: 0.2, standardizeTarget: false, seed: 0 })).toThrowError(/target column 'label': 'cat' is not a number; use task: classification/);
    expect(() => loadCsv({ path: 'missing.csv', delimiter: ',', features: null, target: 'y', task: 'regression', testFraction: 0.2, standardizeTarget: false, seed: 0, dataDir: dir })).toThrowError(/data.path: .*missing.csv not found/);
  });

  it('resolves relative paths against the data directory', () => {
    const ds = loadCsv({ path: 'd.csv', delimiter: ',', features: ['a'], target: 'y', task: 'regression', testFraction: 0.2, standardizeTarget: false, seed: 3, dataDir: dir });
    expect(ds.nTrain).toBe(4);
    // the rows are this file's, features aligned with targets: y = a − 0.5 rises with a (standardising a keeps its order)
    const x = [...Array.from(ds.xTrain), ...Array.from(ds.xTest)];
    const y = [...Array.from(ds.rawTrain), ...Array.from(ds.rawTest)];
    expect(x.map((v, i) => [v, y[i]]).sort((p, q) => p[0] - q[0]).map((p) => p[1])).toEqual([0.5, 1.5, 2.5, 3.5, 4.5]);
  });

  it('takes the data directory from TANGENT_DATA_DIR when none is given', () => {
    const saved = process.env.TANGENT_DATA_DIR;
    try {
      process.env.TANGENT_DATA_DIR = dir;
      expect(paths.rawData()).toBe(resolve(dir));
      expect(winePath('red')).toBe(join(resolve(dir), 'wine-quality', 'winequality-red.csv'));
      expect(fashionPaths().testLabels.startsWith(join(resolve(dir), 'fashion-mnist') + sep)).toBe(true);
      const ds = loadCsv({ path: 'd.csv', delimiter: ',', features: ['a', 'b'], target: 'y', task: 'regression', testFraction: 0.2, standardizeTarget: false, seed: 0 });
      expect([...ds.rawTrain, ...ds.rawTest].sort()).toEqual([0.5, 1.5, 2.5, 3.5, 4.5]);
      process.env.TANGENT_DATA_DIR = join(dir, 'elsewhere');
      expect(() => loadCsv({ path: 'd.csv', delimiter: ',', features: null, target: 'y', task: 'regression', testFraction: 0.2, standardizeTarget: false, seed: 0 })).toThrowError(/data.path: .*d.csv not found/);
    } finally {
      if (saved === undefined) delete process.env.TANGENT_DATA_DIR;
      else process.env.TANGENT_DATA_DIR = saved;
    }
  });
});
