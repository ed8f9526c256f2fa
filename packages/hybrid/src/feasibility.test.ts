import { describe, expect, it } from 'vitest';
import { errorOf } from '@tangent/base/testing';
import { setBackend } from '@tangent/linalg';
import { parseExperiment } from './config.ts';
import type { Dataset } from './data/dataset.ts';
import { checkKernels, checkRows, minimumFileRows } from './feasibility.ts';

/** A dataset with only the sizes and labels the checks read. */
function dataset(nTrain: number, nTest: number, classes = 0, labelsTrain: number[] = []): Dataset {
  return {
    name: 'synthetic',
    task: classes ? 'classification' : 'regression',
    inDim: 2,
    outDim: classes || 1,
    nTrain,
    nTest,
    xTrain: new Float32Array(0),
    xTest: new Float32Array(0),
    yTrain: new Float32Array(0),
    yTest: new Float32Array(0),
    rawTrain: new Float64Array(0),
    rawTest: new Float64Array(0),
    labelsTrain: Int32Array.from(labelsTrain),
    labelsTest: new Int32Array(0),
    targetMean: 0,
    targetStd: 1,
    classNames: Array.from({ length: classes }, (_, k) => `c${k}`),
    featureNames: ['a', 'b'],
    files: ['/data/my.csv'],
  };
}

const csv = (extra: Record<string, unknown> = {}) =>
  parseExperiment({
    experiment: 'e',
    data: { kind: 'csv', path: 'my.csv', target: 'y', task: 'regression', ...extra },
    sgd: { lr: 0.1, epochs: 5 },
  });

describe('rows the comparison needs', () => {
  it('minimumFileRows is the smallest n whose split (round(n·f) test rows) has 20 training and 10 test rows', () => {
    for (const f of [0.05, 0.2, 0.33, 0.5, 0.7]) {
      const n = minimumFileRows(f);
      const ok = (m: number) => Math.round(m * f) >= 10 && m - Math.round(m * f) >= 20;
      expect(ok(n)).toBe(true);
      for (let m = 1; m < n; m++) expect(ok(m)).toBe(false);
    }
    expect(minimumFileRows(0.2)).toBe(48);
    expect(minimumFileRows(0.05)).toBe(190); // round(189 · 0.05) = 9
  });

  it('refuses a short file with the file, the split and the fix; passes 20 + 10', () => {
    const cfg = csv();
    expect(errorOf(() => checkRows(cfg.data, dataset(19, 10), 0))).toBe(
      '/data/my.csv: 29 data rows split into 19 training and 10 test rows (testFraction 0.2); the experiment needs at least 20 training and 10 test rows to compare its methods: use a file with at least 48 rows at this testFraction',
    );
    expect(errorOf(() => checkRows(cfg.data, dataset(36, 9), 0))).toMatch(
      /at least 48 rows at this testFraction, or change data\.testFraction so that both sides have enough$/,
    );
    expect(() => checkRows(cfg.data, dataset(20, 10), 0)).not.toThrow();
  });

  it('refuses a class seen fewer than twice in training, naming it and the seed', () => {
    const cfg = parseExperiment({
      experiment: 'e',
      data: { kind: 'csv', path: 'my.csv', target: 'y', task: 'classification' },
      sgd: { lr: 0.1, epochs: 5 },
    });
    const labels = [...new Array(19).fill(0), 1, 2, 2];
    expect(errorOf(() => checkRows(cfg.data, dataset(22, 10, 3, labels), 4))).toBe(
      "/data/my.csv: class 'c1' has 1 training row (seed 4's split); every class needs at least 2; add rows of that class to the file, or drop its rows",
    );
    expect(() => checkRows(cfg.data, dataset(23, 10, 3, [...labels, 1]), 4)).not.toThrow();
  });

  it('Fashion-MNIST subsets name the fields', () => {
    const cfg = parseExperiment({
      experiment: 'e',
      data: { kind: 'fashion_mnist', trainSubset: 5, testSubset: 100 },
      sgd: { lr: 0.1, epochs: 5 },
    });
    expect(errorOf(() => checkRows(cfg.data, dataset(5, 100, 10), 0))).toBe(
      'data.trainSubset / data.testSubset: 5 training and 100 test images; the experiment needs at least 20 training and 10 test rows to compare its methods; raise them (or set them to null for all images)',
    );
  });
});

describe('kernels and eigendecompositions, before any training', () => {
  it('Θ0 over 4 GiB names ntk.subset and the largest subset that fits: (n·K)²·8 ≤ 4 GiB', () => {
    const K = 3;
    const largest = Math.floor(Math.sqrt((4 * 2 ** 30) / 8) / K); // 7723: (7723·3)²·8 = 4.295e9 ≤ 2^32
    expect((largest * K) ** 2 * 8).toBeLessThanOrEqual(4 * 2 ** 30);
    expect(((largest + 1) * K) ** 2 * 8).toBeGreaterThan(4 * 2 ** 30);
    const cfg = parseExperiment({
      experiment: 'e',
      data: { kind: 'csv', path: 'my.csv', target: 'y', task: 'classification' },
      sgd: { lr: 0.1, epochs: 5 },
      ntk: { methods: ['linearised-descent'], linErrTestSize: 0 },
    });
    expect(errorOf(() => checkKernels(cfg, dataset(largest + 1, 10, K)))).toMatch(/^ntk\.subset: /);
    expect(errorOf(() => checkKernels(cfg, dataset(9000, 10, K)))).toBe(
      `ntk.subset: Θ0 on 9000 training rows × 3 outputs is 27000×27000, 5.43 GiB of float64, more than the 4.00 GiB an empirical NTK may take; set ntk.subset to at most ${largest}, or ntk.matrixFree: true (no Θ0)`,
    );
    expect(() => checkKernels(cfg, dataset(largest, 10, K))).not.toThrow();
    expect(() => checkKernels({ ...cfg, ntk: { ...cfg.ntk, subset: largest } }, dataset(10 * largest, 10, K))).not.toThrow();
    expect(() => checkKernels({ ...cfg, ntk: { ...cfg.ntk, matrixFree: true } }, dataset(10 * largest, 10, K))).not.toThrow();
  });

  it('the NTK-stability monitor and the test-side kernel are sized too', () => {
    const cfg = csv();
    expect(
      errorOf(() =>
        checkKernels(
          { ...cfg, switch: { ...cfg.switch, ntkStability: { ...cfg.switch.ntkStability, monitorSize: 30000 } } },
          dataset(40000, 10),
        ),
      ),
    ).toMatch(
      /^switch\.ntkStability\.monitorSize: the monitor kernel Θ_t \(30000 rows × 1 outputs\) is 30000×30000, 6\.71 GiB .*; lower it to at most 23170$/,
    );
    const tall = { ...cfg, ntk: { ...cfg.ntk, methods: ['linearised-descent' as const], subset: 20000, linErrTestSize: 30000 } };
    expect(errorOf(() => checkKernels(tall, dataset(20000, 30000)))).toMatch(
      /^ntk\.linErrTestSize: the test-side kernel .* is 30000×20000, 4\.47 GiB/,
    );
  });

  it('without LAPACK, the spectral methods on more than 2048 kernel rows are refused with the subset that fits; linearised descent alone is not', () => {
    setBackend('ts');
    try {
      const cfg = parseExperiment({
        experiment: 'e',
        data: { kind: 'csv', path: 'my.csv', target: 'y', task: 'classification' },
        sgd: { lr: 0.1, epochs: 5 },
        switch: { ntkStability: { enabled: false } },
      });
      expect(errorOf(() => checkKernels(cfg, dataset(700, 10, 3)))).toBe(
        'ntk.methods: functional-evolution, integrated-flow diagonalise Θ0 (2100×2100: 700 rows × 3 outputs) and this machine has no LAPACK (the TypeScript eigensolver stops at 2048); set ntk.subset to at most 682, use ntk.matrixFree: true, or install OpenBLAS (apt-get install libopenblas0-pthread)',
      );
      expect(() => checkKernels(cfg, dataset(682, 10, 3))).not.toThrow();
      expect(() => checkKernels({ ...cfg, ntk: { ...cfg.ntk, methods: ['linearised-descent'] } }, dataset(700, 10, 3))).not.toThrow();
      const mf = { ...cfg, ntk: { ...cfg.ntk, matrixFree: true, lanczosSteps: 3000 } };
      expect(errorOf(() => checkKernels(mf, dataset(700, 10, 3)))).toMatch(
        /^ntk\.lanczosSteps: functional-evolution, integrated-flow diagonalise the 3000×3000 Lanczos matrix/,
      );
    } finally {
      setBackend('auto');
    }
  });
});
