import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '@tangent/arrow-io';
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
  for (const p of [join(dataDir, name), join(dataDir, 'nlp-getting-started', name)]) if (existsSync(p)) return p;
  fail(`${join(dataDir, 'nlp-getting-started', name)}: ${name} not found (also looked in ${dataDir}); ${HOW_TO_GET}`);
}

/**
 * Parse a Kaggle tweets CSV (RFC 4180: quoted fields hold commas and newlines) and check it:
 * required columns, integer ids in int32 range and unique, targets 0/1. Any problem is one
 * line naming the file and the data row (1 = first row after the header) with its line number.
 */
export function loadKaggleCsv(path: string): KaggleCsv {
  if (!existsSync(path)) fail(`${path}: file not found; ${HOW_TO_GET}`);
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(readFileSync(path), { bom: true, info: true, relax_column_count: true, skip_empty_lines: true }) as never;
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
