import type { Command } from 'commander';
import { fail } from '@tangent/base';
import { loadExperiment } from './config.ts';
import { hybridStage, runExperiment } from './stage.ts';

/** `tangent experiment --config <file.yaml>`: the hybrid stage, configured by its own experiment file. */
export function register(program: Command): void {
  program
    .command('experiment')
    .description(hybridStage.description)
    .requiredOption('-c, --config <file>', 'experiment config (YAML), e.g. configs/wine_quality.yaml')
    .option('--seeds <list>', 'override the seeds, comma-separated (e.g. 0,1,2)')
    .addHelpText('after', `\nOutputs in $TANGENT_ARTIFACTS_DIR (default data)/hybrid/<experiment>/: ${hybridStage.outputs.join(', ')}.`)
    .action(async (o: { config: string; seeds?: string }) => {
      const cfg = loadExperiment(o.config);
      if (o.seeds) {
        const seeds = o.seeds.split(',').map((s) => Number(s.trim()));
        if (seeds.some((s) => !Number.isInteger(s) || s < 0))
          fail(`--seeds: '${o.seeds}' must be comma-separated non-negative integers, e.g. 0,1,2`);
        cfg.seeds = seeds;
      }
      await runExperiment(cfg);
    });
}
