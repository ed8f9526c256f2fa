import { relative } from 'node:path';
import type { Table } from 'apache-arrow';
import { buildTable, paths, readArtifact, validateConfig } from '@tangent/arrow-io';
import { fail, progress } from '@tangent/base';
import {
  defineStage,
  BINARY_CLASSES,
  pipelineInstances,
  publishOutputs,
  readLabelledCsv,
  resolveManifest,
  SPLITS,
  textSchema,
  type Split,
  type StageDefinition,
  type StageOutput,
  textNode,
} from '@tangent/contracts';
import { cleanLocation, cleanTweet, urlDecodeKeyword } from './clean.ts';
import { textConfigSchema, type TextConfig, type TextCsvDataset } from './config.ts';
import { findKaggleFile, KAGGLE_URL, loadKaggleCsv, type KaggleCsv } from './csv.ts';
import { duplicateStats, type DuplicateStats } from './duplicates.ts';

export const STAGE_VERSION = '1';

/** The figures a split's artifact carries in `extra` and the CLI prints. */
export interface SplitSummary {
  split: Split;
  source: string;
  rows: number;
  /** Rows per class, by class name ('0'/'1' for the tweets); null for an unlabelled test split (the tweets'). */
  targets: Record<string, number> | null;
  /** Rows whose raw text has chars U+0080..U+00FF, i.e. were touched by the mojibake repair. */
  mojibakeRows: number;
  emptyAfterCleaning: number;
  /** Duplicates and label conflicts of the cleaned text, and of the raw text for comparison. */
  duplicates: DuplicateStats;
  rawDuplicates: DuplicateStats;
  /** Test rows whose cleaned text also occurs in train (0 for train itself). */
  textInTrain: number;
}

interface CleanedSplit {
  csv: KaggleCsv;
  keyword: string[];
  location: string[];
  text: string[];
}

/** Each text cleaned by `each` (tweets: text, keyword and location of a row), with a progress bar. */
function withProgress(n: number, split: Split, each: (i: number) => void): void {
  const bar = progress(`text: cleaning ${split}`, n, 'rows');
  for (let i = 0; i < n; i++) {
    each(i);
    if (i % 1000 === 999) bar.tick(1000);
  }
  bar.tick(n % 1000);
  bar.stop();
}

function cleanSplit(csv: KaggleCsv, config: TextConfig, split: Split): CleanedSplit {
  const n = csv.rows.length;
  const keyword = new Array<string>(n);
  const location = new Array<string>(n);
  const text = new Array<string>(n);
  withProgress(n, split, (i) => {
    const r = csv.rows[i];
    text[i] = cleanTweet(r.text, config.clean);
    keyword[i] = config.keyword.urlDecode ? urlDecodeKeyword(r.keyword) : r.keyword;
    location[i] = config.location.clean ? cleanLocation(r.location, config.clean) : r.location;
  });
  return { csv, keyword, location, text };
}

/** What a split's summary is computed from, whichever file it came from. */
interface SummaryInput {
  path: string;
  raw: readonly string[];
  text: readonly string[];
  /** Class index per row, null where unlabelled. */
  targets: ReadonlyArray<number | null>;
  /** The split has a label column (false only for the tweets' test.csv). */
  labelled: boolean;
  classes: readonly string[];
}

function classCounts(targets: ReadonlyArray<number | null>, classes: readonly string[]): Record<string, number> {
  const counts = Object.fromEntries(classes.map((c) => [c, 0]));
  for (const y of targets) if (y !== null && y >= 0 && y < classes.length) counts[classes[y]]++;
  return counts;
}

function summarise(split: Split, c: SummaryInput, trainTexts: Set<string> | null): SplitSummary {
  return {
    split,
    source: relative(process.cwd(), c.path) || c.path,
    rows: c.raw.length,
    targets: c.labelled ? classCounts(c.targets, c.classes) : null,
    mojibakeRows: c.raw.filter((t) => /[\u0080-\u00ff]/.test(t)).length,
    emptyAfterCleaning: c.text.filter((t) => t === '').length,
    duplicates: duplicateStats(c.text, c.targets),
    rawDuplicates: duplicateStats(c.raw, c.targets),
    textInTrain: trainTexts ? c.text.filter((t) => trainTexts.has(t)).length : 0,
  };
}

const tweetSummaryInput = (c: CleanedSplit): SummaryInput => ({
  path: c.csv.path,
  raw: c.csv.rows.map((r) => r.text),
  text: c.text,
  targets: c.csv.rows.map((r) => r.target),
  labelled: c.csv.hasTarget,
  classes: BINARY_CLASSES,
});

export interface TextOutputs {
  tables: Record<Split, Table>;
  summaries: Record<Split, SplitSummary>;
  /** The file each split was read from (the same one for a stratified split). */
  files: Record<Split, string>;
  /** Provenance `extra` beyond the summary: a text-csv dataset's name and classes; none for the tweets. */
  extra?: Record<string, unknown>;
  /** The seed of a stratified test split; null when the files give the splits. */
  seed?: number | null;
}

/**
 * Kaggle train.csv/test.csv from `dataDir` (default `paths.rawData()`) → cleaned tables. Both CSVs
 * are loaded, validated and cleaned before anything is written.
 */
export function cleanKaggle(cfg: TextConfig, dataDir = paths.rawData()): TextOutputs {
  const files = { train: findKaggleFile(dataDir, 'train.csv'), test: findKaggleFile(dataDir, 'test.csv') };
  const cleaned = {} as Record<Split, CleanedSplit>;
  for (const split of SPLITS) {
    const csv = loadKaggleCsv(files[split], { encoding: cfg.encoding });
    if (split === 'train' && !csv.hasTarget)
      fail(`${csv.path}: no 'target' column; train.csv needs id,keyword,location,text,target as in Kaggle's file (${KAGGLE_URL})`);
    if (split === 'train') {
      const ones = csv.rows.filter((r) => r.target === 1).length;
      if (ones === 0 || ones === csv.rows.length)
        fail(
          `${csv.path}: every one of its ${csv.rows.length} rows has target ${ones ? 1 : 0}; a training set needs both classes — use Kaggle's full train.csv (${KAGGLE_URL})`,
        );
    }
    cleaned[split] = cleanSplit(csv, cfg, split);
  }
  const trainTexts = new Set(cleaned.train.text);
  const summaries = {
    train: summarise('train', tweetSummaryInput(cleaned.train), null),
    test: summarise('test', tweetSummaryInput(cleaned.test), trainTexts),
  };
  const tables = {} as Record<Split, Table>;
  for (const split of SPLITS) {
    const c = cleaned[split];
    const n = c.csv.rows.length;
    tables[split] = buildTable(textSchema, {
      id: Int32Array.from(c.csv.rows, (r) => r.id),
      split: new Array<string>(n).fill(split),
      target: c.csv.rows.map((r) => r.target),
      keyword: c.keyword,
      location: c.location,
      raw_text: c.csv.rows.map((r) => r.text),
      text: c.text,
    });
  }
  return { tables, summaries, files };
}

/**
 * A text-csv dataset (`datasets.<name>`, see contracts' dataset-csv.ts) → cleaned tables in the
 * tweets' schema: target = class index in both splits (the test split is labelled), keyword and
 * location '', text cleaned with the same `clean` options as the tweets.
 */
export function cleanDataset(cfg: TextConfig, ds: TextCsvDataset, dataDir = paths.rawData()): TextOutputs {
  const csv = readLabelledCsv(ds, dataDir, `datasets.${ds.name}`, { encoding: cfg.encoding });
  const inputs = {} as Record<Split, SummaryInput>;
  for (const split of SPLITS) {
    const raw = csv[split].rows.map((r) => r[0]);
    const text = new Array<string>(raw.length);
    withProgress(raw.length, split, (i) => (text[i] = cleanTweet(raw[i], cfg.clean)));
    inputs[split] = { path: csv[split].file, raw, text, targets: Array.from(csv[split].labels), labelled: true, classes: csv.classes };
  }
  const summaries = {
    train: summarise('train', inputs.train, null),
    test: summarise('test', inputs.test, new Set(inputs.train.text)),
  };
  const tables = {} as Record<Split, Table>;
  for (const split of SPLITS) {
    const n = inputs[split].raw.length;
    tables[split] = buildTable(textSchema, {
      id: csv[split].ids,
      split: new Array<string>(n).fill(split),
      target: inputs[split].targets,
      keyword: new Array<string>(n).fill(''),
      location: new Array<string>(n).fill(''),
      raw_text: inputs[split].raw,
      text: inputs[split].text,
    });
  }
  const files = { train: csv.train.file, test: csv.test.file };
  return { tables, summaries, files, extra: { dataset: ds.name, classes: csv.classes }, seed: ds.test ? null : ds.seed };
}

/** Stage 1: Kaggle CSVs (or a text-csv dataset) → data/text[/<dataset>]/{train,test}.arrow (both splits in one commit). */
export const textStage = defineStage(textNode, {
  version: STAGE_VERSION,
  configSchema: textConfigSchema,
  async run(ctx) {
    const { output, files } = textOutputs(ctx.config, paths.rawData(), ctx.outDir);
    for (const f of files) ctx.track(f);
    return output;
  },
});

function textOutputs(
  cfg: TextConfig,
  dataDir: string,
  outDir: string,
): { output: StageOutput; files: string[]; summaries: Record<Split, SplitSummary> } {
  const r = cfg.dataset ? cleanDataset(cfg, cfg.dataset, dataDir) : cleanKaggle(cfg, dataDir);
  return {
    output: {
      files: SPLITS.map((split) => ({
        name: `${split}.arrow`,
        schema: textSchema,
        table: r.tables[split],
        dtype: 'utf8',
        seed: r.seed ?? null,
        extra: { ...r.summaries[split], ...r.extra },
      })),
      summary: formatSummary(r.summaries, outDir),
    },
    // One entry per file read: a stratified split reads one file for both splits.
    files: [...new Set(SPLITS.map((s) => r.files[s]))],
    summaries: r.summaries,
  };
}

export interface TextResult {
  outputs: Record<Split, string>;
  summaries: Record<Split, SplitSummary>;
  summary: string;
}

/**
 * The text stage on its own (a notebook, a test, another project): `config` as the manifest's
 * text section, the CSVs from `dataDir` (default $TANGENT_DATA_DIR); publishes data/text/ in one
 * commit, exactly as `tangent text` does.
 */
export async function runText(config: Partial<TextConfig> = {}, opts: { dataDir?: string } = {}): Promise<TextResult> {
  const m = resolveManifest({ text: config as Record<string, unknown> });
  const dataDir = opts.dataDir ?? paths.rawData();
  const inst = pipelineInstances(m, { dataDir }).find((i) => i.stage === 'text')!;
  const cfg = validateConfig(inst.config, textConfigSchema, 'text config');
  const outDir = paths.artifacts(inst.dir);
  const r = textOutputs(cfg, dataDir, outDir);
  await publishOutputs(textStage as StageDefinition<unknown>, m, inst, r.output, r.files, cfg);
  return { outputs: { train: `${outDir}/train.arrow`, test: `${outDir}/test.arrow` }, summaries: r.summaries, summary: r.output.summary! };
}

/** A few lines for stdout: counts per split and where the files went. */
export function formatSummary(summaries: Record<Split, SplitSummary>, outDir: string): string {
  return SPLITS.map((split) => {
    const s = summaries[split];
    const parts = [`${s.rows} rows`];
    if (s.targets)
      parts.push(
        `targets ${Object.entries(s.targets)
          .map(([c, n]) => `${c}=${n}`)
          .join(' ')}`,
      );
    parts.push(`${s.mojibakeRows} with mojibake repaired`);
    parts.push(`${s.emptyAfterCleaning} empty after cleaning`);
    parts.push(`${s.duplicates.duplicates} duplicate texts (${s.rawDuplicates.duplicates} raw)`);
    if (s.targets)
      parts.push(
        `${s.duplicates.conflictingGroups} texts with conflicting labels (${s.duplicates.conflictingRows} rows; raw ${s.rawDuplicates.conflictingGroups}/${s.rawDuplicates.conflictingRows})`,
      );
    if (split === 'test') parts.push(`${s.textInTrain} texts also in train`);
    const out = `${outDir}/${split}.arrow`;
    return `text ${split}: ${parts.join(', ')} -> ${relative(process.cwd(), out) || out}`;
  }).join('\n');
}

/** The first `n` training rows whose cleaning changed more than whitespace, as "raw -> clean" lines. */
export function formatExamples(path: string, n: number): string {
  const { table } = readArtifact(path, textSchema);
  const raw = table.getChild('raw_text')!;
  const clean = table.getChild('text')!;
  const lines: string[] = [];
  for (let i = 0; i < table.numRows && lines.length < n; i++) {
    const r = raw.get(i) as string;
    const c = clean.get(i) as string;
    if (r.replace(/\s+/g, ' ').trim() !== c) lines.push(`  ${JSON.stringify(r)}\n    -> ${JSON.stringify(c)}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
