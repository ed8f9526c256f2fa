import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '@tangent/base';
import { tweetsFile } from '@tangent/contracts';
import { CsvError, parse } from 'csv-parse/sync';

/** One row of the Kaggle "NLP with Disaster Tweets" CSVs, fields as in the file. */
export interface KaggleRow {
  id: number;
  keyword: string;
  location: string;
  text: string;
  /** 0 or 1 in train.csv; null when the file has no target column (test.csv). */
  target: 0 | 1 | null;
}

export interface KaggleCsv {
  path: string;
  rows: KaggleRow[];
  hasTarget: boolean;
}

export const KAGGLE_URL = 'https://www.kaggle.com/competitions/nlp-getting-started/data';
const REQUIRED = ['id', 'keyword', 'location', 'text'] as const;
const HOW_TO_GET = `set TANGENT_DATA_DIR to the folder holding nlp-getting-started/{train,test}.csv (download from ${KAGGLE_URL})`;

/**
 * Where `name` (train.csv / test.csv) lives under `dataDir`: directly in it or in its
 * `nlp-getting-started/` subfolder (the name of Kaggle's zip).
 */
export function findKaggleFile(dataDir: string, name: string): string {
  if (!existsSync(dataDir) || !statSync(dataDir).isDirectory()) fail(`${dataDir}: data directory not found; ${HOW_TO_GET}`);
  const found = tweetsFile(dataDir, name);
  if (found) return found;
  fail(`${join(dataDir, 'nlp-getting-started', name)}: ${name} not found (also looked in ${dataDir}); ${HOW_TO_GET}`);
}

/** Offset of the first byte that breaks UTF-8 (overlong forms and surrogates included), or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const d = i + k < n ? b[i + k] : -1;
      if (k === 1 ? d < lo || d > hi : d < 0x80 || d > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * The text of a CSV file. A UTF-16 (LE/BE) or UTF-8 byte-order mark selects that encoding;
 * otherwise the bytes must be valid UTF-8, and the first invalid byte is an error naming its
 * line, unless `encoding` (a WHATWG label such as 'latin1' or 'windows-1252') says how to decode.
 */
export function decodeCsvBytes(path: string, bytes: Uint8Array, encoding?: string): string {
  let label = encoding ?? 'utf-8';
  if (encoding === undefined && bytes[0] === 0xff && bytes[1] === 0xfe) label = 'utf-16le';
  else if (encoding === undefined && bytes[0] === 0xfe && bytes[1] === 0xff) label = 'utf-16be';
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(label, { fatal: true });
  } catch {
    fail(`${path}: unknown encoding '${label}' in the text config; use a WHATWG label such as utf-8, latin1 or windows-1252`);
  }
  try {
    return decoder.decode(bytes);
  } catch {
    const at = decoder.encoding === 'utf-8' ? firstInvalidUtf8(bytes) : -1;
    if (at < 0)
      fail(`${path}: not valid ${decoder.encoding}; save it as UTF-8 or set 'encoding:' in the text config to the file's encoding`);
    let line = 1;
    for (let k = 0; k < at; k++) if (bytes[k] === 0x0a) line++;
    const hex = bytes[at].toString(16).toUpperCase().padStart(2, '0');
    fail(
      `${path} line ${line}: not valid UTF-8 (byte 0x${hex} at offset ${at}); save the file as UTF-8, or set 'encoding: latin1' (or windows-1252, ...) in the text config if that is what it is`,
    );
  }
}

/**
 * Parse a Kaggle tweets CSV (RFC 4180: quoted fields hold commas and newlines) and check it:
 * valid text in its encoding (see decodeCsvBytes), required columns, at least one data row,
 * integer ids in int32 range and unique, targets 0/1. Any problem is one line naming the file
 * and the data row (1 = first row after the header) with its line number.
 */
export function loadKaggleCsv(path: string, opts: { encoding?: string } = {}): KaggleCsv {
  if (!existsSync(path)) fail(`${path}: file not found; ${HOW_TO_GET}`);
  const text = decodeCsvBytes(path, readFileSync(path), opts.encoding);
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, { bom: true, info: true, relax_column_count: true, skip_empty_lines: true }) as never;
  } catch (e) {
    if (e instanceof CsvError) {
      const line = (e as CsvError & { lines?: number }).lines;
      fail(`${path}${line ? ` line ${line}` : ''}: not valid CSV (${e.message.split('\n')[0]}); re-download it from ${KAGGLE_URL}`);
    }
    throw e;
  }
  if (records.length === 0) fail(`${path}: empty file, no header row; re-download it from ${KAGGLE_URL}`);
  const header = records[0].record.map((h) => h.trim());
  const missing = REQUIRED.filter((c) => !header.includes(c));
  if (missing.length)
    fail(
      `${path}: no '${missing.join("', '")}' column (header is '${header.join(',')}'); expected id,keyword,location,text[,target] as in Kaggle's file (${KAGGLE_URL})`,
    );
  if (records.length === 1) fail(`${path}: no rows (only the header line); re-download it from ${KAGGLE_URL}`);
  const col = (name: string) => header.indexOf(name);
  const [iId, iKw, iLoc, iText, iTarget] = [col('id'), col('keyword'), col('location'), col('text'), col('target')];
  const hasTarget = iTarget >= 0;
  const seen = new Map<number, number>();
  const rows: KaggleRow[] = [];
  for (let r = 1; r < records.length; r++) {
    const { record, info } = records[r];
    // info.lines is where the record ends; a quoted newline makes it start earlier.
    const line = records[r - 1].info.lines + 1;
    const where = `${path} row ${r} (line ${line}${info.lines > line ? `-${info.lines}` : ''})`;
    if (record.length !== header.length)
      fail(`${where}: ${record.length} fields, header has ${header.length}; check quoting or re-download the file`);
    const idStr = record[iId].trim();
    const id = Number(idStr);
    if (!/^-?\d+$/.test(idStr) || id < -(2 ** 31) || id >= 2 ** 31)
      fail(`${where}: id '${idStr}' is not an int32 integer; fix the row or re-download the file`);
    const prev = seen.get(id);
    if (prev !== undefined) fail(`${where}: duplicate id ${id} (first at row ${prev}); ids must be unique`);
    seen.set(id, r);
    let target: 0 | 1 | null = null;
    if (hasTarget) {
      const t = record[iTarget].trim();
      if (t !== '0' && t !== '1') fail(`${where}: target '${t}' is not 0 or 1; fix the row or re-download the file`);
      target = t === '1' ? 1 : 0;
    }
    rows.push({ id, keyword: record[iKw], location: record[iLoc], text: record[iText], target });
  }
  return { path, rows, hasTarget };
}
