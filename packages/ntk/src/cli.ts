import { fail, readConfigFile, validateConfig } from '@tangent/arrow-io';
import type { Command } from 'commander';
import { ntkConfigSchema, type NtkConfig } from './config.ts';
import { formatSummary, runNtk } from './stage.ts';

const DEFAULT_CONFIG = 'configs/pipeline/ntk.yaml';

/** The YAML config (a missing default file means "all defaults") with command-line overrides, validated. */
export function loadNtkConfig(path: string | undefined, overrides: Partial<NtkConfig> = {}): NtkConfig {
  const { file, raw } = readConfigFile(path, DEFAULT_CONFIG);
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const source = Object.keys(defined).length ? `${file} (with command-line overrides)` : file;
  return validateConfig({ ...raw, ...defined }, ntkConfigSchema, source);
}

const number =
  (flag: string, integer = false) =>
  (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n)))
      fail(`${flag} '${v}': expected ${integer ? 'a whole number' : 'a number'}`);
    return n;
  };

export function register(program: Command): void {
  program
    .command('ntk')
    .description('Stage 4: analytical NTK/NNGP Gram + kernel ridge regression with cross-validated λ')
    .option('-c, --config <file>', `stage config (YAML); defaults to ${DEFAULT_CONFIG} if present`)
    .option('--input <name>', 'read data/pca/<name>/{train,test}.arrow')
    .option('--kernel <kind>', 'ntk or nngp')
    .option('--depth <L>', 'weight layers (2 = one hidden layer)', number('--depth', true))
    .option('--solver <s>', 'auto, eigh or cholesky')
    .option('--seed <n>', 'split/fold seed', number('--seed', true))
    .option(
      '--max-memory-gb <gb>',
      'memory budget for the float64 kernels (default: what the OS reports available)',
      number('--max-memory-gb'),
    )
    .addHelpText(
      'after',
      '\nOutputs: data/ntk/<input>/{cv,predictions}.arrow, metrics.json, data/ntk/split.arrow, data/submissions/ntk-krr.csv.',
    )
    .action(
      async (o: {
        config?: string;
        input?: string;
        kernel?: string;
        depth?: number;
        solver?: string;
        seed?: number;
        maxMemoryGb?: number;
      }) => {
        const config = loadNtkConfig(o.config, {
          input: o.input,
          kernel: o.kernel as NtkConfig['kernel'],
          depth: o.depth,
          solver: o.solver as NtkConfig['solver'],
          seed: o.seed,
          maxMemoryGb: o.maxMemoryGb,
        });
        const result = await runNtk(config);
        process.stdout.write(`${formatSummary(result)}\n`);
      },
    );
}
