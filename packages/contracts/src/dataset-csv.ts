/**
 * The reader of the manifest's delimited datasets (`text-csv`, `table-csv`, datasets.ts): the
 * file (and test file) located once through `resolveDataPath`, parsed, checked and split into
 * labelled train and test rows with class indices. The text stage takes the text cells, the pca
 * stage the feature cells (`numericMatrix`); both record `classes` as their artifacts'
 * `extra.classes` (embedding-table.ts `tableClasses`).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fail } from '@tangent/base';
import { rng } from '@tangent/linalg';
import { CsvError, parse } from 'csv-parse/sync';
import type { Dataset } from './datasets.ts';
import { resolveDataPath } from './raw-data.ts';

export type CsvDataset = Extract<Dataset, { kind: 'text-csv' | 'table-csv' }>;

/** The class index is an Int8 in every artifact. */
export const MAX_CLASSES = 127;

export interface LabelledSplit {
  /** The file the rows come from. */
  file: string;
  ids: Int32Array;
  /** Index into `classes`, per row. */
  labels: Int8Array;
  /** The requested cells of each row, as in the file (text-csv: [text]; table-csv: the features). */
  rows: string[][];
  /** 1-based line of `file` where each row starts, for messages. */
  lines: Int32Array;
}

export interface LabelledCsv {
  train: LabelledSplit;
  test: LabelledSplit;
  /** The distinct train labels, sorted (numerically when every one is a number); index = class. */
  classes: string[];
  /** The name of each cell of a row: its header name, or `column <i>` in a file without a header. */
  columns: string[];
  /** Every file read (absolute or as resolved), the data file first. */
  files: string[];
}

interface CsvRecord {
  cells: string[];
  line: number;
}

interface ParsedFile {
  path: string;
  header: string[] | null;
  records: CsvRecord[];
  /** Fields per row: the header's, or the first row's without a header. */
  width: number;
}

/** The columns picked from one file, as indices into its rows. */
interface Layout {
  label: number;
  id: number | null;
  cells: number[];
  names: string[];
}

/** Rows of one file before classes are known. */
interface RawRows {
  file: string;
  labels: string[];
  ids: number[];
  rows: string[][];
  lines: number[];
}

type Column = string | number;

/**
 * Read a text-csv or table-csv dataset: its rows by split, labels as class indices of the sorted
 * train labels, ids from the id column (int32, unique over both splits) or the 0-based data row
 * (a test file's rows numbered after the data file's). Without a test file, `testFraction` of
 * each class is held out by a seeded shuffle (`holdOut`). `where` names the spec in messages
 * (e.g. `datasets.sms-spam`); `encoding` is a WHATWG label (default UTF-8).
 */
export function readLabelledCsv(spec: CsvDataset, dataDir: string, where: string, opts: { encoding?: string } = {}): LabelledCsv {
  const main = parseFile(locate(spec.path, dataDir, `${where}.path`), spec, opts.encoding);
  const layout = pickLayout(spec, main, where);
  const all = extractRows(main, layout, where, 0);
  // The data file's classes are train's: the stratified split keeps a train row of every class.
  const classes = sortClasses(all.labels, main.path, columnName(main, layout.label), where);
  let train: RawRows;
  let test: RawRows;
  const files = [main.path];
  if (spec.test) {
    const t = parseFile(locate(spec.test, dataDir, `${where}.test`), spec, opts.encoding);
    files.push(t.path);
    train = all;
    test = extractRows(t, pickLayout(spec, t, where), where, all.rows.length);
  } else {
    const isTest = holdOut(all.labels, spec.testFraction, spec.seed);
    [train, test] = [subset(all, isTest, 0), subset(all, isTest, 1)];
    if (test.rows.length === 0)
      fail(
        `${main.path}: testFraction ${spec.testFraction} holds out no row (round(testFraction × class size) is 0 for every class of ${all.rows.length} rows); raise ${where}.testFraction or give ${where}.test`,
      );
  }
  checkUniqueIds(train, test);
  checkTestLabels(test, classes, train.file);
  return { train: toSplit(train, classes), test: toSplit(test, classes), classes, columns: layout.names, files };
}

/** A data file a spec names, which must exist. */
function locate(p: string, dataDir: string, field: string): string {
  const path = resolveDataPath(p, dataDir);
  if (!existsSync(path) || !statSync(path).isFile())
    fail(
      `${path}: file not found (${field}: '${p}'; a relative path resolves against $TANGENT_DATA_DIR, here ${dataDir}, then the working directory); fix ${field} or put the file there`,
    );
  return path;
}

/** The file's text: gunzipped when its name ends in .gz, decoded strictly (a bad byte is an error, not U+FFFD). */
function readText(path: string, encoding = 'utf-8'): string {
  let bytes: Uint8Array = readFileSync(path);
  if (path.endsWith('.gz')) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      fail(`${path}: not a valid gzip file (${(e as Error).message}); re-download it or drop the .gz suffix if it is plain text`);
    }
  }
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    fail(`${path}: not valid ${encoding} text; save it as UTF-8`);
  }
}

/** Lines a cell spans beyond its first (a quoted newline), to find where its row starts. */
const extraLines = (cells: string[]): number => cells.reduce((s, c) => s + (c.match(/\r\n|\n|\r/g)?.length ?? 0), 0);

/**
 * Parse one delimited file and check that every row has the same width. A TAB-delimited file is
 * read without quoting (IANA text/tab-separated-values has none, and texts such as the SMS spam
 * collection start fields with a bare `"` that RFC 4180 quoting would run across lines); any
 * other delimiter follows RFC 4180, with stray quotes inside unquoted fields kept as text.
 */
function parseFile(path: string, spec: CsvDataset, encoding?: string): ParsedFile {
  let parsed: Array<{ record: string[]; info: { lines: number } }>;
  try {
    parsed = parse(readText(path, encoding), {
      delimiter: spec.delimiter,
      quote: spec.delimiter === '\t' ? false : '"',
      relax_quotes: true,
      relax_column_count: true,
      skip_empty_lines: true,
      record_delimiter: ['\r\n', '\n'],
      bom: true,
      info: true,
    }) as never;
  } catch (e) {
    if (!(e instanceof CsvError)) throw e;
    const line = (e as CsvError & { lines?: number }).lines;
    fail(`${path}${line ? ` line ${line}` : ''}: not valid delimited text (${e.message.split('\n')[0]}); fix the file or its delimiter`);
  }
  const all = parsed.map(({ record, info }) => ({ cells: record, line: info.lines - extraLines(record) }));
  const header = spec.header && all.length ? all.shift()!.cells.map((h) => h.trim()) : null;
  if (all.length === 0)
    fail(
      `${path}: no data rows${header ? ' (only the header line)' : ''}; check the file and ${spec.header ? 'header: true' : 'its path'}`,
    );
  const width = header ? header.length : all[0].cells.length;
  for (const r of all)
    if (r.cells.length !== width)
      fail(
        `${path} line ${r.line}: ${r.cells.length} fields, expected ${width} (${header ? "the header's" : "the first row's"} width); check the delimiter (${JSON.stringify(spec.delimiter)}) and quoting`,
      );
  return { path, header, records: all, width };
}

const columnName = (f: ParsedFile, i: number): string => (f.header ? f.header[i] : `column ${i}`);

/** The index of a column given by header name or 0-based index. */
function columnIndex(f: ParsedFile, c: Column, field: string): number {
  if (typeof c === 'number') {
    if (c >= f.width) fail(`${f.path}: ${field} is column ${c}, but its rows have ${f.width} fields (0..${f.width - 1}); fix ${field}`);
    return c;
  }
  if (!f.header) fail(`${f.path}: ${field} names column '${c}', but the file has no header (header: false); give its 0-based index`);
  const i = f.header.indexOf(c);
  if (i < 0) fail(`${f.path}: no column '${c}' (${field}); its header has ${f.header.map((h) => `'${h}'`).join(', ')}`);
  return i;
}

/** Label, id and the requested cells (the text, or the features: by default every other column). */
function pickLayout(spec: CsvDataset, f: ParsedFile, where: string): Layout {
  const at = (c: Column, name: string) => columnIndex(f, c, `${where}.columns.${name}`);
  const label = at(spec.columns.label, 'label');
  const id = spec.columns.id === undefined ? null : at(spec.columns.id, 'id');
  let cells: number[];
  if (spec.kind === 'text-csv') cells = [at(spec.columns.text, 'text')];
  else if (spec.columns.features) cells = spec.columns.features.map((c, k) => at(c, `features[${k}]`));
  else cells = Array.from({ length: f.width }, (_, i) => i).filter((i) => i !== label && i !== id);
  const clash = cells.find((i) => i === label || i === id);
  if (clash !== undefined)
    fail(
      `${f.path}: column '${columnName(f, clash)}' is both a ${spec.kind === 'text-csv' ? 'text' : 'feature'} column and the label or id; fix ${where}.columns`,
    );
  if (cells.length === 0) fail(`${f.path}: no feature columns besides the label and id; list them in ${where}.columns.features`);
  return { label, id, cells, names: cells.map((i) => columnName(f, i)) };
}

/** Each row's label (trimmed, never empty), id (the id column's int32, else idOffset + data row) and requested cells. */
function extractRows(f: ParsedFile, layout: Layout, where: string, idOffset: number): RawRows {
  const out: RawRows = { file: f.path, labels: [], ids: [], rows: [], lines: [] };
  for (const [r, { cells, line }] of f.records.entries()) {
    const label = cells[layout.label].trim();
    if (label === '')
      fail(
        `${f.path} line ${line}: empty label in column '${columnName(f, layout.label)}' (${where}.columns.label); fill it in or drop the row`,
      );
    out.labels.push(label);
    out.rows.push(layout.cells.map((i) => cells[i]));
    out.lines.push(line);
    out.ids.push(layout.id === null ? idOffset + r : parseId(cells[layout.id], f, line, columnName(f, layout.id)));
  }
  return out;
}

function parseId(cell: string, f: ParsedFile, line: number, name: string): number {
  const s = cell.trim();
  const v = Number(s);
  if (!/^-?\d+$/.test(s) || v < -(2 ** 31) || v >= 2 ** 31)
    fail(`${f.path} line ${line}: id '${s}' in column '${name}' is not an int32 integer; fix the row or drop columns.id to number rows`);
  return v;
}

/** Ids are row keys downstream (predictions, submissions): one row per id over both splits. */
function checkUniqueIds(train: RawRows, test: RawRows): void {
  const seen = new Map<number, string>();
  for (const s of [train, test])
    s.ids.forEach((id, r) => {
      const first = seen.get(id);
      if (first !== undefined)
        fail(`${s.file} line ${s.lines[r]}: duplicate id ${id} (first at ${first}); ids must be unique over train and test`);
      seen.set(id, `${s.file} line ${s.lines[r]}`);
    });
}

/** Numbers sort by value ('2' before '10'); anything else by code units, the same in every locale. */
function compareLabels(numeric: boolean): (a: string, b: string) => number {
  const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return numeric ? (a, b) => Number(a) - Number(b) || byCode(a, b) : byCode;
}

const isNumber = (s: string): boolean => s !== '' && Number.isFinite(Number(s));

/** The sorted distinct labels: two classes at least, and no more than an Int8 index holds. */
function sortClasses(labels: string[], path: string, labelName: string, where: string): string[] {
  const distinct = [...new Set(labels)];
  const classes = distinct.sort(compareLabels(distinct.every(isNumber)));
  if (classes.length < 2)
    fail(
      `${path}: the label column '${labelName}' has one class ('${classes[0]}') in its ${labels.length} rows; a classifier needs two or more — check ${where}.columns.label`,
    );
  if (classes.length > MAX_CLASSES)
    fail(
      `${path}: the label column '${labelName}' has ${classes.length} distinct values, more than ${MAX_CLASSES} classes; check ${where}.columns.label (a class label, not a numeric target)`,
    );
  return classes;
}

function checkTestLabels(test: RawRows, classes: string[], trainFile: string): void {
  const known = new Set(classes);
  const unseen = [...new Set(test.labels.filter((l) => !known.has(l)))];
  if (unseen.length)
    fail(
      `${test.file}: test labels ${unseen.map((l) => `'${l}'`).join(', ')} do not occur in train (${trainFile}, classes ${classes.join(', ')}); fix the labels or drop those rows`,
    );
}

/**
 * The seeded stratified test split: within each class (classes in sorted order, one generator
 * across them) the rows are shuffled and the first min(round(fraction · n_c), n_c − 1) are test,
 * so every class keeps a train row. 1 = test. The same rule and generator as the kernels' split.
 */
export function holdOut(labels: readonly string[], fraction: number, seed: number): Uint8Array {
  const byClass = new Map<string, number[]>();
  labels.forEach((l, i) => (byClass.get(l) ?? byClass.set(l, []).get(l)!).push(i));
  const r = rng(seed);
  const isTest = new Uint8Array(labels.length);
  const classes = [...byClass.keys()].sort(compareLabels([...byClass.keys()].every(isNumber)));
  for (const c of classes) {
    const idx = r.shuffle(byClass.get(c)!) as number[];
    const n = Math.min(Math.round(fraction * idx.length), idx.length - 1);
    for (let p = 0; p < n; p++) isTest[idx[p]] = 1;
  }
  return isTest;
}

/** The rows whose flag is `keep`, in file order. */
function subset(all: RawRows, flags: Uint8Array, keep: 0 | 1): RawRows {
  const pick = <T>(xs: T[]) => xs.filter((_, i) => flags[i] === keep);
  return { file: all.file, labels: pick(all.labels), ids: pick(all.ids), rows: pick(all.rows), lines: pick(all.lines) };
}

function toSplit(s: RawRows, classes: string[]): LabelledSplit {
  const index = new Map(classes.map((c, k) => [c, k]));
  return {
    file: s.file,
    ids: Int32Array.from(s.ids),
    labels: Int8Array.from(s.labels, (l) => index.get(l)!),
    rows: s.rows,
    lines: Int32Array.from(s.lines),
  };
}

/**
 * Feature cells → a row-major rows × columns Float64Array. A cell that is empty or not a finite
 * number is one error naming `where` (the file), the row's line (`lines`, else the 0-based row)
 * and the column.
 */
export function numericMatrix(
  rows: readonly string[][],
  columnNames: readonly string[],
  where: string,
  lines?: ArrayLike<number>,
): Float64Array {
  const p = columnNames.length;
  const out = new Float64Array(rows.length * p);
  rows.forEach((row, i) => {
    for (let j = 0; j < p; j++) {
      const s = (row[j] ?? '').trim();
      const v = s === '' ? NaN : Number(s);
      if (!Number.isFinite(v))
        fail(
          `${where} ${lines ? `line ${lines[i]}` : `row ${i}`}: column '${columnNames[j]}' is '${s}', not a number; fix the cell or leave the column out of columns.features`,
        );
      out[i * p + j] = v;
    }
  });
  return out;
}
