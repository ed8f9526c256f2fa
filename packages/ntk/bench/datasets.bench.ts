/**
 * Issue 25's headline figure: NTK kernel ridge on scikit-learn's digits (the manifest's `digits`
 * profile: 1797 8×8 images, 10 classes, the 64 pixels as rows of unit norm, a seeded stratified
 * 20 % test split) beside an RBF support-vector classifier from Debian's python3-sklearn on the
 * same rows, the same split, measured in the same run. Both choose their hyperparameters on the
 * train rows only (the ntk stage: λ by 5-fold CV; the peer: C and γ by 5-fold grid search) and
 * score the test rows once. The pca stage lays the rows down first (a subprocess, untimed); the
 * timed run is the ntk stage in process (CV, LOO, refit, predictions, publishing).
 * Needs the digits under $TANGENT_DATA_DIR/sklearn/ and, for the peer, python3 with scikit-learn
 * (TANGENT_PEER_PYTHON, default /usr/bin/python3).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readArtifact, readFixedSizeList } from '@tangent/arrow-io';
import { embeddingColumns, krrMetricsSchema, runStage } from '@tangent/contracts';
import type { Benchmark } from '../../../tools/bench.ts';
import { ntkStage } from '../src/stage.ts';

const root = resolve(import.meta.dirname, '../../..');
const PROFILE = 'digits',
  KEY = 'digits.raw';
/** Where the peer reads the rows (label, then the features, one row a line). */
const rowsDir = join(tmpdir(), 'tangent-bench-digits');

interface State {
  artifacts: string;
  previous: string | undefined;
}

/** The pca stage's rows of one split as the peer's CSV. */
function exportRows(file: string, out: string): number {
  const { table } = readArtifact(file, embeddingColumns, { stage: 'pca' });
  const { values, dim, rows } = readFixedSizeList(table, 'embedding');
  const target = table.getChild('target')!;
  const lines = Array.from({ length: rows }, (_, i) => [target.get(i), ...values.subarray(i * dim, (i + 1) * dim)].join(','));
  writeFileSync(out, lines.join('\n') + '\n');
  return rows;
}

const metricsPath = (s: State) => join(s.artifacts, 'ntk', `${KEY}@${PROFILE}`, 'metrics.json');

export const benchmarks: Benchmark[] = [
  {
    name: 'ntk_digits_vs_svc',
    n: 1797,
    repeats: 1,
    setup: (): State => {
      const artifacts = mkdtempSync(join(tmpdir(), 'tangent-digits-'));
      const env = { ...process.env, TANGENT_ARTIFACTS_DIR: artifacts };
      execFileSync('node', [join(root, 'apps/cli/bin/tangent.mjs'), 'pca', '--profile', PROFILE, '--key', KEY], {
        env,
        cwd: root,
        stdio: 'ignore',
      });
      mkdirSync(rowsDir, { recursive: true });
      for (const split of ['train', 'test'])
        exportRows(join(artifacts, 'pca', `${KEY}@${PROFILE}`, `${split}.arrow`), join(rowsDir, `${split}.csv`));
      const previous = process.env.TANGENT_ARTIFACTS_DIR;
      process.env.TANGENT_ARTIFACTS_DIR = artifacts;
      return { artifacts, previous };
    },
    run: async () => {
      await runStage(ntkStage, { profile: PROFILE, key: KEY });
    },
    peer: {
      name: 'sklearn-svc-rbf',
      script: 'packages/ntk/bench/svc-peer.py',
      args: [`--train=${rowsDir}/train.csv`, `--test=${rowsDir}/test.csv`],
    },
    extra: (_seconds, s) => {
      const m = krrMetricsSchema.parse(JSON.parse(readFileSync(metricsPath(s as State), 'utf8')));
      return {
        test_accuracy: m.test.accuracy,
        test_macro_f1: m.test.macro_f1,
        eval_accuracy: +m.eval.accuracy.toFixed(4),
        cv_accuracy: +m.cv.accuracy.mean.toFixed(4),
        lambda: +m.chosen_lambda.toPrecision(4),
        train_rows: m.test.refit_rows,
        test_rows: m.test.rows,
      };
    },
    teardown: (s) => {
      const st = s as State;
      if (st.previous === undefined) delete process.env.TANGENT_ARTIFACTS_DIR;
      else process.env.TANGENT_ARTIFACTS_DIR = st.previous;
      rmSync(st.artifacts, { recursive: true, force: true });
    },
  },
];
