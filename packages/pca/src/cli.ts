import { fail, readConfigFile, validateConfig } from '@tangent/arrow-io';
import type { Command } from 'commander';
import { pcaConfigSchema, type PcaConfig } from './config.ts';
import { formatSummary, runPca } from './stage.ts';

const DEFAULT_CONFIG = 'configs/pipeline/pca.yaml';

/** The YAML config (a missing default file means "all defaults") with command-line overrides, validated. */
export function loadPcaConfig(path: string | undefined, overrides: Partial<PcaConfig> = {}): PcaConfig {
  const { file, raw } = readConfigFile(path, DEFAULT_CONFIG);
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const source = Object.keys(defined).length ? `${file} (with command-line overrides)` : file;
  return validateConfig({ ...raw, ...defined }, pcaConfigSchema, source);
}

export function register(program: Command): void {
  program
    .command('pca')
    .description('Stage 3: fit PCA on the train embeddings, project train/test to d dims, unit-normalise')
    .option('-c, --config <file>', `stage config (YAML); defaults to ${DEFAULT_CONFIG} if present`)
    .option('--embedder <name>', 'read data/embed/<name>/{train,test}.arrow')
    .option('-d, --dims <d>', 'output dimension', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) fail(`--dims '${v}': expected a whole number >= 1`);
      return n;
    })
    .option('--transductive', 'fit on train + test instead of train only')
    .addHelpText(
      'after',
      '\nOutputs: $TANGENT_ARTIFACTS_DIR (default data)/pca/<embedder>-d<d>/{train,test}.arrow, columns id, split, target, embedding.',
    )
    .action(async (opts: { config?: string; embedder?: string; dims?: number; transductive?: boolean }) => {
      const config = loadPcaConfig(opts.config, { embedder: opts.embedder, d: opts.dims, transductive: opts.transductive });
      const result = await runPca(config);
      process.stdout.write(`${formatSummary(result)}\n`);
    });
}
