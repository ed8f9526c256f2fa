import { fail, log, readConfigFile, validateConfig } from '@tangent/arrow-io';
import type { Command } from 'commander';
import { enumerateRuns, mlpConfigSchema, runId, type MlpConfig, type RunKey } from './config.ts';
import { DivergenceError } from '@tangent/nn';
import { prepareData, runMlpRun, runMlpSubmission, runMlpSummary, type Prepared } from './stage.ts';

const DEFAULT_CONFIG = 'configs/pipeline/mlp.yaml';

/** The YAML config; a missing default file means all defaults. */
export function loadMlpConfig(path?: string): MlpConfig {
  const { file, raw } = readConfigFile(path, DEFAULT_CONFIG);
  return validateConfig(raw, mlpConfigSchema, file);
}

const num = (flag: string, int: boolean) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || (int && !Number.isInteger(n)))
    fail(`${flag} '${v}': expected a positive ${int ? 'whole ' : ''}number`);
  return n;
};

function line(m: {
  cached?: boolean;
  run: string;
  eval_accuracy: number | null;
  delta_theta: number | null;
  kernel_init_error: number | null;
  lr: number;
  seconds: number;
}): string {
  const f = (v: number | null, p = 4) => (v === null ? '-' : v.toPrecision(p));
  return `${m.run}${m.cached ? ' (cached)' : ''}: eval accuracy ${f(m.eval_accuracy)}, ΔΘ ${f(m.delta_theta, 3)}, init error ${f(m.kernel_init_error, 3)}, η ${f(m.lr, 4)}, ${m.seconds}s`;
}

export function register(program: Command): void {
  program
    .command('mlp')
    .description('Stage 5: finite-width two-layer MLPs in NTK parameterisation with empirical-NTK tracking')
    .option('-c, --config <file>', `stage config (YAML); defaults to ${DEFAULT_CONFIG} if present`)
    .option('--width <m>', 'one run: hidden width (with --seed and --lr)', num('--width', true))
    .option('--seed <s>', 'one run: initialisation seed', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) fail(`--seed '${v}': expected a whole number >= 0`);
      return n;
    })
    .option('--lr <c>', 'one run: learning rate in natural units, η = c·n/λ_max(Θ̂_0)', num('--lr', false))
    .option(
      '--cache-key <key>',
      'ignored; the Nx plugin puts a hash of the shared settings here so that each run task is re-keyed only when they change',
    )
    .option(
      '--submit <width>',
      'train on all of train at the best lr for this width and write data/submissions/mlp-w<width>.csv',
      num('--submit', true),
    )
    .option('--summary', 'write data/mlp/summary.json from the finished runs')
    .option('--force', 'retrain even when data/mlp/<run-id>/metrics.json has the same cache key')
    .option(
      '--continue-on-divergence',
      'a diverged run is recorded (data/mlp/<run-id>/diverged.json) and reported as a warning, not an error; the sweep goes on',
    )
    .addHelpText(
      'after',
      '\nWithout --width/--submit/--summary: every run in the config, then the submissions and the summary.\nOutputs: data/mlp/<run-id>/{history.arrow, metrics.json}, data/mlp/summary.json, data/submissions/mlp-w<width>.csv.',
    )
    .action(
      async (o: {
        config?: string;
        width?: number;
        seed?: number;
        lr?: number;
        cacheKey?: string;
        submit?: number;
        summary?: boolean;
        force?: boolean;
        continueOnDivergence?: boolean;
      }) => {
        const c = loadMlpConfig(o.config);
        // In a sweep a diverged run is a finding (recorded, skipped by the summary), not a failure.
        const run = async (k: RunKey, data?: Prepared): Promise<void> => {
          try {
            process.stdout.write(`${line(await runMlpRun(c, k, data, { force: o.force }))}\n`);
          } catch (e) {
            if (!(e instanceof DivergenceError) || !o.continueOnDivergence) throw e;
            process.stderr.write(`warning: ${e.message}\n`);
          }
        };
        const single = [o.width, o.seed, o.lr].filter((v) => v !== undefined).length;
        if (single > 0 && single < 3) fail('--width, --seed and --lr go together (one run), e.g. --width 4096 --seed 0 --lr 1');
        if (single === 3) {
          await run({ width: o.width!, seed: o.seed!, lr: o.lr! });
          return;
        }
        if (o.submit !== undefined) {
          const s = await runMlpSubmission(c, o.submit);
          process.stdout.write(`${s.path}: ${s.rows} rows (width ${o.submit}, lr ${s.lr})\n`);
          return;
        }
        if (!o.summary) {
          const data = prepareData(c);
          const runs: RunKey[] = enumerateRuns(c);
          for (const [i, k] of runs.entries()) {
            log(`[${i + 1}/${runs.length}] ${runId(k)}`);
            await run(k, data);
          }
          if (c.submission.enabled)
            for (const w of [...new Set(c.widths)]) {
              const s = await runMlpSubmission(c, w, data);
              process.stdout.write(`${s.path}: ${s.rows} rows (lr ${s.lr})\n`);
            }
        }
        const { path, summary } = runMlpSummary(c);
        process.stdout.write(
          `${path}: slope ${summary.delta_theta_loglog_slope?.toFixed(3)}; ${summary.widths.map((w) => `m=${w.width} acc ${w.accuracy_mean.toFixed(4)} ΔΘ ${w.delta_theta_mean.toExponential(2)}`).join('; ')}\n`,
        );
      },
    );
}
