/**
 * What a hybrid run needs, checked before any training so that a run that cannot finish, or whose
 * numbers could not mean anything, is refused in seconds rather than after its SGD phase:
 *  - enough rows: at least MIN_TRAIN_ROWS training and MIN_TEST_ROWS test rows, and every class
 *    of a classification seen MIN_CLASS_TRAIN_ROWS times in training;
 *  - the dense kernels the run builds (the NTK-stability monitor's Θ_t, Θ0 on the `ntk.subset`
 *    rows, its cross-kernel with the test monitor rows) within the empirical-NTK size limit;
 *  - the eigendecomposition the spectral methods take of Θ0 (or of the Lanczos matrix, matrix-free) within
 *    the eigensolver this machine has: LAPACK, or the TypeScript one up to TS_EIGH_MAX_N.
 */
import { fail, formatBytes } from '@tangent/base';
import { hasEigh, TS_EIGH_MAX_N } from '@tangent/linalg';
import { ENTK_MAX_BYTES, kernelBytes } from '@tangent/nn';
import type { DataConfig, ExperimentConfig } from './config.ts';
import type { Dataset } from './data/dataset.ts';
import { isSpectral } from './methods.ts';

/**
 * Below these a run executes but cannot compare its methods: a test metric over fewer than 10
 * rows moves in steps of more than 10 % (the differences the experiment measures are a few %),
 * and a network fitted to fewer than 20 rows, or to a class it saw once, memorises rather than
 * learns, which is not the regime the switch heuristics are about.
 */
export const MIN_TRAIN_ROWS = 20;
export const MIN_TEST_ROWS = 10;
export const MIN_CLASS_TRAIN_ROWS = 2;

/** The fewest rows a file split with `testFraction` (as splitIndices rounds it) needs for both minimums. */
export function minimumFileRows(testFraction: number): number {
  let n = MIN_TRAIN_ROWS + MIN_TEST_ROWS;
  while (Math.round(n * testFraction) < MIN_TEST_ROWS || n - Math.round(n * testFraction) < MIN_TRAIN_ROWS) n++;
  return n;
}

/** Enough training and test rows (and, for classification, rows per class) for the comparison to mean something. */
export function checkRows(data: DataConfig, d: Dataset, seed: number): void {
  const need = `the experiment needs at least ${MIN_TRAIN_ROWS} training and ${MIN_TEST_ROWS} test rows to compare its methods`;
  const fashion = data.kind === 'fashion_mnist';
  const where = fashion ? 'data.trainSubset / data.testSubset' : (d.files[0] ?? `data (${data.kind})`);
  if (d.nTrain < MIN_TRAIN_ROWS || d.nTest < MIN_TEST_ROWS) {
    if (fashion)
      fail(`${where}: ${d.nTrain} training and ${d.nTest} test images; ${need}; raise them (or set them to null for all images)`);
    const rows = d.nTrain + d.nTest;
    const atThisFraction = minimumFileRows(data.testFraction);
    fail(
      `${where}: ${rows} data rows split into ${d.nTrain} training and ${d.nTest} test rows (testFraction ${data.testFraction}); ${need}: ` +
        `use a file with at least ${atThisFraction} rows at this testFraction` +
        (rows >= MIN_TRAIN_ROWS + MIN_TEST_ROWS ? ', or change data.testFraction so that both sides have enough' : ''),
    );
  }
  if (d.task !== 'classification') return;
  const counts = new Array<number>(d.outDim).fill(0);
  for (const l of d.labelsTrain) counts[l]++;
  const thin = counts.findIndex((c) => c < MIN_CLASS_TRAIN_ROWS);
  if (thin >= 0)
    fail(
      `${where}: class '${d.classNames[thin]}' has ${counts[thin]} training row${counts[thin] === 1 ? '' : 's'} (seed ${seed}'s split); every class needs at least ${MIN_CLASS_TRAIN_ROWS}; ${fashion ? 'raise data.trainSubset' : 'add rows of that class to the file, or drop its rows'}`,
    );
}

/** An n×n (or n×m) float64 empirical kernel within ENTK_MAX_BYTES, or one line naming the field that sizes it. */
function checkKernel(field: string, rows: number, cols: number, what: string, fix: string): void {
  const bytes = kernelBytes(rows, cols);
  if (bytes > ENTK_MAX_BYTES)
    fail(
      `${field}: ${what} is ${rows}×${cols}, ${formatBytes(bytes)} of float64, more than the ${formatBytes(ENTK_MAX_BYTES)} an empirical NTK may take; ${fix}`,
    );
}

/** The kernels and eigendecompositions of the run fit, refused before any training when they do not. */
export function checkKernels(cfg: ExperimentConfig, d: Dataset): void {
  const K = d.outDim;
  const st = cfg.switch.ntkStability;
  if (st.enabled) {
    const mon = Math.min(d.nTrain, st.monitorSize);
    checkKernel(
      'switch.ntkStability.monitorSize',
      mon * K,
      mon * K,
      `the monitor kernel Θ_t (${mon} rows × ${K} outputs)`,
      `lower it to at most ${Math.floor(Math.sqrt(ENTK_MAX_BYTES / 8) / K)}`,
    );
  }
  const n = cfg.ntk.subset === null ? d.nTrain : Math.min(d.nTrain, cfg.ntk.subset);
  const spectral = cfg.ntk.methods.filter(isSpectral);
  if (cfg.ntk.matrixFree) {
    const steps = cfg.ntk.lanczosSteps ?? 2 * cfg.ntk.topK + 20;
    if (spectral.length && !hasEigh() && steps > TS_EIGH_MAX_N)
      fail(
        `ntk.lanczosSteps: ${spectral.join(', ')} diagonalise the ${steps}×${steps} Lanczos matrix and this machine has no LAPACK (the TypeScript eigensolver stops at ${TS_EIGH_MAX_N}); lower ntk.lanczosSteps (or ntk.topK) or install OpenBLAS (apt-get install libopenblas0-pthread)`,
      );
    return;
  }
  const rowsMax = Math.floor(Math.sqrt(ENTK_MAX_BYTES / 8) / K);
  checkKernel(
    'ntk.subset',
    n * K,
    n * K,
    `Θ0 on ${n} training rows × ${K} outputs`,
    `set ntk.subset to at most ${rowsMax}, or ntk.matrixFree: true (no Θ0)`,
  );
  const nLin = Math.min(d.nTest, cfg.ntk.linErrTestSize);
  if (nLin)
    checkKernel(
      'ntk.linErrTestSize',
      nLin * K,
      n * K,
      `the test-side kernel Θ0(X_test, X_subset) (${nLin} test × ${n} training rows × ${K} outputs)`,
      `lower ntk.linErrTestSize or ntk.subset`,
    );
  if (spectral.length && !hasEigh() && n * K > TS_EIGH_MAX_N)
    fail(
      `ntk.methods: ${spectral.join(', ')} diagonalise Θ0 (${n * K}×${n * K}: ${n} rows × ${K} outputs) and this machine has no LAPACK (the TypeScript eigensolver stops at ${TS_EIGH_MAX_N}); set ntk.subset to at most ${Math.floor(TS_EIGH_MAX_N / K)}, use ntk.matrixFree: true, or install OpenBLAS (apt-get install libopenblas0-pthread)`,
    );
}
