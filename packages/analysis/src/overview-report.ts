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
  opts: { inputs: string[]; createdAt: string },
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
figcaption{font-size:.85em;color:#555}.verdict{font-weight:600}
</style></head><body>
<h1>NTK vs finite-width networks across inputs</h1>
<p>Inputs: ${opts.inputs.map((i) => `<a href="${esc(i)}/report.html">${esc(i)}</a>`).join(', ')}. Generated ${esc(opts.createdAt)}.</p>
<ol>${toc}</ol>
${body}
</body></html>
`;
}
