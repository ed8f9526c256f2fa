import type { Command } from 'commander';
import { loadAnalysisConfig } from './config.ts';
import { runAnalysis } from './stage.ts';

export function register(program: Command): void {
  program
    .command('analysis')
    .description('compare kernel regression with the finite-width MLPs: figures, HTML report, submission checks')
    .option('-c, --config <file>', 'stage config', 'configs/pipeline/analysis.yaml')
    .action(async (opts: { config: string }) => {
      const r = await runAnalysis(loadAnalysisConfig(opts.config));
      for (const c of r.analysis.checks)
        process.stdout.write(`${c.holds === null ? 'n/a' : c.holds ? 'yes' : 'NO '}  ${c.claim}: ${c.measured}\n`);
      process.stdout.write(`report: ${r.outputs.report}\n`);
    });
}
