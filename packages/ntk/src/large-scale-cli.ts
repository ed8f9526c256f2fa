import { readConfigFile, validateConfig } from '@tangent/arrow-io';
import { applySets, pipelineInstances, readManifestFile, resolveManifest } from '@tangent/contracts';
import { fail } from '@tangent/base';
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

interface KrrFlags {
  config?: string;
  solver?: string;
  centres?: number;
  trainSubset?: number;
  maxMemoryGb?: number;
  manifest: string;
  profile: string;
  set: string[];
}

/**
 * `tangent krr`: the manifest's runs (krr.runs, one instance each, like any stage), or with
 * `--config <file>` (and its overrides) that file's run against the profile's inputs; with
 * neither, ${DEFAULT_CONFIG}.
 */
export const krrCli = {
  configure(cmd: Command): void {
    cmd
      .option('-c, --config <file>', `a run's config (YAML) instead of the manifest's krr.runs; with no runs listed, ${DEFAULT_CONFIG}`)
      .option('--solver <s>', 'auto, exact or falkon')
      .option('--centres <M>', 'one number of Nyström centres (replaces the list)', number('--centres', true))
      .option('--train-subset <n>', 'first n training rows', number('--train-subset', true))
      .option('--max-memory-gb <gb>', 'memory budget (default: from this machine)', number('--max-memory-gb'))
      .addHelpText(
        'after',
        '\nEach run: data/krr/<name>/{predictions,validation}.arrow and metrics.json (test accuracy, wall time, peak RSS).',
      );
  },
  async run(o: KrrFlags): Promise<boolean> {
    const own = o.config !== undefined || [o.solver, o.centres, o.trainSubset, o.maxMemoryGb].some((v) => v !== undefined);
    const m = resolveManifest(applySets(readManifestFile(o.manifest), o.set), o.profile, o.manifest);
    if (!own && pipelineInstances(m).some((i) => i.stage === 'krr')) return false; // the manifest's runs
    const cfg = loadLargeScaleKrrConfig(o.config, o);
    console.log(formatLargeScaleSummary(await runLargeScaleKrr(cfg, { manifest: m })));
    return true;
  },
};
