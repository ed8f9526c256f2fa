// The eval split is used once: every choice of the feature-learning table (each regime's
// configuration, `best`, the submissions' models) and every selection score must be a function of
// the fit rows alone. The analysis' inputs are generated here from the eval rows' labels the way
// the upstream stages write them (every eval metric in metrics.json and history.arrow computed from
// those labels, the models' predictions not, since no model is fitted on an eval row); flipping or
// permuting those labels must leave every choice and selection score as it was, and change the eval
// scores (so the test can fail).
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Table } from 'apache-arrow';
import { buildTable, fixedSizeListVector } from '@tangent/arrow-io';
import {
  cvSchema,
  historySchema,
  predictionsSchema,
  runPredictionsSchema,
  type Instance,
  type RunMetrics,
  type StageContext,
} from '@tangent/contracts';
import { binaryMetrics } from '@tangent/kernels';
import { rng } from '@tangent/linalg';
import type { AnalysisConfig } from './config.ts';
import { bestOverall, collectFeatureLearning, featureLearning } from './feature-learning.ts';

const INPUT = 'toy-d4';
const N_EVAL = 40,
  TEST_IDS = [900, 901, 902, 903, 904],
  K = 5,
  LAMBDAS = [0.01, 0.1, 1, 10];
const EVAL_IDS = Array.from({ length: N_EVAL }, (_, i) => 10 + 3 * i);
const BASE_TRUTH = Int8Array.from(EVAL_IDS, (_, i) => +((i * 7) % 5 < 2));

/** Fixed decision scores of one model (seeded by its name): a fitted model's predictions do not depend on the eval labels. */
function scoresOf(name: string, n: number): Float64Array {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const r = rng(h);
  return Float64Array.from({ length: n }, () => r.normal() + 0.3);
}
const metricsOf = (s: Float64Array, truth: Int8Array) =>
  binaryMetrics(
    Uint8Array.from(s, (v) => +(v > 0)),
    truth,
  );

/** One run of the fixture: regime, width, lr, seed, and what it records. */
interface RunSpec {
  regime?: string;
  width: number;
  lr: number;
  seed: number;
  diverged?: boolean;
  early?: boolean;
  afterKernel?: boolean;
}
const RUNS: RunSpec[] = [
  ...[8, 32].flatMap((width) => [0, 1, 2].map((seed) => ({ width, lr: 1, seed }))),
  ...[1, 2.5].flatMap((lr) => [0, 1, 2].map((seed) => ({ regime: 'catapult', width: 8, lr, seed, diverged: lr === 2.5 && seed === 1 }))),
  ...[0.25, 0.5].flatMap((lr) => [0, 1].map((seed) => ({ regime: 'sgd', width: 16, lr, seed, early: true }))),
  ...[0, 1].map((seed) => ({ regime: 'lazy-kernels', width: 8, lr: 1, seed, afterKernel: true })),
];
const runName = (r: RunSpec) => `${r.regime ? `${r.regime}/` : ''}w${r.width}-s${r.seed}-lr${r.lr}`;
/** A fit-rows score: fixed per run (from the run's name), never from the eval labels. */
const fitScore = (name: string) => 0.5 + 0.4 * Math.abs(Math.sin(name.length * 1.7 + name.charCodeAt(name.length - 1)));

type Store = Map<string, unknown>;

function predictionsTable(name: string, truth: Int8Array | null): Table {
  const ev = scoresOf(`${name}/eval`, N_EVAL),
    te = scoresOf(`${name}/test`, TEST_IDS.length);
  const cols = {
    id: Int32Array.from([...EVAL_IDS, ...TEST_IDS]),
    split: [...EVAL_IDS.map(() => 'eval'), ...TEST_IDS.map(() => 'test')],
    score: Float64Array.from([...ev, ...te]),
  };
  if (!truth) return buildTable(runPredictionsSchema, cols);
  return buildTable(predictionsSchema, {
    ...cols,
    label: Int8Array.from(cols.score, (v) => +(v >= 0)),
    target: [...truth, ...TEST_IDS.map(() => null)],
  });
}

/** The ntk stage's files for one kernel: per-fold CV scores (fit rows), predictions and metrics (eval from the labels). */
function ntkFiles(store: Store, kernel: 'ntk' | 'nngp', truth: Int8Array) {
  const suffix = kernel === 'ntk' ? '' : '-nngp';
  const r = rng(kernel === 'ntk' ? 1 : 2);
  const foldF1 = Float64Array.from({ length: LAMBDAS.length * K }, () => 0.6 + 0.2 * r.uniform());
  const foldAcc = foldF1.map((v) => v + 0.05);
  const mean = (a: Float64Array) => Float64Array.from(LAMBDAS, (_, c) => a.slice(c * K, (c + 1) * K).reduce((s, v) => s + v, 0) / K);
  const f1Mean = mean(foldF1),
    best = f1Mean.indexOf(Math.max(...f1Mean));
  const zeros = new Float64Array(LAMBDAS.length);
  store.set(
    `ntk/${INPUT}/cv${suffix}.arrow`,
    buildTable(cvSchema(K), {
      lambda: Float64Array.from(LAMBDAS),
      accuracy_mean: mean(foldAcc),
      accuracy_sd: zeros,
      f1_mean: f1Mean,
      f1_sd: zeros,
      mse_mean: zeros,
      fold_accuracy: fixedSizeListVector(foldAcc, K),
      fold_f1: fixedSizeListVector(foldF1, K),
      loo_accuracy: LAMBDAS.map(() => null),
      loo_f1: LAMBDAS.map(() => null),
      loo_mse: LAMBDAS.map(() => null),
      selected: Int8Array.from(LAMBDAS, (_, c) => +(c === best)),
    }),
  );
  store.set(`ntk/${INPUT}/predictions${suffix}.arrow`, predictionsTable(kernel, truth));
  const ev = metricsOf(scoresOf(`${kernel}/eval`, N_EVAL), truth);
  const ms = { mean: f1Mean[best], sd: 0 };
  store.set(`ntk/${INPUT}/metrics${suffix}.json`, {
    ...{ input: INPUT, kernel, depth: 2, sigma_w: 1, sigma_b: 0, label_coding: 'pm1', select_by: 'f1', chosen_lambda: LAMBDAS[best] },
    cv: { solver: 'cholesky', folds: K, accuracy: ms, f1: ms },
    loo: { computed: false, accuracy: null, f1: null, mse: null },
    eval: { rows: N_EVAL, accuracy: ev.accuracy, f1: ev.f1, fit_rows: 200 },
    test: { rows: TEST_IDS.length, predicted_positive: 2, refit_rows: 240 },
    timings: {},
    backend: {},
  });
}

/** One run's files: metrics (eval fields from the labels, validation and kernels' selection from the fit rows), history, predictions. */
function runFiles(store: Store, spec: RunSpec, truth: Int8Array) {
  const name = runName(spec),
    dir = `mlp/${INPUT}/${name}`;
  if (spec.diverged) {
    store.set(`${dir}/diverged.json`, { run: name, message: 'diverged at epoch 3', epoch: 3, lr: spec.lr, loss: 1e9 });
    return;
  }
  const ev = metricsOf(scoresOf(`${name}/eval`, N_EVAL), truth);
  const kernel = (model: string) => {
    const m = metricsOf(scoresOf(`${name}-${model}/eval`, N_EVAL), truth);
    const s = fitScore(`${name}-${model}`);
    return {
      lambda: 0.1,
      cv_accuracy: s,
      cv_f1: s,
      eval_accuracy: m.accuracy,
      eval_f1: m.f1,
      selection: { lambda: 1, accuracy: s, f1: s },
    };
  };
  const epochs = 20;
  const m: Partial<RunMetrics> = {
    ...{ run: name, width: spec.width, seed: spec.seed, lr_natural: spec.lr, lr: spec.lr, lambda_max0: 1, lambda_max_source: 'tracked' },
    ...{ epochs, batch_size: 0, n_fit: 200, n_eval: N_EVAL, d: 4, tracked: 16, full_kernel: false, kernel_init_error: 0.1 },
    ...{ delta_theta: 0.05 * spec.lr, delta_theta_full: null, train_loss: 0.3, train_accuracy: 0.9 },
    // every eval-derived field a careless selection could use: final and best eval accuracy, eval F1
    ...{ eval_accuracy: ev.accuracy, eval_f1: ev.f1, best_eval_accuracy: Math.min(1, ev.accuracy + 0.01), best_eval_epoch: 7 },
    validation: {
      rows: 40,
      accuracy: fitScore(name),
      f1: fitScore(name),
      best_epoch: spec.early ? 9 : epochs,
      epochs_used: spec.early ? 9 : epochs,
      epoch_fold: spec.early ? 1 : null,
    },
    after_kernel: spec.afterKernel ? { init: kernel('init-kernel'), final: kernel('after-kernel'), seconds: 1 } : null,
    seconds: 1,
  };
  store.set(`${dir}/metrics.json`, m);
  const rows = [0, 10, 20];
  store.set(
    `${dir}/history.arrow`,
    buildTable(historySchema, {
      epoch: Int32Array.from(rows),
      train_loss: Float64Array.from(rows, (e) => 1 / (e + 1)),
      train_accuracy: Float64Array.from(rows, () => 0.9),
      train_f1: Float64Array.from(rows, () => 0.9),
      eval_loss: rows.map(() => 0.5),
      eval_accuracy: rows.map(() => ev.accuracy),
      eval_f1: rows.map(() => ev.f1),
      delta_theta: rows.map((e) => (e ? 0.05 : 0)),
      lambda_max: rows.map((e) => 1 + e / 10),
      alignment: rows.map(() => 0.3),
      ...Object.fromEntries(
        ['train_loss_pred_analytic', 'eval_loss_pred_analytic', 'train_loss_pred_empirical', 'eval_loss_pred_empirical'].map((k) => [
          k,
          rows.map(() => null),
        ]),
      ),
    }),
  );
  store.set(`${dir}/predictions.arrow`, predictionsTable(name, null));
  if (spec.afterKernel)
    for (const model of ['after-kernel', 'init-kernel'])
      store.set(`${dir}/predictions-${model}.arrow`, predictionsTable(`${name}-${model}`, null));
}

const instance = (stage: 'ntk' | 'mlp', key: string, point: Instance['point'], config: Record<string, unknown> = {}): Instance =>
  ({ stage, key, point, config, deps: [], identity: 'fixture', graphIdentity: 'fixture', dir: `${stage}/${key}` }) as Instance;

/**
 * The analysis' view of the fixture: a StageContext over an in-memory store (every file also
 * exists, empty, on disk, since a run's outcome is told by which files exist).
 */
function context(truth: Int8Array, order: (runs: RunSpec[]) => RunSpec[] = (r) => r): { ctx: StageContext<AnalysisConfig>; ntk: Instance } {
  const store: Store = new Map();
  for (const k of ['ntk', 'nngp'] as const) ntkFiles(store, k, truth);
  for (const r of RUNS) runFiles(store, r, truth);
  const root = mkdtempSync(join(tmpdir(), 'selection-invariance-'));
  for (const f of store.keys()) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), '');
  }
  const ntk = instance('ntk', INPUT, { embedder: 'toy', d: 4 }, { kernel: 'ntk', compare: ['nngp'] });
  const runs = order(RUNS).map((r) =>
    instance('mlp', `${INPUT}/${runName(r)}`, { embedder: 'toy', d: 4, width: r.width, seed: r.seed, lr: r.lr, regime: r.regime }),
  );
  const get = (dep: Instance, file: string) => {
    const v = store.get(`${dep.dir}/${file}`);
    if (v === undefined) throw new Error(`fixture: no ${dep.dir}/${file}`);
    return v;
  };
  const ctx = {
    deps: (stage?: string) => (stage === 'mlp' ? runs : stage === 'ntk' ? [ntk] : [ntk, ...runs]),
    path: (dep: Instance, file: string) => join(root, dep.dir, file),
    readArrow: (dep: Instance, file: string) => ({ table: get(dep, file) as Table, meta: {}, path: join(root, dep.dir, file) }),
    readJson: (dep: Instance, file: string, schema: { parse(v: unknown): unknown }) => schema.parse(get(dep, file)),
    track: () => {},
  };
  return { ctx: ctx as unknown as StageContext<AnalysisConfig>, ntk };
}

/** Everything the table chose and every selection score, apart from everything scored on the eval rows. */
function outcome(truth: Int8Array) {
  const { ctx, ntk } = context(truth);
  const res = featureLearning(collectFeatureLearning(ctx, ntk), { ensembleOf: 'lazy', ks: [1, 2], resamples: 200, seed: 0 });
  const best = bestOverall(res.rows)!;
  return {
    chosen: {
      rows: res.rows.map((r) => ({ regime: r.regime, config: r.config, seeds: r.seeds, diverged: r.diverged, selection: r.selection })),
      best: { input: best.input, regime: best.regime, config: best.config, selection_f1: best.selection_f1, selection: best.selection },
      // the submissions: each regime's chosen models' test scores
      submissions: res.chosen.map((c) => c.testScores.map((s) => Array.from(s))),
    },
    eval: res.rows.map((r) => [r.accuracy_mean, r.f1_mean, r.delta_vs_ntk_krr]),
  };
}

describe('the candidates of one input', () => {
  it('come per configuration in the regimes’ manifest order, width then lr ascending, seeds ascending, whatever order the runs arrive in', () => {
    const candidates = (order?: (runs: RunSpec[]) => RunSpec[]) => {
      const { ctx, ntk } = context(BASE_TRUTH, order);
      return collectFeatureLearning(ctx, ntk).candidates;
    };
    const base = candidates();
    expect(base.map((c) => `${c.regime} ${c.config}`)).toEqual([
      'lazy w8-lr1',
      'lazy w32-lr1',
      'catapult w8-lr1',
      'catapult w8-lr2.5',
      'sgd w16-lr0.25',
      'sgd w16-lr0.5',
      'lazy-kernels w8-lr1',
      'after-kernel lazy-kernels/w8-lr1',
      'init-kernel lazy-kernels/w8-lr1',
      'ntk-krr λ=1.00',
      'nngp-krr λ=0.0100',
    ]);
    // each regime's runs backwards (widths, rates and seeds descending), the regimes still first met in manifest order
    const regimes = [...new Set(RUNS.map((r) => r.regime))];
    const reversed = (runs: RunSpec[]) =>
      [...runs].sort(
        (a, b) => regimes.indexOf(a.regime) - regimes.indexOf(b.regime) || b.width - a.width || b.lr - a.lr || b.seed - a.seed,
      );
    expect(candidates(reversed)).toEqual(base);
  });
});

describe('selection invariance: the eval rows’ labels never reach a choice', () => {
  const base = outcome(BASE_TRUTH);

  it('the fixture exercises every kind of choice: several configurations, a diverged seed, early stopping, the after kernel, λ', () => {
    const regimes = base.chosen.rows.map((r) => r.regime);
    expect(regimes).toEqual(
      expect.arrayContaining(['lazy', 'catapult', 'sgd', 'after-kernel', 'init-kernel', 'ntk-krr', 'nngp-krr', 'ensemble']),
    );
    const by = (regime: string) => base.chosen.rows.find((r) => r.regime === regime)!.selection;
    expect(by('lazy').configs_tried).toBe(2);
    expect(by('catapult').configs_tried).toBe(2);
    expect(by('sgd').inner).toEqual({ parameter: 'epoch', candidates: null });
    expect(by('ntk-krr').inner).toEqual({ parameter: 'lambda', candidates: LAMBDAS.length });
    expect(by('after-kernel').folds.inner).toEqual([1, 2, 3, 4]);
  });

  it('flipping every eval label changes every eval score and no choice or selection score', () => {
    const flipped = outcome(Int8Array.from(BASE_TRUTH, (t) => 1 - t));
    expect(flipped.chosen).toEqual(base.chosen);
    // every row's accuracy becomes 1 − accuracy (each seed's does): the eval rows did reach the comparison
    base.eval.forEach(([acc], i) => expect(flipped.eval[i][0]).toBeCloseTo(1 - acc, 12));
    expect(base.eval.filter(([acc]) => Math.abs(acc - 0.5) > 0.01).length).toBeGreaterThan(base.eval.length / 2);
  });

  it('permuting the eval labels (the same class counts) changes the eval scores and no choice or selection score', () => {
    const r = rng(5);
    const perm = r.shuffle(Array.from(BASE_TRUTH.keys())) as number[];
    const permuted = outcome(Int8Array.from(perm, (j) => BASE_TRUTH[j]));
    expect(permuted.chosen).toEqual(base.chosen);
    expect(permuted.eval).not.toEqual(base.eval);
  });
});
