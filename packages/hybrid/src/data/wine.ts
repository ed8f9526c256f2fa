/**
 * UCI Wine Quality (Cortez et al. 2009): semicolon-separated CSVs with a quoted header,
 * 11 physico-chemical features and the integer target `quality`. Features are standardised
 * with training-split statistics; the split is seeded.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { paths } from '@tangent/arrow-io';
import { fail } from '@tangent/base';
import { wineQualityFile } from '@tangent/contracts';
import { assembleTabular, type Dataset } from './dataset.ts';

export const WINE_COLUMNS = [
  'fixed acidity', 'volatile acidity', 'citric acid', 'residual sugar', 'chlorides', 'free sulfur dioxide',
  'total sulfur dioxide', 'density', 'pH', 'sulphates', 'alcohol', 'quality',
];

export function winePath(color: 'red' | 'white', dataDir = paths.rawData()): string {
  return wineQualityFile(dataDir, color);
}

/** Parse one UCI wine file into an n × 11 float64 feature matrix and the quality column. */
export function readWineCsv(path: string): { X: Float64Array; y: Float64Array; rows: number } {
  if (!existsSync(path))
    fail(`${path}: file not found; put the UCI Wine Quality CSVs under $TANGENT_DATA_DIR/wine-quality/ (winequality-red.csv, winequality-white.csv)`);
  let records: string[][];
  try {
    records = parse(readFileSync(path, 'utf8'), { delimiter: ';', skip_empty_lines: true, trim: true }) as string[][];
  } catch (e) {
    fail(`${path}: not a valid semicolon-separated CSV (${(e as Error).message.split('\n')[0]})`);
  }
  if (records.length < 2) fail(`${path}: no data rows`);
  const header = records[0];
  if (header.length !== WINE_COLUMNS.length || header.some((h, j) => h !== WINE_COLUMNS[j]))
    fail(`${path}: unexpected header [${header.join('; ')}]; expected the UCI columns [${WINE_COLUMNS.join('; ')}] separated by ';'`);
  const n = records.length - 1;
  const X = new Float64Array(n * 11), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = records[i + 1];
    if (r.length !== 12) fail(`${path}: row ${i + 2} has ${r.length} fields, expected 12`);
    for (let j = 0; j < 12; j++) {
      const v = Number(r[j]);
      if (r[j] === '' || !Number.isFinite(v)) fail(`${path}: row ${i + 2}, column '${WINE_COLUMNS[j]}': '${r[j]}' is not a number`);
      if (j < 11) X[i * 11 + j] = v;
      else y[i] = v;
    }
  }
  return { X, y, rows: n };
}

export function loadWine(opts: { variant: 'red' | 'white' | 'both'; testFraction: number; standardizeTarget: boolean; seed: number; dataDir?: string }): Dataset {
  const colors: Array<'red' | 'white'> = opts.variant === 'both' ? ['red', 'white'] : [opts.variant];
  const files = colors.map((c) => winePath(c, opts.dataDir));
  const parts = files.map(readWineCsv);
  const n = parts.reduce((s, p) => s + p.rows, 0);
  const X = new Float64Array(n * 11), y = new Float64Array(n);
  let off = 0;
  for (const p of parts) {
    X.set(p.X, off * 11);
    y.set(p.y, off);
    off += p.rows;
  }
  return assembleTabular({
    name: `wine-${opts.variant}`, task: 'regression', X, cols: 11, y, featureNames: WINE_COLUMNS.slice(0, 11),
    testFraction: opts.testFraction, seed: opts.seed, standardizeTarget: opts.standardizeTarget, files,
  });
}
