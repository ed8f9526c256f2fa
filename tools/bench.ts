/**
 * `npm run bench [-- NAME ...]`: runs every benchmark in packages/<pkg>/bench/*.bench.ts and
 * prints one JSON object per line: {"bench", "seconds" (median wall time), "n", ...extra}.
 * When bench/baseline.jsonl holds an earlier figure for the same name, the line also carries
 * "baseline_seconds" and "speedup" (baseline / now), so a regression shows at a glance.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface Benchmark {
  /** Fixed name, comparable across commits. */
  name: string;
  /** Problem size reported as "n". */
  n: number;
  /** Timed repetitions (median reported); default 3. */
  repeats?: number;
  /** Untimed preparation; its result is passed to run(). */
  setup?: () => Promise<unknown> | unknown;
  /** The timed work; may return extra figures that depend on the measured seconds. */
  run: (state: unknown) => Promise<void> | void;
  /** Extra figures from the median seconds (e.g. gflops, per_second) and setup state. */
  extra?: (seconds: number, state: unknown) => Record<string, unknown>;
  teardown?: (state: unknown) => Promise<void> | void;
}

const root = resolve(import.meta.dirname, '..');
const wanted = new Set(process.argv.slice(2));

function baseline(): Map<string, number> {
  const m = new Map<string, number>();
  const f = join(root, 'bench', 'baseline.jsonl');
  if (!existsSync(f)) return m;
  for (const line of readFileSync(f, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const o = JSON.parse(line) as { bench: string; seconds: number };
    m.set(o.bench, o.seconds);
  }
  return m;
}

async function main() {
  const base = baseline();
  const files: string[] = [];
  for (const pkg of readdirSync(join(root, 'packages'))) {
    const dir = join(root, 'packages', pkg, 'bench');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) if (f.endsWith('.bench.ts')) files.push(join(dir, f));
  }
  let ran = 0;
  for (const file of files.sort()) {
    const mod = (await import(pathToFileURL(file).href)) as { benchmarks: Benchmark[] };
    for (const b of mod.benchmarks) {
      if (wanted.size && !wanted.has(b.name)) continue;
      const state = b.setup ? await b.setup() : undefined;
      const times: number[] = [];
      for (let i = 0; i < (b.repeats ?? 3); i++) {
        const t0 = performance.now();
        await b.run(state);
        times.push((performance.now() - t0) / 1000);
      }
      times.sort((a, c) => a - c);
      const seconds = times[Math.floor(times.length / 2)];
      const line: Record<string, unknown> = { bench: b.name, seconds: +seconds.toFixed(4), n: b.n, ...(b.extra?.(seconds, state) ?? {}) };
      const prev = base.get(b.name);
      if (prev !== undefined) Object.assign(line, { baseline_seconds: prev, speedup: +(prev / seconds).toFixed(3) });
      process.stdout.write(`${JSON.stringify(line)}\n`);
      await b.teardown?.(state);
      ran++;
    }
  }
  if (wanted.size && ran === 0) {
    process.stderr.write(`error: no benchmark named ${[...wanted].join(', ')}\n`);
    process.exit(1);
  }
}

await main();
