/**
 * data/analysis/report.html: the cross-input report, one section per question (the d sweep, the
 * training dynamics, the learning-rate bound, and whatever other analyses add). A section is plain
 * HTML plus Vega-Lite figures; the stage renders the figures to SVG and inlines them, so the page
 * needs no network. Everything data-derived goes through `esc`.
 */
import type { TopLevelSpec } from 'vega-lite';

export interface ReportSection {
  /** Anchor id (letters, digits, '-'). */
  id: string;
  title: string;
  /** Trusted HTML built by the section (escape every data-derived string with `esc`). */
  html: string;
  /** Figures, rendered below the section's HTML; names are unique across the report (SVG file stems). */
  figures: Array<{ name: string; caption: string; spec: TopLevelSpec }>;
  /** How many 95 % confidence intervals the section states (the multiplicity note adds them up); absent: not counted. */
  intervals?: number;
  /** The families of tests within which the section applied Holm's adjustment. */
  holm?: string[];
}

/**
 * The multiplicity note under a report: how many intervals it states, where Holm's adjustment was
 * applied, and what the intervals condition on.
 */
export function multiplicityNote(parts: Array<{ title: string; intervals?: number; holm?: string[] }>): string {
  const counted = parts.filter((p) => p.intervals !== undefined);
  const n = counted.reduce((s, p) => s + p.intervals!, 0);
  const uncounted = parts.filter((p) => p.intervals === undefined).map((p) => p.title);
  const families = parts.flatMap((p) => p.holm ?? []);
  return (
    `Multiplicity: this page states ${n} 95 % confidence interval${n === 1 ? '' : 's'}${uncounted.length ? ` (not counting those of: ${uncounted.join('; ')})` : ''}, ` +
    `each with 95 % coverage on its own, not jointly: about one in twenty would miss by chance. ` +
    (families.length
      ? `Holm's adjustment (family-wise error 5 %) is applied within each family of tests of one claim over several configurations: ${families.join('; ')}. `
      : 'No claim here rests on a family of tests, so no Holm adjustment was needed. ') +
    'The separate checks are separate claims, each judged at its own 5 %. Intervals over seeds are t-intervals (seeds − 1 degrees of freedom) and the ' +
    'paired accuracy differences bootstrap eval rows and seeds together (hierarchical): both condition on the one fit/eval split of the ntk stage.'
  );
}

export const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

export function htmlTable(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** The whole page; `svgs` maps figure names to rendered SVG. */
export function renderOverview(
  sections: ReportSection[],
  svgs: Record<string, string>,
  opts: { inputs: string[]; createdAt: string; answers?: string },
): string {
  const toc = sections.map((s) => `<li><a href="#${esc(s.id)}">${esc(s.title)}</a></li>`).join('');
  const body = sections
    .map(
      (s) =>
        `<section id="${esc(s.id)}"><h2>${esc(s.title)}</h2>\n${s.html}\n${s.figures
          .map((f) => `<figure data-figure="${esc(f.name)}">${svgs[f.name] ?? ''}<figcaption>${esc(f.caption)}</figcaption></figure>`)
          .join('\n')}</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>tangent: across inputs</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
th{background:#f4f4f4}figure{display:inline-block;margin:1em;vertical-align:top;max-width:460px}
figcaption{font-size:.85em;color:#555}.verdict{font-weight:600}.note{font-size:.9em;color:#444}
</style></head><body>
<h1>NTK vs finite-width networks across inputs</h1>
<p>Inputs: ${opts.inputs.map((i) => `<a href="${esc(i)}/report.html">${esc(i)}</a>`).join(', ')}. Generated ${esc(opts.createdAt)}.</p>
${opts.answers ? `<section id="answers"><h2>The two questions, answered from this profile's runs</h2>${opts.answers}</section>` : ''}
<ol>${toc}</ol>
${body}
<p class="note">${esc(multiplicityNote(sections))}</p>
</body></html>
`;
}
