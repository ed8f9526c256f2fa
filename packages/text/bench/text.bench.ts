import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paths } from '@tangent/arrow-io';
import type { Benchmark } from '../../../tools/bench.ts';
import { cleanTweet } from '../src/clean.ts';
import { textConfigSchema } from '../src/config.ts';
import { findKaggleFile, loadKaggleCsv } from '../src/csv.ts';
import { runText } from '../src/stage.ts';

const trainCsv = () => findKaggleFile(paths.rawData(), 'train.csv');

export const benchmarks: Benchmark[] = [
  {
    name: 'text-load-csv',
    n: 7613,
    run: () => {
      loadKaggleCsv(trainCsv());
    },
    extra: (s) => ({ rows_per_second: Math.round(7613 / s) }),
  },
  {
    name: 'text-clean-tweets',
    n: 7613,
    setup: () => loadKaggleCsv(trainCsv()).rows.map((r) => r.text),
    run: (texts) => {
      for (const t of texts as string[]) cleanTweet(t);
    },
    extra: (s) => ({ rows_per_second: Math.round(7613 / s) }),
  },
  {
    name: 'text-stage',
    n: 7613 + 3263,
    setup: () => {
      const dir = mkdtempSync(join(tmpdir(), 'text-bench-'));
      process.env.TANGENT_ARTIFACTS_DIR = dir;
      return dir;
    },
    run: async () => {
      await runText(textConfigSchema.parse({}));
    },
    teardown: (dir) => {
      delete process.env.TANGENT_ARTIFACTS_DIR;
      rmSync(dir as string, { recursive: true, force: true });
    },
    extra: (s) => ({ rows_per_second: Math.round((7613 + 3263) / s) }),
  },
];
