import type { Analysis } from './analyse.ts';
import type { AnalysisInputs } from './collect.ts';
import { multiplicityNote } from './overview-report.ts';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const pct = (v: number | null | undefined, sd?: number) =>
  v === null || v === undefined || !Number.isFinite(v)
    ? '—'
    : `${(100 * v).toFixed(2)}${sd !== undefined && sd > 0 ? ` ± ${(100 * sd).toFixed(2)}` : ''}`;

function table(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const signed = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(100 * v).toFixed(2)}`;
const paired = (c: { mean: number; lo: number; hi: number; p_holm: number } | null) =>
  c ? `${signed(c.mean)} [${signed(c.lo)}, ${signed(c.hi)}]` : '—';
const holmP = (c: { p_holm: number } | null) => (c ? (c.p_holm < 0.001 ? '< 0.001' : c.p_holm.toFixed(3)) : '—');

/** The learning-rate sweep (every width at a rate other than the main one) against kernel ridge and against the main rate. */
function lrSweepTable(a: Analysis, mainLr: number): string {
  if (!a.lrSweep.length) return '';
  return (
    `<h2>Learning-rate sweep</h2><p>${esc(
      `Each configuration's eval accuracy over its seeds (a diverged seed counts as the all-negative network it left), and its paired accuracy difference in points with the 95 % hierarchical-bootstrap CI (eval rows and seeds): against NTK kernel ridge (Holm over the ${a.lrSweep.length} configurations) and against the same width at c = ${mainLr}, paired by seed (Holm over that family).`,
    )}</p>` +
    table(
      ['width m', 'c', 'seeds (diverged)', 'eval accuracy %', 'Δ vs NTK-KRR (95 % CI)', 'Holm p', `Δ vs c = ${mainLr} (95 % CI)`, 'Holm p'],
      a.lrSweep.map((r) => [
        String(r.width),
        String(r.lr),
        `${r.seeds}${r.diverged ? ` (${r.diverged})` : ''}`,
        pct(r.accuracy_mean),
        paired(r.vs_krr),
        holmP(r.vs_krr),
        paired(r.vs_main_lr),
        holmP(r.vs_main_lr),
      ]),
    )
  );
}

/**
 * A self-contained HTML report: the answers paragraph (answers.ts), tables, theory checks and
 * inline SVG figures (no network needed to view it).
 */
export function renderReport(inp: AnalysisInputs, a: Analysis, svgs: Record<string, string>, createdAt: string, answers = ''): string {
  const m = inp.krr.metrics;
  const checks = table(
    ['expected (NTK theory)', 'criterion', 'measured', 'holds'],
    a.checks.map((c) => [c.claim, c.criterion, c.measured, c.holds === null ? 'n/a' : c.holds ? 'yes' : 'no']),
  );
  const comparison = table(
    ['method', 'seeds', 'eval accuracy %', 'eval F1 %', 'ΔΘ at end %', 'Θ̂₀ error %'],
    a.comparison.map((r) => [
      r.method,
      String(r.seeds),
      pct(r.accuracy_mean, r.accuracy_sd),
      pct(r.f1_mean),
      pct(r.delta_theta_mean),
      pct(r.kernel_init_error_mean),
    ]),
  );
  const hybrid = inp.hybrid
    .map(
      (h) =>
        `<h3>${esc(h.name)}</h3>` +
        table(
          ['method', `test ${h.metric}`, 'total seconds'],
          Object.entries(h.summary)
            .filter(([, s]) => s)
            .map(([method, s]) => [
              method,
              `${s!.test_metric.mean.toFixed(4)} ± ${s!.test_metric.sd.toFixed(4)} (n=${s!.test_metric.n})`,
              s!.total_seconds.mean.toFixed(2),
            ]),
        ),
    )
    .join('');
  const subs = table(
    ['file', 'rows', 'predicted disasters'],
    inp.submissions.map((s) => [s.file, String(s.rows), `${s.positives} (${((100 * s.positives) / s.rows).toFixed(1)} %)`]),
  );
  const figs = a.figures.map((f) => `<figure>${svgs[f.name] ?? ''}<figcaption>${esc(f.caption)}</figcaption></figure>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tangent report: ${esc(inp.input)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
th{background:#f4f4f4}figure{display:inline-block;margin:1em;vertical-align:top;max-width:460px}
figcaption{font-size:.85em;color:#555}code{background:#f4f4f4;padding:0 .2em}.note{font-size:.9em;color:#444}.verdict{font-weight:600}
</style></head><body>
<h1>NTK vs finite-width networks: ${esc(inp.input)}</h1>
<p>Kernel ridge regression with the analytical ${esc(m.kernel.toUpperCase())} (depth ${m.depth}) against 2-layer ReLU MLPs in
NTK parameterisation trained by gradient descent on the same labels (±1, squared loss) and the same
fit/eval split (${m.eval.fit_rows} fit rows, ${m.eval.rows} eval rows). λ = ${m.chosen_lambda.toPrecision(4)} chosen by
${m.cv.folds}-fold cross-validation (${esc(m.cv.solver)}): CV accuracy ${pct(m.cv.accuracy.mean, m.cv.accuracy.sd)} %.
Generated ${esc(createdAt)}.</p>
${answers}
<h2>Expected observations</h2>${checks}
${lrSweepTable(a, inp.mlp.mainLr)}
<h2>Eval-split comparison</h2>${comparison}
${inp.mlp.diverged.length ? `<p>Diverged runs (recorded, excluded from the means): ${esc(inp.mlp.diverged.join(', '))}.</p>` : ''}
<h2>Figures</h2>
${figs}
${inp.hybrid.length ? `<h2>Hybrid SGD→NTK experiments</h2>${hybrid}` : ''}
<h2>Kaggle submissions</h2><p>Checked: header <code>id,target</code>, one row per test tweet in test.csv order, 0/1 targets.</p>${subs}
<p class="note">${esc(
    multiplicityNote([
      {
        title: 'expected observations',
        // the sweep table shows the same intervals as its check
        intervals: a.checks.reduce((s, c) => s + c.intervals, 0),
        holm: a.checks.flatMap((c) => c.holm ?? []),
      },
    ]),
  )}</p>
</body></html>
`;
}
