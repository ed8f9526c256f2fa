/**
 * The paragraph at the top of every report: the project's two research questions, each answered
 * with what this profile's own runs support (computed from the rows the sections show), and which
 * profile gives the full answer when this one cannot.
 *   1. How does the input dimension d affect the speed of convergence to the NTK limit?
 *   2. Does the task benefit from feature learning (networks that leave the lazy regime)?
 */
import type { Analysis } from './analyse.ts';
import type { DSweepRow } from './d-sweep.ts';
import { lazyWidthText } from './d-sweep-text.ts';
import { esc } from './overview-report.ts';

/**
 * What the two fuller profiles cost, as measured or estimated where the repository records it
 * (README § "The d sweep" and § "Feature learning"; configs/pipeline.yaml, the profiles' comments).
 */
export const PROFILE_COST = {
  dsweep: '35 min wall on 2 cores with 5 seeds from an empty cache, measured on an AVX-512 Xeon with OpenBLAS (README § "The d sweep")',
  features:
    '18 min wall on 2 cores with ≥ 5 seeds per regime after the embedding (+1.5 min cold), measured on an AVX-512 Xeon with OpenBLAS (README § "Feature learning")',
} as const;

const ci = (v: number | null, c: [number, number] | null) =>
  v === null ? 'n/a' : `${v.toFixed(2)}${c ? ` [${c[0].toFixed(2)}, ${c[1].toFixed(2)}]` : ''}`;

/** Question 1 from the d-sweep rows: across d when the profile has several, else at its one d with the pointer to dsweep. */
function dAnswer(rows: DSweepRow[]): string {
  const ds = [...new Set(rows.map((r) => r.d))].sort((a, b) => a - b);
  const label = (r: DSweepRow) => (new Set(rows.map((q) => q.embedder)).size > 1 ? `${r.embedder} d=${r.d}` : `d=${r.d}`);
  const constant = (r: DSweepRow) =>
    r.kernel_init_error_sqrt_m_measured === null
      ? ''
      : `, Θ̂₀ error·√m ${r.kernel_init_error_sqrt_m_measured.toFixed(2)} vs ${r.kernel_init_error_sqrt_m_predicted!.toFixed(2)} predicted from the data${
          r.kernel_init_error_sqrt_m_agrees === null ? '' : r.kernel_init_error_sqrt_m_agrees ? ' (agrees)' : ' (DISAGREES)'
        }`;
  const perD = (r: DSweepRow) =>
    `${label(r)}: ΔΘ ∝ m^${ci(r.delta_theta_slope, r.delta_theta_slope_ci95)}, ΔΘ = 5 % ${r.width_for_delta_theta_5pct === null ? lazyWidthText(r) : `at m ≈ ${lazyWidthText(r)}`}${constant(r)}`;
  if (ds.length >= 2) {
    const agree = rows.filter((r) => r.kernel_init_error_sqrt_m_agrees === true).length;
    const tested = rows.filter((r) => r.kernel_init_error_sqrt_m_agrees !== null).length;
    return (
      `(1) How does d affect the speed of convergence to the NTK limit? This profile runs d ∈ {${ds.join(', ')}}: ${rows.map(perD).join('; ')}. ` +
      (!tested
        ? ''
        : agree === tested
          ? `The Θ̂₀ error has the constant predicted from the data at every input (Holm over ${tested}): d acts on Θ̂₀ through the data's geometry, as computed. `
          : `The Θ̂₀ error has the constant predicted from the data at only ${agree} of ${tested} inputs (Holm): the prediction fails at the others. `)
    );
  }
  return (
    `(1) How does d affect the speed of convergence to the NTK limit? This profile has one d, so it measures the speed at that d only — ${rows.map(perD).join('; ')} — ` +
    `and cannot say how d changes it: that is \`npm start -- -c dsweep\` (d ∈ {16, …, 256}; ${PROFILE_COST.dsweep}). `
  );
}

/** Question 2: the feature-learning verdicts when the profile has them, else what the learning-rate sweep shows. */
function featureAnswer(analyses: Array<{ input: string; analysis: Analysis }>, featureVerdicts: string[] | null): string {
  const q = '(2) Does the task benefit from feature learning? ';
  if (featureVerdicts?.length) return q + featureVerdicts.join(' ');
  const sweep = analyses
    .map(({ input, analysis }) => ({ input, check: analysis.checks.find((c) => c.claim.startsWith('Small widths')) }))
    .filter((x) => x.check && x.check.holds !== null);
  const probe = sweep.length
    ? `Its one probe away from the lazy regime is the learning-rate sweep at small widths, which ${sweep
        .map(
          (x) =>
            `${sweep.length > 1 ? `on ${x.input} ` : ''}${x.check!.holds ? 'DOES' : 'does not'} show a small, faster-trained network beating NTK kernel ridge (${x.check!.measured})`,
        )
        .join('; ')}. `
    : 'It runs no learning rate above the main one, so nothing here leaves the lazy regime. ';
  return (
    q +
    'This profile trains lazy networks (NTK parameterisation, full-batch GD) only. ' +
    probe +
    `The full answer — μP, catapult, standard parameterisation, SGD, ensembles and the after kernel against NTK kernel ridge, chosen on fit rows only — is \`npm start -- -c features\` (${PROFILE_COST.features}).`
  );
}

/** The answers paragraph (trusted HTML, every data string escaped). */
export function researchAnswers(o: {
  rows: DSweepRow[];
  analyses: Array<{ input: string; analysis: Analysis }>;
  featureVerdicts: string[] | null;
}): string {
  return `<p class="verdict">${esc(dAnswer(o.rows) + featureAnswer(o.analyses, o.featureVerdicts))}</p>`;
}
