// The pipeline end to end on a tiny synthetic input (pca → ntk → mlp → mlp-submit → analysis →
// submissions), through the same runStage the CLI uses. It lives in the app because it wires
// several stages together, which no stage package may do.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { analysisStage, submissionsStage } from '@tangent/analysis';
import { buildTable, fixedSizeListVector } from '@tangent/arrow-io';
import { embeddingSchema, findInstance, pipelineInstances, publishOutputs, resolveManifest, runStage } from '@tangent/contracts';
import { rng } from '@tangent/linalg';
import { mlpStage, mlpSubmitStage } from '@tangent/mlp';
import { ntkStage } from '@tangent/ntk';
import { tempArtifacts } from '@tangent/contracts/testing';

describe('analysis and submissions stages end to end (runStage, tiny synthetic input)', () => {
  let dir = '';
  const artifacts = tempArtifacts('analysis-stage-');
  beforeEach(() => (dir = artifacts.enter()));
  afterEach(() => artifacts.exit());
  const D = 4,
    INPUT = 'toy-d4';
  const manifest = {
    grid: { embedders: ['toy'], d: [D], widths: [8, 32], seeds: [0, 1], lrs: [1], lrSweep: { widths: [], lrs: [] } },
    ntk: { folds: 3, lambdaGrid: { min: 1e-3, max: 1, count: 3 }, compare: ['nngp'] },
    mlp: { train: { epochs: 10 }, tracking: { size: 16, every: 5, dynamics: true } },
    analysis: {},
  };

  /** Synthetic pca features (60 train rows, 10 test rows) published as the manifest's pca instance. */
  async function pcaFixture() {
    const r = rng(3);
    const schema = embeddingSchema(D);
    const make = (n: number, split: 'train' | 'test', idBase: number) => {
      const X = new Float32Array(n * D);
      const t: Array<number | null> = [];
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k < D; k++) s += (X[i * D + k] = r.normal()) ** 2;
        for (let k = 0; k < D; k++) X[i * D + k] /= Math.sqrt(s);
        t.push(split === 'test' ? null : X[i * D] + 0.2 * r.normal() > 0 ? 1 : 0);
      }
      const table = buildTable(schema, {
        id: Int32Array.from({ length: n }, (_, i) => idBase + i),
        split: new Array(n).fill(split),
        target: t,
        embedding: fixedSizeListVector(X, D),
      });
      return { name: `${split}.arrow`, schema, table, dtype: 'float32', seed: null, extra: { explainedVarianceTotal: 0.42 } };
    };
    const m = resolveManifest(manifest);
    await publishOutputs(
      { name: 'pca', version: '1', outputs: ['train.arrow', 'test.arrow'] },
      m,
      findInstance(pipelineInstances(m), 'pca', INPUT)!,
      { files: [make(60, 'train', 0), make(10, 'test', 500)] },
    );
  }

  it('analysis/summary.json carries the per-input summary; submissions/ holds every checked submission with index.json', async () => {
    await pcaFixture();
    await runStage(ntkStage, { manifest });
    await runStage(mlpStage, { manifest });
    await runStage(mlpSubmitStage, { manifest });
    const [a] = await runStage(analysisStage, { manifest });
    expect(a.outDir).toBe(join(dir, 'analysis'));
    const read = (...p: string[]) => JSON.parse(readFileSync(join(dir, ...p), 'utf8'));
    const summary = read('analysis', 'summary.json');
    expect(Object.keys(summary)).toEqual(['datasets', 'inputs', 'd_sweep', 'dynamics', 'dynamics_tests', 'provenance']);
    // one dataset (the tweets), summarised by its one input: kernel ridge's eval figures as metrics.json has them
    const km = read('ntk', summary.inputs[0].input, 'metrics.json');
    expect(summary.datasets).toHaveLength(1);
    expect(summary.datasets[0]).toMatchObject({
      name: 'tweets',
      kind: 'kaggle-tweets',
      classes: ['0', '1'],
      input: summary.inputs[0].input,
      rows: { train: km.eval.rows + km.eval.fit_rows, test: km.test.rows },
      krr: { accuracy: km.eval.accuracy, macro_f1: km.eval.macro_f1, test: null },
    });
    expect(summary.datasets[0].widths.map((w: { width: number }) => w.width)).toEqual(
      summary.inputs[0].mlp.widths.map((w: { width: number }) => w.width),
    );
    // the cross-input d sweep: one entry per input, the keys, slopes from the runs
    expect(summary.d_sweep).toHaveLength(1);
    expect(Object.keys(summary.d_sweep[0])).toEqual([
      'embedder',
      'd',
      'explained_variance',
      'krr',
      'widths',
      'delta_theta_slope',
      'delta_theta_slope_ci95',
      'kernel_init_error_slope',
      'kernel_init_error_slope_ci95',
      'kernel_init_error_sqrt_m_predicted',
      'kernel_init_error_sqrt_m_measured',
      'kernel_init_error_sqrt_m_ci95',
      'kernel_init_error_sqrt_m_p',
      'kernel_init_error_sqrt_m_p_holm',
      'kernel_init_error_sqrt_m_agrees',
      'width_for_delta_theta_5pct',
      'width_for_delta_theta_5pct_status',
      'width_for_delta_theta_5pct_ci95',
    ]);
    // the predicted Θ̂₀ constant is the runs' own (one tracked subset per input)
    expect(summary.d_sweep[0].kernel_init_error_sqrt_m_predicted).toBe(
      read('mlp', INPUT, 'w8-s0-lr1', 'metrics.json').kernel_init_error_sqrt_m_predicted,
    );
    expect(summary.d_sweep[0].kernel_init_error_sqrt_m_predicted).toBeGreaterThan(0);
    expect(summary.d_sweep[0].krr.ntk.accuracy).toBe(read('ntk', INPUT, 'metrics.json').eval.accuracy);
    expect(summary.d_sweep[0].krr.nngp).toEqual({
      accuracy: read('ntk', INPUT, 'metrics-nngp.json').eval.accuracy,
      f1: read('ntk', INPUT, 'metrics-nngp.json').eval.f1,
    });
    expect(summary.d_sweep[0].explained_variance).toBe(0.42); // the pca artifact's metadata
    // per width the seeds' mean of the runs' recorded deviations
    expect(summary.dynamics.map((r: { width: number }) => r.width)).toEqual([8, 32]);
    const dev = (w: number) => [0, 1].map((s) => read('mlp', INPUT, `w${w}-s${s}-lr1`, 'metrics.json').dynamics_max_rel_dev_empirical);
    expect(summary.dynamics[1].max_rel_dev_empirical).toBeCloseTo((dev(32)[0] + dev(32)[1]) / 2, 12);
    const overview = readFileSync(join(dir, 'analysis', 'report.html'), 'utf8');
    expect(overview).toContain('Convergence to the NTK limit at d = 4 (one d');
    expect(overview).toContain('The two questions, answered from this profile');
    expect(overview).toContain('Multiplicity: this page states');
    expect(overview).not.toContain('dsweep_krr_accuracy'); // no chart "vs d" with one d
    expect(summary.dynamics[1].max_rel_dev_nngp).toBeGreaterThan(0); // the baseline kernel's deviation
    expect(summary.provenance).toMatchObject({ stage: 'analysis', key: '' });
    expect(summary.inputs).toHaveLength(1);
    const s = summary.inputs[0];
    expect(Object.keys(s)).toEqual([
      'input',
      'krr',
      'mlp',
      'slopes',
      'kernel_init_error_sqrt_m',
      'checks',
      'lr_sweep',
      'comparison',
      'submissions',
    ]);
    expect(s.input).toBe(INPUT);
    const krr = read('ntk', INPUT, 'metrics.json');
    expect(s.krr).toEqual({ lambda: krr.chosen_lambda, accuracy: krr.eval.accuracy, f1: krr.eval.f1 });
    expect(Object.keys(s.mlp)).toEqual(['ntk_accuracy', 'ntk_f1', 'widths', 'delta_theta_loglog_slope', 'diverged_runs']);
    expect(s.mlp.ntk_accuracy).toBe(krr.eval.accuracy);
    expect(s.mlp.diverged_runs).toEqual([]);
    expect(s.mlp.widths.map((w: { width: number }) => w.width)).toEqual([8, 32]);
    for (const w of s.mlp.widths) {
      const runs = [0, 1].map((seed) => read('mlp', INPUT, `w${w.width}-s${seed}-lr1`, 'metrics.json'));
      expect(w.seeds).toBe(2);
      expect(w.accuracy_mean).toBeCloseTo((runs[0].eval_accuracy + runs[1].eval_accuracy) / 2, 12);
      expect(w.delta_theta_mean).toBeCloseTo((runs[0].delta_theta + runs[1].delta_theta) / 2, 12);
    }
    expect(s.comparison).toHaveLength(3);
    expect(s.checks.length).toBeGreaterThan(0);
    expect(s.slopes).toBeTypeOf('object');
    expect(s.submissions.map((x: { file: string }) => x.file)).toEqual([
      `${INPUT}-ntk-krr.csv`,
      `${INPUT}-mlp-w8.csv`,
      `${INPUT}-mlp-w32.csv`,
    ]);
    expect(read('analysis', INPUT, 'summary.json').mlp).toEqual(s.mlp);
    expect(readdirSync(join(dir, 'analysis', INPUT)).sort()).toEqual(['comparison.arrow', 'figures', 'report.html', 'summary.json']);
    expect(readdirSync(join(dir, 'analysis', INPUT, 'figures')).length).toBeGreaterThan(0);

    await runStage(submissionsStage, { manifest });
    const index = read('submissions', 'index.json');
    const names = [`${INPUT}-ntk-krr.csv`, `${INPUT}-mlp-w8.csv`, `${INPUT}-mlp-w32.csv`];
    expect(index.submissions.map((x: { file: string }) => x.file)).toEqual(names);
    expect(index.submissions.map((x: { from: string }) => x.from)).toEqual([
      `ntk ${INPUT}`,
      `mlp-submit ${INPUT}/submit-w8`,
      `mlp-submit ${INPUT}/submit-w32`,
    ]);
    for (const x of index.submissions) expect(x.rows).toBe(10);
    expect(readdirSync(join(dir, 'submissions')).sort()).toEqual([...names, 'index.json'].sort());
    expect(readFileSync(join(dir, 'submissions', names[0]), 'utf8')).toBe(readFileSync(join(dir, 'ntk', INPUT, 'submission.csv'), 'utf8'));
    expect(readFileSync(join(dir, 'submissions', names[2]), 'utf8')).toBe(
      readFileSync(join(dir, 'mlp', INPUT, 'submit-w32', 'submission.csv'), 'utf8'),
    );
  });
  it('features: regimes, NNGP, after kernel and ensembles fill summary.json feature_learning and best; submissions adds best.csv and one per regime', async () => {
    const fm = {
      ...manifest,
      grid: { ...manifest.grid, widths: [8] },
      ntk: { ...manifest.ntk, compare: ['nngp'] },
      mlp: { ...manifest.mlp, train: { epochs: 10, validation: 'score' }, submission: { enabled: false } },
      analysis: { featureLearning: { enabled: true, ensembleOf: 'lazy', ks: [1, 2] }, bootstrap: { resamples: 200, seed: 0 } },
      regimes: {
        catapult: { widths: [8], lrs: [1, 2.5] },
        mup: { widths: [8, 32], mlp: { model: { parameterization: 'mup' } } },
        'lazy-kernels': { widths: [8], seeds: [0], mlp: { afterKernel: true } },
      },
    };
    await pcaFixture();
    await runStage(ntkStage, { manifest: fm });
    await runStage(mlpStage, { manifest: fm });
    expect(readdirSync(join(dir, 'mlp', INPUT)).sort()).toEqual(['catapult', 'lazy-kernels', 'mup', 'w8-s0-lr1', 'w8-s1-lr1']);
    await runStage(analysisStage, { manifest: fm });
    const read = (...p: string[]) => JSON.parse(readFileSync(join(dir, ...p), 'utf8'));
    const summary = read('analysis', 'summary.json');
    type Selection = { rule: string; rows: string; score: number | null; configs_tried: number; folds: { scored: number; of: number } };
    type Row = { regime: string; config: string; seeds: number; accuracy_mean: number; delta_vs_ntk_krr: number; selection: Selection };
    const rows: Row[] = summary.feature_learning;
    expect(rows.map((r) => r.regime).sort()).toEqual(
      ['after-kernel', 'catapult', 'ensemble', 'ensemble', 'init-kernel', 'lazy', 'lazy-kernels', 'mup', 'nngp-krr', 'ntk-krr'].sort(),
    );
    const ntk = read('ntk', INPUT, 'metrics.json');
    const krrRow = rows.find((r) => r.regime === 'ntk-krr')!;
    expect(krrRow.accuracy_mean).toBeCloseTo(ntk.eval.accuracy, 12);
    expect(krrRow.delta_vs_ntk_krr).toBe(0);
    expect(rows.find((r) => r.regime === 'nngp-krr')!.accuracy_mean).toBeCloseTo(read('ntk', INPUT, 'metrics-nngp.json').eval.accuracy, 12);
    // mup: the width with the larger mean fold-0 validation F1, its seeds' eval accuracy averaged
    const val = (w: number) => [0, 1].map((s) => read('mlp', INPUT, 'mup', `w${w}-s${s}-lr1`, 'metrics.json'));
    const pick = [8, 32].reduce((b, w) =>
      val(w).reduce((a, m) => a + m.validation.f1, 0) > val(b).reduce((a, m) => a + m.validation.f1, 0) ? w : b,
    );
    const mup = rows.find((r) => r.regime === 'mup')!;
    expect(mup.config).toBe(`w${pick}-lr1`);
    expect(mup.accuracy_mean).toBeCloseTo((val(pick)[0].eval_accuracy + val(pick)[1].eval_accuracy) / 2, 12);
    expect(mup.delta_vs_ntk_krr).toBeCloseTo(mup.accuracy_mean - ntk.eval.accuracy, 12);
    const ak = read('mlp', INPUT, 'lazy-kernels', 'w8-s0-lr1', 'metrics.json').after_kernel;
    expect(rows.find((r) => r.regime === 'after-kernel')!.accuracy_mean).toBeCloseTo(ak.final.eval_accuracy, 12);
    expect(rows.find((r) => r.regime === 'init-kernel')!.accuracy_mean).toBeCloseTo(ak.init.eval_accuracy, 12);
    // one protocol for every row: fold 0 of the fit rows (of the ntk split's 3 folds), configurations counted
    for (const r of rows) expect(r.selection).toMatchObject({ rule: 'fold0-f1', rows: 'fit', folds: { scored: 0, of: 3 } });
    expect(mup.selection.configs_tried).toBe(2);
    expect(mup.selection.score).toBeCloseTo((val(pick)[0].validation.f1 + val(pick)[1].validation.f1) / 2, 12);
    expect(rows.find((r) => r.regime === 'catapult')!.selection.configs_tried).toBe(2);
    expect(rows.find((r) => r.regime === 'after-kernel')!.selection.score).toBe(ak.final.selection.f1);
    const scored = rows.filter((r) => r.selection.score !== null);
    expect(summary.best.selection_f1).toBe(Math.max(...scored.map((r) => r.selection.score!)));
    expect(summary.best.selection.configs_tried).toBe(scored.reduce((s, r) => s + r.selection.configs_tried, 0));
    const html = readFileSync(join(dir, 'analysis', 'report.html'), 'utf8');
    expect(html).toContain('<section id="feature-learning">');
    expect(html).toMatch(/Feature learning (helps|does not)/);
    expect(html).toMatch(/<figure data-figure="feature-learning-toy-d4"><svg/); // the Δ-vs-NTK-KRR chart

    await runStage(submissionsStage, { manifest: fm });
    const subs = readdirSync(join(dir, 'submissions')).sort();
    for (const f of [
      'best.csv',
      'lazy.csv',
      'catapult.csv',
      'mup.csv',
      'ensemble.csv',
      'after-kernel.csv',
      'init-kernel.csv',
      'ntk-krr.csv',
      'nngp-krr.csv',
    ])
      expect(subs).toContain(f);
    expect(readFileSync(join(dir, 'submissions', 'best.csv'), 'utf8')).toBe(
      readFileSync(join(dir, 'submissions', `${summary.best.regime}.csv`), 'utf8'),
    );
    // NTK-KRR's feature-learning submission is the eval-comparable fit-rows model, so it may differ from the refit one; both are Kaggle-valid
    expect(read('submissions', 'index.json').submissions.every((x: { rows: number }) => x.rows === 10)).toBe(true);
  });
});
