import { fail, readConfigFile, validateConfig } from '@tangent/arrow-io';
import type { Command } from 'commander';
import { largeScaleKrrConfigSchema, type LargeScaleKrrConfig } from './large-scale-config.ts';
import { formatLargeScaleSummary, runLargeScaleKrr } from './large-scale.ts';

const DEFAULT_CONFIG = 'configs/krr-fashion-mnist.yaml';

const number =
  (flag: string, integer = false) =>
  (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n)))
      fail(`${flag} '${v}': expected ${integer ? 'a whole number' : 'a number'}`);
    return n;
  };

/** The YAML config with command-line overrides, validated. */
export function loadLargeScaleKrrConfig(
  path: string | undefined,
  o: { solver?: string; centres?: number; trainSubset?: number; maxMemoryGb?: number; out?: string } = {},
): LargeScaleKrrConfig {
  const { file, raw } = readConfigFile(path, DEFAULT_CONFIG);
  const merged: Record<string, unknown> = { ...raw };
  if (o.solver !== undefined) merged.solver = o.solver;
  if (o.centres !== undefined) merged.centres = [o.centres];
  if (o.maxMemoryGb !== undefined) merged.maxMemoryGb = o.maxMemoryGb;
  if (o.trainSubset !== undefined) merged.data = { ...((raw.data as object) ?? {}), trainSubset: o.trainSubset };
  const overridden = Object.values(o).some((v) => v !== undefined);
  return validateConfig(merged, largeScaleKrrConfigSchema, overridden ? `${file} (with command-line overrides)` : file);
}

export function register(program: Command): void {
  program
    .command('krr')
    .description('Kernel ridge regression past the N×N wall: exact where it fits, Falkon (Nyström + preconditioned CG) otherwise')
    .option('-c, --config <file>', `config (YAML); defaults to ${DEFAULT_CONFIG}`)
    .option('--solver <s>', 'auto, exact or falkon')
    .option('--centres <M>', 'one number of Nyström centres (replaces the list)', number('--centres', true))
    .option('--train-subset <n>', 'first n training rows', number('--train-subset', true))
    .option('--max-memory-gb <gb>', 'memory budget (default: from this machine)', number('--max-memory-gb'))
    .addHelpText(
      'after',
      '\nOutputs: data/krr/<name>/{predictions,validation}.arrow and metrics.json (test accuracy, wall time, peak RSS).',
    )
    .action(async (o: { config?: string; solver?: string; centres?: number; trainSubset?: number; maxMemoryGb?: number }) => {
      const cfg = loadLargeScaleKrrConfig(o.config, o);
      const r = await runLargeScaleKrr(cfg);
      console.log(formatLargeScaleSummary(r));
    });
}
