import type { Command } from 'commander';
import { loadExperiment } from './config.ts';
import { runExperiment } from './stage.ts';

/** `tangent experiment --config <file.yaml>`: the hybrid SGD → NTK experiment. */
export function register(program: Command): void {
  program
    .command('experiment')
    .description('hybrid SGD → NTK training: SGD until a lazy-regime heuristic fires, then NTK 1/2/3 vs continued SGD')
    .requiredOption('-c, --config <file>', 'experiment config (YAML), e.g. configs/wine_quality.yaml')
    .option('--seeds <list>', 'override the seeds, comma-separated (e.g. 0,1,2)')
    .option('--out <dir>', 'output folder (default data/hybrid/<experiment>)')
    .action(async (o: { config: string; seeds?: string; out?: string }) => {
      const cfg = loadExperiment(o.config);
      if (o.seeds) {
        const seeds = o.seeds.split(',').map((s) => Number(s.trim()));
        if (seeds.some((s) => !Number.isInteger(s) || s < 0)) {
          const { fail } = await import('@tangent/arrow-io');
          fail(`--seeds: '${o.seeds}' must be comma-separated non-negative integers, e.g. 0,1,2`);
        }
        cfg.seeds = seeds;
      }
      await runExperiment(cfg, { outDir: o.out });
    });
}
