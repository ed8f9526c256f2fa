/**
 * Falkon past what fits (issue 26): N = 60 000 · r training rows from Fashion-MNIST and r − 1
 * seeded augmented copies of it (each image shifted by up to 2 pixels in x and y, not both zero,
 * and mirrored left–right with probability ½; labels kept), K_nM in the given mode under a memory
 * budget, one λ and one M (no validation search: the cost of one solve is what scales), scored
 * on the 10 000 real test images. Each N runs in a child process of its own, so that its peak
 * RSS is its own. Prints one JSON line per N, then the table (N, seconds, GB, accuracy).
 *
 *   npx tsx packages/ntk/bench/falkon-scaling.ts [--n 60000,120000,240000] [--mode streamed|gram|stored]
 *     [--centres 2000] [--lambda 0.003] [--budget-gb 4] [--block-rows 2048] [--max-iter 40] [--tol 1e-6]
 *
 * Streamed, the cost of an iteration is one pass that recomputes K_nM (n·M·d flops of GEMM and n·M
 * kernel maps) and multiplies by it twice: O(n·M), so seconds per iteration should double with N.
 */
import { spawnSync } from 'node:child_process';
import { fail } from '@tangent/base';
import { mat64, rng, type Mat64 } from '@tangent/linalg';
import { fitLargeScaleKrr, scoreAccuracy } from '@tangent/kernels';
import { krrTargets, largeScaleKrrConfigSchema, loadFashionMnistKrr } from '../src/large-scale.ts';

interface Args {
  n: number[];
  mode: 'streamed' | 'gram' | 'stored';
  centres: number;
  lambda: number;
  budgetGb: number;
  blockRows: number;
  maxIter: number;
  tol: number;
  one: number | null;
}

function parse(argv: string[]): Args {
  const a: Args = {
    n: [60000, 120000, 240000],
    mode: 'streamed',
    centres: 2000,
    lambda: 0.003,
    budgetGb: 4,
    blockRows: 2048,
    maxIter: 40,
    tol: 1e-6,
    one: null,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (v === undefined) fail(`falkon-scaling: ${k} needs a value`);
    const num = () => {
      const x = Number(v);
      if (!Number.isFinite(x) || x <= 0) fail(`falkon-scaling: ${k} '${v}' should be a positive number`);
      return x;
    };
    if (k === '--n') a.n = v.split(',').map((s) => Number(s));
    else if (k === '--mode') {
      if (v !== 'streamed' && v !== 'gram' && v !== 'stored') fail(`falkon-scaling: --mode '${v}': streamed, gram or stored`);
      a.mode = v;
    } else if (k === '--centres') a.centres = num();
    else if (k === '--lambda') a.lambda = num();
    else if (k === '--budget-gb') a.budgetGb = num();
    else if (k === '--block-rows') a.blockRows = num();
    else if (k === '--max-iter') a.maxIter = num();
    else if (k === '--tol') a.tol = num();
    else if (k === '--one') a.one = num();
    else fail(`falkon-scaling: unknown option ${k}`);
  }
  if (a.n.some((n) => !Number.isInteger(n) || n < 1000)) fail(`falkon-scaling: --n wants whole numbers ≥ 1000, got ${a.n.join(',')}`);
  return a;
}

/** Image i shifted by (dx, dy) (zeros shifted in) and mirrored left–right when `flip`. */
function transform(src: Float64Array, dst: Float64Array, dx: number, dy: number, flip: boolean): void {
  for (let y = 0; y < 28; y++)
    for (let x = 0; x < 28; x++) {
      const sx = (flip ? 27 - x : x) - dx,
        sy = y - dy;
      dst[y * 28 + x] = sx >= 0 && sx < 28 && sy >= 0 && sy < 28 ? src[sy * 28 + sx] : 0;
    }
}

/** The first n rows of [X; copy 1; copy 2; …], copy c drawn from rng(c). */
function augment(X: Mat64, labels: Int32Array, n: number): { X: Mat64; labels: Int32Array } {
  const d = X.cols;
  if (d !== 784) fail(`falkon-scaling: expected 28×28 images, got ${d} features`);
  const out = mat64(n, d);
  const lab = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / X.rows),
      j = i % X.rows;
    lab[i] = labels[j];
    const src = X.data.subarray(j * d, (j + 1) * d),
      dst = out.data.subarray(i * d, (i + 1) * d);
    if (c === 0) {
      dst.set(src);
      continue;
    }
    if (j === 0) augment.r = rng(c);
    const r = augment.r!;
    let dx = 0,
      dy = 0;
    while (dx === 0 && dy === 0) [dx, dy] = [r.int(5) - 2, r.int(5) - 2];
    transform(src, dst, dx, dy, r.uniform() < 0.5);
  }
  return { X: out, labels: lab };
}
augment.r = null as ReturnType<typeof rng> | null;

async function one(a: Args, n: number) {
  const data = loadFashionMnistKrr(largeScaleKrrConfigSchema.parse({ name: 'scaling' }).data); // the defaults: all of Fashion-MNIST
  const { X, labels } = augment(data.xTrain, data.labelsTrain, n);
  data.xTrain = mat64(0, 784); // the augmented set replaces it
  const cpu = () => (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
  const [t0, c0] = [performance.now(), cpu()];
  const r = await fitLargeScaleKrr(X, krrTargets(labels, 10), labels, {
    depth: 2,
    solver: 'falkon',
    lambdas: [a.lambda],
    centres: [a.centres],
    validationFraction: 0,
    seed: 0,
    tol: a.tol,
    maxIter: a.maxIter,
    maxMemoryGb: a.budgetGb,
    crossKernel: a.mode,
    blockRows: a.blockRows,
  });
  const [t1, c1] = [performance.now(), cpu()];
  const F = await r.predict(data.xTest);
  const t2 = performance.now();
  const it = r.iterations ?? 0;
  // Streamed, the refit's time is the right-hand side's pass plus one pass per iteration.
  const passes = a.mode === 'streamed' ? it + 1 : it;
  return {
    n,
    mode: r.plan.crossKernel,
    centres: a.centres,
    lambda: a.lambda,
    budget_gb: a.budgetGb,
    planned_gb: +(r.plan.bytes / 1024 ** 3).toFixed(2),
    seconds: +((t2 - t0) / 1000).toFixed(1),
    fit_seconds: +((t1 - t0) / 1000).toFixed(1),
    knm_seconds: +r.timings!.crossKernel.toFixed(1),
    cg_iterations: it,
    seconds_per_iteration: +(r.timings!.refit / Math.max(1, passes)).toFixed(2),
    // CPU seconds (all threads) of the fit: what a shared machine's load stretches least. Streamed,
    // nearly all of it is the passes, so per pass it is the cost of one iteration.
    fit_cpu_seconds: +(c1 - c0).toFixed(1),
    cpu_seconds_per_iteration: a.mode === 'streamed' ? +((c1 - c0) / Math.max(1, passes)).toFixed(2) : null,
    peak_rss_gb: +(process.resourceUsage().maxRSS / 1024 ** 2).toFixed(2),
    accuracy: +scoreAccuracy(F, data.labelsTest).toFixed(4),
    load_average: +(await import('node:os')).loadavg()[0].toFixed(2),
  };
}

async function main() {
  const a = parse(process.argv.slice(2));
  if (a.one !== null) {
    process.stdout.write(`${JSON.stringify(await one(a, a.one))}\n`);
    return;
  }
  const rows: Array<Record<string, unknown>> = [];
  for (const n of a.n) {
    const args = process.argv.slice(2).filter((_, i, all) => all[i - (i % 2)] !== '--n');
    const r = spawnSync(process.execPath, [...process.execArgv, import.meta.filename, ...args, '--one', String(n)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('{'));
    if (r.status !== 0 || !line) fail(`falkon-scaling: the run at N = ${n} failed (exit ${r.status})`);
    process.stdout.write(`${line}\n`);
    rows.push(JSON.parse(line) as Record<string, unknown>);
  }
  const cols: Array<[string, string]> = [
    ['N', 'n'],
    ['mode', 'mode'],
    ['seconds', 'seconds'],
    ['fit CPU s', 'fit_cpu_seconds'],
    ['K_nM / Gram pass s', 'knm_seconds'],
    ['s / iteration', 'seconds_per_iteration'],
    ['CPU s / iteration', 'cpu_seconds_per_iteration'],
    ['CG iterations', 'cg_iterations'],
    ['peak RSS GB', 'peak_rss_gb'],
    ['planned GB', 'planned_gb'],
    ['accuracy', 'accuracy'],
    ['load', 'load_average'],
  ];
  process.stdout.write(`\n| ${cols.map((c) => c[0]).join(' | ')} |\n|${cols.map(() => '---|').join('')}\n`);
  for (const r of rows) process.stdout.write(`| ${cols.map((c) => String(r[c[1]] ?? '–')).join(' | ')} |\n`);
}

await main();
