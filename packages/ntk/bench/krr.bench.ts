/**
 * Large-N kernel ridge (issue 14): the full Fashion-MNIST NTK regression through `tangent krr`'s
 * library function, and exact-vs-Falkon agreement where the exact solver fits. Heavy: minutes
 * each on 2 cores; one repeat. Data from $TANGENT_DATA_DIR (Fashion-MNIST idx files) and
 * data/pca/use-lite-d128 (the tweets; run the pipeline's text → embed → pca first).
 */
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { loadConfig, paths, readArtifact } from '@tangent/arrow-io';
import { gemm, type Mat64 } from '@tangent/linalg';
import {
  krrTargets,
  largeScaleKrrConfigSchema,
  loadFashionMnistKrr,
  krrPcaSchema,
  loadPcaKrr,
  runLargeScaleKrr,
  type KrrData,
  type LargeScaleKrrRun,
} from '../src/index.ts';
import type { Benchmark } from '../../../tools/bench.ts';
import { choleskyRidge, falkonFit, falkonPredict, forEachKernelBlock, ntkGramAsync, scoreAccuracy, validationMask } from '@tangent/kernels';

const root = resolve(import.meta.dirname, '../../..');
const gb = () => +(process.resourceUsage().maxRSS / 1024 ** 2).toFixed(2);

function argmax(F: Mat64, i: number): number {
  if (F.cols === 1) return F.data[i] > 0 ? 1 : 0;
  let b = 0;
  for (let c = 1; c < F.cols; c++) if (F.data[i * F.cols + c] > F.data[i * F.cols + b]) b = c;
  return b;
}

/**
 * Exact α = (K + λI)⁻¹Y once, then Falkon at each M with the same λ: prediction agreement
 * (share of test rows with the same label) and the accuracy difference in points.
 */
async function agreement(data: KrrData, lambda: number, ms: number[]) {
  const Y = krrTargets(data.labelsTrain, data.classes);
  const t0 = performance.now();
  const K = await ntkGramAsync(data.xTrain, undefined, { depth: 2 });
  const alpha = choleskyRidge(K, Y, lambda, 0, true);
  const exact: Mat64 = { rows: data.xTest.rows, cols: Y.cols, data: new Float64Array(data.xTest.rows * Y.cols) };
  forEachKernelBlock(data.xTest, data.xTrain, { depth: 2 }, (r0, r1, Kb) =>
    gemm(Kb, alpha, { out: { rows: r1 - r0, cols: Y.cols, data: exact.data.subarray(r0 * Y.cols, r1 * Y.cols) } }),
  );
  const exactSeconds = (performance.now() - t0) / 1000;
  const accExact = scoreAccuracy(exact, data.labelsTest);
  const rows: Array<Record<string, number>> = [];
  for (const m of ms) {
    const t1 = performance.now();
    const model = await falkonFit(data.xTrain, Y, { depth: 2, lambda, centres: m, seed: 0, tol: 1e-6, maxIter: 60 });
    const F = await falkonPredict(model, data.xTest);
    let agree = 0;
    for (let i = 0; i < F.rows; i++) if (argmax(F, i) === argmax(exact, i)) agree++;
    const acc = scoreAccuracy(F, data.labelsTest);
    rows.push({
      centres: m,
      agreement: +(agree / F.rows).toFixed(4),
      accuracy: +acc.toFixed(4),
      accuracy_diff_points: +(100 * (acc - accExact)).toFixed(2),
      cg_iterations: model.cg.iterations,
      seconds: +((performance.now() - t1) / 1000).toFixed(1),
    });
  }
  return { lambda, exact_accuracy: +accExact.toFixed(4), exact_seconds: +exactSeconds.toFixed(1), table: rows, peak_rss_gb: gb() };
}

const fullConfig = () => loadConfig(resolve(root, 'configs/krr-fashion-mnist.yaml'), largeScaleKrrConfigSchema);

/** Σ (k+1)·idx[k] over sorted indices: the numpy peer prints the same sum for its centres and validation rows. */
function checksum(idx: ArrayLike<number>): number {
  const s = Array.from(idx).sort((a, b) => a - b);
  return s.reduce((acc, v, k) => acc + v * (k + 1), 0);
}

/** The numpy peer of the Fashion-MNIST run, with the config's protocol (packages/ntk/bench/falkon-numpy.py). */
function falkonPeer() {
  const c = fullConfig();
  return {
    name: 'numpy',
    script: 'packages/ntk/bench/falkon-numpy.py',
    args: [
      `--data-dir=${paths.rawData()}`,
      `--lambdas=${c.lambdas.join(',')}`,
      `--centres=${Math.max(...c.centres)}`,
      `--validation=${c.validationFraction}`,
      `--seed=${c.seed}`,
      `--tol=${c.cg.tol}`,
      `--max-iter=${c.cg.maxIter}`,
      `--jitter=${c.jitter}`,
      // The same product as tangent's plan: auto picks the Gram pass for this config (see cross_kernel in the line).
      `--mode=${c.crossKernel === 'stored' || c.crossKernel === 'streamed' ? 'stored' : 'gram'}`,
    ],
  };
}

/** The bench reads the pca file as it is (a benchmark outside the pipeline: no manifest identity to check). */
function readPcaOutsidePipeline(path: string) {
  return { table: readArtifact(path, krrPcaSchema, { hint: 'run npm start first', stage: 'pca' }).table, path };
}

export const benchmarks: Benchmark[] = [
  {
    name: 'krr_falkon_fmnist_60000',
    n: 60000,
    repeats: 1,
    setup: () => ({ run: null as LargeScaleKrrRun | null }),
    run: async (s) => {
      (s as { run: LargeScaleKrrRun | null }).run = await runLargeScaleKrr({ ...fullConfig(), name: 'bench-fmnist-60000' });
    },
    // The peer is the same protocol (split, centres, λ, tol, warm starts, one pass over K_nM, the
    // same K_nMᵀK_nM product) in numpy + scipy, float64; it needs a python with both
    // (TANGENT_PEER_PYTHON; Debian's python3-numpy and python3-scipy use the system OpenBLAS).
    peer: fullConfig().centres.length === 1 ? falkonPeer() : undefined,
    extra: (_sec, s) => {
      const { metrics: m, result: r } = (s as { run: LargeScaleKrrRun }).run;
      const mask = validationMask(m.n, fullConfig().validationFraction, fullConfig().seed);
      return {
        accuracy: +m.testAccuracy.toFixed(4),
        peak_rss_gb: +m.peakRssGb.toFixed(2),
        centres: m.centres,
        lambda: m.lambda,
        solver: m.solver,
        cross_kernel: m.crossKernel,
        // A stored K_nM's precision; the gram and streamed modes are float64 throughout.
        dtype: m.crossKernel === 'stored' ? fullConfig().crossKernelDtype : m.solver === 'falkon' ? 'float64' : null,
        cg_iterations: m.cgIterations,
        validation: r.validation.map((v) => ({ lambda: v.lambda, accuracy: +v.accuracy.toFixed(4), iterations: v.iterations })),
        load_seconds: +m.seconds.load.toFixed(1),
        knm_seconds: r.timings ? +r.timings.crossKernel.toFixed(1) : null,
        validation_seconds: r.timings ? +r.timings.validation.toFixed(1) : null,
        refit_seconds: r.timings ? +r.timings.refit.toFixed(1) : null,
        predict_seconds: +m.seconds.predict.toFixed(1),
        planned_gb: +m.plannedGb.toFixed(2),
        centres_checksum: r.model ? checksum(r.model.centreIndex) : null,
        validation_checksum: checksum(Array.from({ length: m.n }, (_, i) => i).filter((i) => !mask[i])),
        load_average: loadavg().map((x) => +x.toFixed(2)),
        cpu: cpus()[0]?.model,
      };
    },
  },
  ...(
    [
      [
        'krr_falkon_agreement_tweets',
        7613,
        () =>
          loadPcaKrr(
            { ...fullConfig().data, kind: 'pca', input: 'use-lite-d128', trainSubset: null, testSubset: null },
            42,
            readPcaOutsidePipeline(resolve(root, 'data/pca/use-lite-d128/train.arrow')),
          ),
        0.0162,
        [500, 1000, 2000, 4000],
      ],
      [
        'krr_falkon_agreement_fmnist_20000',
        20000,
        () => loadFashionMnistKrr({ ...fullConfig().data, trainSubset: 20000, testSubset: null }),
        0.01,
        [2000, 5000, 10000],
      ],
    ] as const
  ).map(([name, n, load, lambda, ms]): Benchmark => ({
    name,
    n,
    repeats: 1,
    setup: () => ({ data: load(), out: null as unknown }),
    run: async (s) => {
      const st = s as { data: KrrData; out: unknown };
      st.out = await agreement(st.data, lambda, [...ms]);
    },
    extra: (_sec, s) => (s as { out: Record<string, unknown> }).out,
  })),
];
