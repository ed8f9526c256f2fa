/**
 * `npm run bench [-- NAME ...]`: runs every benchmark in packages/<pkg>/bench/*.bench.ts and
 * prints one JSON object per line: {"bench", "seconds" (median wall time), "n", ...extra}.
 * When bench/baseline.jsonl holds an earlier figure for the same name, the line also carries
 * "baseline_seconds" and "speedup" (baseline / now), so a regression shows at a glance.
 * A benchmark with a `peer` (numpy, PyTorch) runs the peer's script right after its own timing,
 * on the same machine with the same thread count, and the line carries "peer", "peer_seconds"
 * and "ratio" (tangent / peer: < 1 is faster than the peer), or "peer_error" when the peer is
 * unavailable. Figures from another run are never compared. TANGENT_BENCH_ROUNDS=k repeats
 * (tangent, peer) k times, alternating, and reports the medians and the median of the k ratios.
 * Python: $TANGENT_PEER_PYTHON, else /usr/bin/python3 (Debian's numpy and torch use the system
 * OpenBLAS, the one tangent loads).
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
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
  /** The same computation in another library: a script printing JSON lines, the last with "seconds" (median). */
  peer?: { name: string; script: string; args: string[] };
}

function peerPython(): string {
  return process.env.TANGENT_PEER_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
}

/** Run a peer script now; its median seconds and what it reported, or the reason it could not run. */
export function runPeer(peer: NonNullable<Benchmark['peer']>): Record<string, unknown> {
  const threads = String(Number(process.env.TANGENT_THREADS) || availableParallelism());
  const r = spawnSync(peerPython(), [join(root, peer.script), ...peer.args], {
    encoding: 'utf8',
    timeout: 1800_000,
    env: { ...process.env, OPENBLAS_NUM_THREADS: threads, OMP_NUM_THREADS: threads, PEER_THREADS: threads },
  });
  const lines = (r.stdout ?? '').split('\n').filter((l) => l.trim().startsWith('{'));
  if (r.status !== 0 || !lines.length) {
    const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-1)[0];
    return { peer: peer.name, peer_error: why };
  }
  const o = JSON.parse(lines[lines.length - 1]) as { seconds: number } & Record<string, unknown>;
  const { seconds, ...rest } = o;
  return { peer: peer.name, peer_seconds: seconds, ...Object.fromEntries(Object.entries(rest).map(([k, v]) => [`peer_${k}`, v])) };
}

const root = resolve(import.meta.dirname, '..');
/** TANGENT_BENCH_ROUNDS=k: k alternating rounds of (tangent, peer); medians and the median ratio are reported. */
const benchRounds = Math.max(1, Number(process.env.TANGENT_BENCH_ROUNDS) || 1);

function median(xs: number[]): number {
  const s = [...xs].sort((a, c) => a - c);
  return s[Math.floor(s.length / 2)];
}
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
      const withPeer = !!b.peer && process.env.TANGENT_BENCH_PEERS !== '0';
      // Rounds alternate tangent's timing and the peer's, so that a drift in the machine's speed
      // (a shared VM's neighbours) lands on both sides of a ratio instead of on one.
      const rounds: { seconds: number; peer?: Record<string, unknown> }[] = [];
      for (let r = 0; r < benchRounds; r++) {
        const times: number[] = [];
        for (let i = 0; i < (b.repeats ?? 3); i++) {
          const t0 = performance.now();
          await b.run(state);
          times.push((performance.now() - t0) / 1000);
        }
        rounds.push({ seconds: median(times), peer: withPeer ? runPeer(b.peer!) : undefined });
      }
      const seconds = median(rounds.map((r) => r.seconds));
      const line: Record<string, unknown> = { bench: b.name, seconds: +seconds.toFixed(4), n: b.n, ...(b.extra?.(seconds, state) ?? {}) };
      if (withPeer) {
        const ok = rounds.filter((r) => typeof r.peer!.peer_seconds === 'number');
        if (ok.length < rounds.length) Object.assign(line, rounds.find((r) => !ok.includes(r))!.peer);
        else {
          const peerSeconds = ok.map((r) => r.peer!.peer_seconds as number);
          const ratios = ok.map((r, i) => r.seconds / peerSeconds[i]);
          const mid = ok[peerSeconds.indexOf(median(peerSeconds))]; // the median round's peer figures
          Object.assign(line, mid.peer, { ratio: +median(ratios).toFixed(3) });
          if (ok.length > 1) Object.assign(line, { rounds: ok.length, ratios: ratios.map((x) => +x.toFixed(3)) });
        }
      }
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
