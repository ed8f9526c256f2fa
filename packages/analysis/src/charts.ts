import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Render a Vega-Lite spec to a standalone SVG string, headless (no canvas, no browser). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const WIDTH = 420;
const HEIGHT = 260;

type Row = Record<string, number | string | null>;
/** A column of a chart's rows: the rows stay typed (an interface per row kind) and a field name that is not one of theirs does not compile. */
export type Field<R> = Extract<keyof R, string>;
/** The rows as Vega-Lite sees them: one record of values per data point. */
const records = <R extends object>(rows: readonly R[]): Row[] => rows as unknown as Row[];

/** What every x–y chart here takes: the data, which fields to plot, axis titles, an optional colour field. */
interface XYChart<R extends object> {
  title: string;
  rows: readonly R[];
  x: Field<R>;
  y: Field<R>;
  xTitle: string;
  yTitle: string;
  series?: Field<R>;
}

/**
 * The series' legend (and colour) order: numbers inside the labels compare as numbers, so m=16
 * comes before m=1024 (Vega-Lite's default sorts the strings, which puts m=1024 first).
 */
export function seriesOrder<R extends object>(rows: readonly R[], field: Field<R>): string[] {
  const values = [
    ...new Set(
      records(rows)
        .map((r) => r[field])
        .filter((v) => v !== null && v !== undefined)
        .map(String),
    ),
  ];
  return values.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

const colorOf = (rows: Row[], series?: string) =>
  series ? { color: { field: series, type: 'nominal', sort: seriesOrder(rows, series) } } : {};

function layered(title: string, rows: Row[], layers: unknown[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    layer: layers,
  } as TopLevelSpec;
}

/** log–log scatter + line per series, e.g. error vs width; `reference` adds a dashed power law. */
export function logLogChart<R extends object>(opts: XYChart<R> & { reference?: { slope: number; label: string } }): TopLevelSpec {
  const rows = records(opts.rows);
  const layers: unknown[] = [
    {
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: opts.x, type: 'quantitative', scale: { type: 'log' }, title: opts.xTitle },
        y: { field: opts.y, type: 'quantitative', scale: { type: 'log' }, title: opts.yTitle },
        ...colorOf(rows, opts.series),
      },
    },
  ];
  const pts = rows.filter((r) => typeof r[opts.x] === 'number' && typeof r[opts.y] === 'number' && (r[opts.y] as number) > 0);
  if (opts.reference && pts.length) {
    // Anchor the reference power law at the first point so only the slope is compared.
    const x0 = pts[0][opts.x] as number;
    const y0 = pts[0][opts.y] as number;
    const xs = pts.map((p) => p[opts.x] as number);
    const ref = [Math.min(...xs), Math.max(...xs)].map((x) => ({
      [opts.x]: x,
      [opts.y]: y0 * (x / x0) ** opts.reference!.slope,
      series: opts.reference!.label,
    }));
    layers.push({
      data: { values: ref },
      mark: { type: 'line', strokeDash: [4, 4], color: 'gray' },
      encoding: { x: { field: opts.x, type: 'quantitative' }, y: { field: opts.y, type: 'quantitative' } },
    });
  }
  return layered(opts.title, rows, layers);
}

/** Lines over a log or linear x, one colour per series, with an optional horizontal rule. */
export function lineChart<R extends object>(
  opts: XYChart<R> & {
    xLog?: boolean;
    yLog?: boolean;
    band?: { lower: Field<R>; upper: Field<R> };
    rule?: { value: number; label: string };
    marker?: { value: number; label: string };
  },
): TopLevelSpec {
  const x = { field: opts.x, type: 'quantitative', title: opts.xTitle, scale: opts.xLog ? { type: 'log' } : { zero: false } };
  const y = { field: opts.y, type: 'quantitative', title: opts.yTitle, scale: opts.yLog ? { type: 'log' } : { zero: false } };
  const rows = records(opts.rows);
  const color = colorOf(rows, opts.series);
  const layers: unknown[] = [];
  if (opts.band)
    layers.push({
      mark: { type: 'area', opacity: 0.2 },
      encoding: { x, y: { field: opts.band.lower, type: 'quantitative' }, y2: { field: opts.band.upper }, ...color },
    });
  layers.push({ mark: { type: 'line', point: rows.length <= 60 }, encoding: { x, y, ...color } });
  if (opts.rule)
    layers.push({
      data: { values: [{ v: opts.rule.value, label: opts.rule.label }] },
      mark: { type: 'rule', strokeDash: [6, 3], color: 'black' },
      encoding: { y: { field: 'v', type: 'quantitative' } },
    });
  if (opts.marker)
    layers.push({
      data: { values: [{ v: opts.marker.value }] },
      mark: { type: 'rule', color: 'crimson' },
      encoding: { x: { field: 'v', type: 'quantitative' } },
    });
  return layered(opts.title, rows, layers);
}

/** One bar per method with ±1 sd error bars. */
export function barChart<R extends object>(opts: {
  title: string;
  rows: readonly R[];
  method: Field<R>;
  y: Field<R>;
  sd: Field<R>;
  yTitle: string;
}): TopLevelSpec {
  const values = records(opts.rows).map((r) => ({
    ...r,
    lo: (r[opts.y] as number) - (r[opts.sd] as number),
    hi: (r[opts.y] as number) + (r[opts.sd] as number),
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: opts.title,
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    encoding: { x: { field: opts.method, type: 'nominal', title: null, sort: null } },
    layer: [
      {
        mark: 'bar',
        encoding: {
          y: { field: opts.y, type: 'quantitative', title: opts.yTitle },
          color: { field: opts.method, type: 'nominal', legend: null },
        },
      },
      { mark: { type: 'errorbar', ticks: true }, encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
    ],
  } as TopLevelSpec;
}
