import { fail, readArtifact, readConfigFile, validateConfig } from '@tangent/arrow-io';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { textConfigSchema, type TextConfig } from './config.ts';
import { textSchema } from './schema.ts';
import { formatSummary, runText } from './stage.ts';

const DEFAULT_CONFIG = 'configs/pipeline/text.yaml';

/** Apply "a.b=value" overrides (value parsed as YAML: true, 3, text) onto a raw config object. */
export function applyOverrides(raw: Record<string, unknown>, sets: string[]): Record<string, unknown> {
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) fail(`--set '${s}': expected key=value, e.g. --set clean.lowercase=true`);
    const keys = s.slice(0, eq).split('.');
    let node = raw;
    for (const k of keys.slice(0, -1)) {
      const next = node[k];
      if (next !== undefined && (typeof next !== 'object' || next === null)) fail(`--set '${s}': '${k}' is not a section`);
      node = (node[k] ??= {}) as Record<string, unknown>;
    }
    node[keys[keys.length - 1]] = parseYaml(s.slice(eq + 1));
  }
  return raw;
}

/** Read the YAML config (a missing default file means "all defaults"), apply overrides, validate. */
export function loadTextConfig(path: string | undefined, sets: string[] = []): TextConfig {
  const { file, raw } = readConfigFile(path, DEFAULT_CONFIG);
  const merged = applyOverrides(raw, sets);
  return validateConfig(merged, textConfigSchema, sets.length ? `${file} (with --set)` : file);
}

export function register(program: Command): void {
  program
    .command('text')
    .description('Stage 1: load Kaggle train.csv/test.csv, clean the tweets, write data/text/{train,test}.arrow')
    .option('-c, --config <file>', `stage config (YAML); defaults to ${DEFAULT_CONFIG} if present`)
    .option('--data-dir <dir>', 'folder with train.csv/test.csv or nlp-getting-started/ (default: $TANGENT_DATA_DIR or data/raw)')
    .option(
      '--set <key=value>',
      'override a config field, e.g. --set clean.lowercase=true (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--examples <n>', 'also print n rows whose text the cleaning changed (raw -> clean)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) fail(`--examples '${v}': expected a whole number >= 0`);
      return n;
    })
    .addHelpText(
      'after',
      `\nOutputs: $TANGENT_ARTIFACTS_DIR (default data)/text/{train,test}.arrow, columns id, split, target, keyword, location, raw_text, text.`,
    )
    .action(async (opts: { config?: string; dataDir?: string; set: string[]; examples?: number }) => {
      const config = loadTextConfig(opts.config, opts.set);
      const result = await runText(config, { dataDir: opts.dataDir });
      process.stdout.write(`${formatSummary(result)}\n`);
      if (opts.examples) process.stdout.write(formatExamples(result.outputs.train, opts.examples));
    });
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
