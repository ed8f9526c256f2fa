/**
 * The study per dataset and across datasets: summary.json `datasets[]` and the overview's
 * "Datasets" table. A dataset may have several inputs (embedders × d); the one it is summarised
 * by is chosen the way kernel ridge chose λ, on the fit rows: the best cross-validated score by
 * the ntk stage's own criterion (`select_by`). The eval rows then give its figures once, and a
 * labelled test split (every dataset but the Kaggle tweets) the held-out test figures.
 */
import { BINARY_CLASSES, type Dataset, type KrrMetrics } from '@tangent/contracts';
import type { Analysis, Check } from './analyse.ts';
import type { AnalysisInputs, MlpSummary } from './collect.ts';
import { esc, htmlTable, type ReportSection } from './overview-report.ts';

export interface DatasetSummary {
  name: string;
  kind: Dataset['kind'];
  classes: string[];
  rows: { train: number; test: number };
  /** Every input of the dataset, and the one summarised (best CV score on the fit rows). */
  inputs: string[];
  input: string;
  krr: {
    kernel: string;
    lambda: number;
    /** On the eval rows (held out of every fit of the ntk stage). */
    accuracy: number;
    macro_f1: number | null;
    /** The refit on all train rows, on the labelled test split (null: unlabelled, a competition's). */
    test: { accuracy: number; macro_f1: number | null } | null;
  };
  widths: MlpSummary['widths'];
  checks: Check[];
}

/** The cross-validated score the ntk stage selected λ by (on the fit rows only). */
export const cvScore = (m: KrrMetrics): number => (m.select_by === 'accuracy' ? m.cv.accuracy.mean : m.cv.f1.mean);

/** One summary per dataset of the profile, in grid order. */
export function datasetSummaries(
  reports: ReadonlyArray<{ dataset: string; inputs: AnalysisInputs; analysis: Analysis }>,
  datasets: Readonly<Record<string, Dataset>>,
): DatasetSummary[] {
  const names = [...new Set(reports.map((r) => r.dataset))];
  return names.map((name) => {
    const mine = reports.filter((r) => r.dataset === name);
    const best = mine.reduce((a, b) => (cvScore(b.inputs.krr.metrics) > cvScore(a.inputs.krr.metrics) ? b : a));
    const m = best.inputs.krr.metrics;
    const binary = !m.classes || m.classes.length === 2;
    return {
      name,
      kind: datasets[name].kind,
      classes: m.classes ?? [...BINARY_CLASSES],
      rows: { train: m.eval.rows + m.eval.fit_rows, test: m.test.rows },
      inputs: mine.map((r) => r.inputs.input),
      input: best.inputs.input,
      krr: {
        kernel: m.kernel,
        lambda: m.chosen_lambda,
        accuracy: m.eval.accuracy,
        macro_f1: m.eval.macro_f1 ?? (binary ? null : m.eval.f1),
        test: m.test.accuracy === undefined ? null : { accuracy: m.test.accuracy, macro_f1: m.test.macro_f1 ?? null },
      },
      widths: best.inputs.mlp.summary.widths,
      checks: best.analysis.checks,
    };
  });
}

const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${(100 * v).toFixed(2)} %`);

/** The overview's table: one row per dataset, kernel ridge beside its best network width. */
export function datasetsSection(rows: DatasetSummary[]): ReportSection | null {
  if (rows.length < 2 && rows.every((r) => r.kind === 'kaggle-tweets')) return null;
  const table = htmlTable(
    [
      'dataset',
      'classes',
      'train / test rows',
      'input',
      'KRR eval accuracy',
      'KRR eval macro-F1',
      'KRR test accuracy',
      'best network (eval accuracy)',
      'theory checks that hold',
    ],
    rows.map((r) => {
      const net = r.widths.reduce<MlpSummary['widths'][number] | null>((a, w) => (a && a.accuracy_mean >= w.accuracy_mean ? a : w), null);
      const judged = r.checks.filter((c) => c.holds !== null);
      return [
        r.name,
        String(r.classes.length),
        `${r.rows.train} / ${r.rows.test}`,
        r.input,
        pct(r.krr.accuracy),
        pct(r.krr.macro_f1),
        pct(r.krr.test?.accuracy),
        net ? `m = ${net.width}: ${pct(net.accuracy_mean)}` : 'no networks run',
        judged.length ? `${judged.filter((c) => c.holds).length} of ${judged.length}` : '–',
      ];
    }),
  );
  return {
    id: 'datasets',
    title: 'Datasets',
    html:
      `<p>One row per dataset. Each is summarised by its input with the best cross-validated kernel ridge score on the fit rows ` +
      `(the ntk stage's criterion); the eval figures are on rows no fit saw, the test figures on the labelled test split, scored ` +
      `once by the model refitted on all train rows. The per-input reports hold the checks and the paired comparisons.</p>${table}` +
      `<p class="note">${esc('A dash: not defined for that dataset (binary tasks report F1 of class 1 in the per-input reports; the Kaggle tweets have no test labels).')}</p>`,
    figures: [],
  };
}
