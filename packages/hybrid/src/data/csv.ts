/**
 * A generic CSV loader for custom datasets: named numeric feature columns, one target column,
 * regression (numeric target) or classification (any values; classes sorted by name).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { paths } from '@tangent/arrow-io';
import { fail } from '@tangent/base';
import { resolveDataPath } from '@tangent/contracts';
import { assembleTabular, type Dataset, type Task } from './dataset.ts';

/** Relative paths resolve against TANGENT_DATA_DIR first, then the working directory. */
export function resolveCsvPath(p: string, dataDir = paths.rawData()): string {
  return resolveDataPath(p, dataDir);
}

export function loadCsv(opts: {
  path: string;
  delimiter: string;
  features: string[] | null;
  target: string;
  task: Task;
  testFraction: number;
  standardizeTarget: boolean;
  seed: number;
  dataDir?: string;
}): Dataset {
  const path = resolveCsvPath(opts.path, opts.dataDir);
  if (!existsSync(path)) fail(`data.path: ${path} not found; give an absolute path or one relative to $TANGENT_DATA_DIR or the working directory`);
  let records: string[][];
  try {
    records = parse(readFileSync(path, 'utf8'), { delimiter: opts.delimiter, skip_empty_lines: true, trim: true, bom: true }) as string[][];
  } catch (e) {
    fail(`${path}: not a valid CSV with delimiter '${opts.delimiter}' (${(e as Error).message.split('\n')[0]}); set data.delimiter`);
  }
  if (records.length < 4) fail(`${path}: needs a header and at least 3 data rows, found ${records.length} lines`);
  const header = records[0];
  const col = (name: string, field: string) => {
    const j = header.indexOf(name);
    if (j < 0) fail(`${field}: column '${name}' not in ${path}; columns are [${header.join(', ')}]`);
    return j;
  };
  const tj = col(opts.target, 'data.target');
  const featureNames = opts.features ?? header.filter((_, j) => j !== tj);
  if (featureNames.includes(opts.target)) fail(`data.features: the target column '${opts.target}' is also listed as a feature; remove it`);
  const fj = featureNames.map((f) => col(f, 'data.features'));
  const n = records.length - 1, d = fj.length;
  const X = new Float64Array(n * d), y = new Float64Array(n);
  const rawTargets: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = records[i + 1];
    if (r.length !== header.length) fail(`${path}: row ${i + 2} has ${r.length} fields, the header has ${header.length}`);
    fj.forEach((j, k) => {
      const v = Number(r[j]);
      if (r[j] === '' || !Number.isFinite(v)) fail(`${path}: row ${i + 2}, feature column '${header[j]}': '${r[j]}' is not a number; drop the column from data.features or clean the file`);
      X[i * d + k] = v;
    });
    rawTargets.push(r[tj]);
  }
  let classNames: string[] | undefined;
  if (opts.task === 'regression') {
    rawTargets.forEach((s, i) => {
      const v = Number(s);
      if (s === '' || !Number.isFinite(v)) fail(`${path}: row ${i + 2}, target column '${opts.target}': '${s}' is not a number; use task: classification for categorical targets`);
      y[i] = v;
    });
  } else {
    const numeric = rawTargets.every((s) => s !== '' && Number.isFinite(Number(s)));
    classNames = [...new Set(rawTargets)].sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
    if (classNames.length < 2) fail(`${path}: target column '${opts.target}' has a single class; classification needs at least 2`);
    const index = new Map(classNames.map((c, k) => [c, k]));
    rawTargets.forEach((s, i) => (y[i] = index.get(s)!));
  }
  return assembleTabular({
    name: `csv:${opts.path}`, task: opts.task, X, cols: d, y, classNames, featureNames, testFraction: opts.testFraction,
    seed: opts.seed, standardizeTarget: opts.standardizeTarget, files: [path],
  });
}
