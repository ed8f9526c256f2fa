import { Worker } from 'node:worker_threads';
import { fail, progress } from '@tangent/base';
import { backendInfo, gemm, mat64, rowsView, type Mat64, type Matrix } from '@tangent/linalg';
import { mapRows, mirrorRows, type GramTask, type MirrorTask } from './gram-worker.ts';
import { assertFitsInMemory, f64Bytes } from './memory-guard.ts';
import { reluKernelRow, reluLayerScales, type ReluNetSpec } from './relu-kernel-recursion.ts';

export type KernelKind = 'ntk' | 'nngp';

export interface GramOptions extends ReluNetSpec {
  /** Threads for the elementwise map in ntkGramAsync (default: the linalg thread count). */
  threads?: number;
  /** 'ntk' (default): Θ; 'nngp': Σ, the kernel of the network's output at initialisation. */
  kind?: KernelKind;
  /** Rows per GEMM + map block; scratch beyond the output is O(block). */
  blockRows?: number;
  /** Memory budget in GB for the output (see memory-guard.ts). */
  maxMemoryGb?: number | null;
  /** Progress bar label. */
  label?: string;
}

function toMat64(A: Matrix, what: string): Mat64 {
  if (A.data instanceof Float64Array) return A as Mat64;
  if (A.data instanceof Float32Array) return { rows: A.rows, cols: A.cols, data: Float64Array.from(A.data) };
  fail(`ntkGram: ${what} must be a Mat64 or Mat32`);
}

function sqRowNorms(A: Mat64): Float64Array {
  const out = new Float64Array(A.rows);
  for (let i = 0; i < A.rows; i++) {
    let s = 0;
    for (let k = i * A.cols, e = k + A.cols; k < e; k++) s += A.data[k] * A.data[k];
    out[i] = s;
  }
  return out;
}

/**
 * K[i, j] = Θ(x_i, z_j) (or Σ) of the depth-L ReLU network, for rows of X (n×d) against rows
 * of Z (m×d, default X: the symmetric Gram). float64 throughout: one GEMM per row block for
 * the inner products, written straight into the output rows, then the layer recursion in
 * place (reluKernelRow). Memory: the n×m output plus O(n + m) norms. In the symmetric case
 * only j ≥ i is mapped and then mirrored, halving the arc-cosine work.
 */
interface Prepared {
  A: Mat64;
  B: Mat64;
  symmetric: boolean;
  n: number;
  m: number;
  d: number;
  spec: ReluNetSpec;
  kind: KernelKind;
  sA: Float64Array[];
  sB: Float64Array[];
}

function prepare(X: Matrix, Z: Matrix | undefined, opts: GramOptions): Prepared {
  const spec: ReluNetSpec = { depth: opts.depth ?? 2, sigmaW: opts.sigmaW ?? 1, sigmaB: opts.sigmaB ?? 0 };
  if (!Number.isInteger(spec.depth) || spec.depth < 2) fail(`ntkGram: depth must be an integer ≥ 2 (weight layers), got ${spec.depth}`);
  if (!(spec.sigmaW! > 0) || !(spec.sigmaB! >= 0)) fail(`ntkGram: sigmaW must be > 0 and sigmaB ≥ 0, got ${spec.sigmaW}, ${spec.sigmaB}`);
  const kind = opts.kind ?? 'ntk';
  if (kind !== 'ntk' && kind !== 'nngp') fail(`ntkGram: kind must be 'ntk' or 'nngp', got '${kind}'`);
  const A = toMat64(X, 'X');
  const symmetric = Z === undefined || Z === X;
  const B = symmetric ? A : toMat64(Z!, 'Z');
  if (A.cols !== B.cols) fail(`ntkGram: X has ${A.cols} features but Z has ${B.cols}`);
  const d = A.cols;
  if (d === 0) fail('ntkGram: inputs have no features');
  for (const M of symmetric ? [A] : [A, B])
    for (let i = 0; i < M.data.length; i++)
      if (!Number.isFinite(M.data[i])) fail(`ntkGram: non-finite input at row ${Math.floor(i / d)}, column ${i % d}`);
  const n = A.rows,
    m = B.rows;
  assertFitsInMemory(f64Bytes(n, m), `the ${n}×${m} ${kind.toUpperCase()} kernel`, opts.maxMemoryGb);
  const sA = reluLayerScales(sqRowNorms(A), d, spec);
  const sB = symmetric ? sA : reluLayerScales(sqRowNorms(B), d, spec);
  return { A, B, symmetric, n, m, d, spec, kind, sA, sB };
}

/**
 * K[i, j] = Θ(x_i, z_j) (or Σ) of the depth-L ReLU network, for rows of X (n×d) against rows
 * of Z (m×d, default X: the symmetric Gram). float64 throughout: one GEMM per row block for
 * the inner products, then the layer recursion in place (reluKernelRow). Memory: the n×m
 * output plus O(block·m) scratch. In the symmetric case only j ≥ i is computed and then
 * mirrored, halving both the GEMM and the arc-cosine work. Single-threaded map; see
 * ntkGramAsync for the parallel one.
 */
export function ntkGram(X: Matrix, Z?: Matrix, opts: GramOptions = { depth: 2 }): Mat64 {
  const p = prepare(X, Z, opts);
  const K = mat64(p.n, p.m);
  if (p.n === 0 || p.m === 0) return K;
  innerProducts(p, K, opts, true);
  if (p.symmetric) mirrorRows(K.data, p.n, [0, p.n]);
  return K;
}

/**
 * The inner products x_i·z_j of the upper part (symmetric) or everything, into K; with `map`,
 * each row block is also mapped right after its GEMM while it is still in cache.
 */
function innerProducts(p: Prepared, K: Mat64, opts: GramOptions, map: boolean): void {
  const { A, B, symmetric, n, m, d, spec, sA, sB } = p;
  const sx = new Float64Array(spec.depth - 1);
  const ntk = p.kind === 'ntk';
  const block = Math.max(1, opts.blockRows ?? 256);
  const bar = progress(opts.label ?? `${p.kind} gram ${n}×${m}${map ? '' : ' (inner products)'}`, n, 'rows');
  // Symmetric: row block [r0, r1) only needs columns ≥ r0, so the GEMM goes to an O(block·n)
  // scratch holding X[r0:r1]·X[r0:]ᵀ (half the flops of the full product) and the map copies
  // the upper part into K on the fly.
  const scratch = symmetric ? new Float64Array(Math.min(block, n) * n) : null;
  for (let r0 = 0; r0 < n; r0 += block) {
    const r1 = Math.min(n, r0 + block);
    if (scratch) {
      const w = n - r0;
      const S: Mat64 = { rows: r1 - r0, cols: w, data: scratch.subarray(0, (r1 - r0) * w) };
      gemm(rowsView(A, r0, r1), rowsView(A, r0, n), { transB: true, out: S });
      const sCols = sAShift(sB, r0);
      for (let i = r0; i < r1; i++) {
        for (let l = 0; l < sx.length; l++) sx[l] = sA[l][i];
        // Row i of the scratch starts at column r0; entries j ≥ i are the ones kept.
        const row = K.data.subarray(i * m + r0, (i + 1) * m);
        row.set(S.data.subarray((i - r0) * w + (i - r0), (i - r0 + 1) * w), i - r0);
        if (map) reluKernelRow(row, i - r0, w, sx, sCols, d, spec, ntk);
      }
    } else {
      gemm(rowsView(A, r0, r1), B, { transB: true, out: rowsView(K, r0, r1) });
      for (let i = r0; map && i < r1; i++) {
        for (let l = 0; l < sx.length; l++) sx[l] = sA[l][i];
        reluKernelRow(K.data.subarray(i * m, (i + 1) * m), 0, m, sx, sB, d, spec, ntk);
      }
    }
    bar.tick(r1 - r0);
  }
  bar.stop();
}

/** Row ranges of equal work, row i costing weight(i). */
function balancedRows(n: number, parts: number, weight: (i: number) => number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let total = 0;
  for (let i = 0; i < n; i++) total += weight(i);
  let start = 0,
    acc = 0;
  for (let p = 1; p <= parts; p++) {
    let end = start;
    const goal = (total * p) / parts;
    while (end < n && acc + weight(end) <= goal + 1e-9) acc += weight(end++);
    if (p === parts) end = n;
    out.push([start, end]);
    start = end;
  }
  return out;
}

const bootUrl = new URL('./gram-worker-boot.mjs', import.meta.url);

/**
 * ntkGram with the elementwise map split over `threads` (main thread + workers) on a
 * SharedArrayBuffer-backed output. The GEMMs run first on the main thread (BLAS is threaded
 * already) while the workers start; then each thread maps a row range of equal work.
 */
export async function ntkGramAsync(X: Matrix, Z?: Matrix, opts: GramOptions = { depth: 2 }): Promise<Mat64> {
  const p = prepare(X, Z, opts);
  const threads = Math.max(1, Math.floor(opts.threads ?? backendInfo().threads));
  // Below a few million entries a worker's start-up (~0.3 s) costs more than it saves.
  if (threads === 1 || p.n * p.m < 4_000_000) return ntkGram(X, Z, opts);
  const K: Mat64 = { rows: p.n, cols: p.m, data: new Float64Array(new SharedArrayBuffer(8 * p.n * p.m)) };
  const workers = Array.from({ length: threads - 1 }, () => new Worker(bootUrl));
  try {
    innerProducts(p, K, opts, false);
    // Each phase: the workers take ranges 1.., the main thread range 0, all at once.
    const phase = async <T>(ranges: Array<[number, number]>, task: (rows: [number, number]) => T, run: (t: T) => void) => {
      const done = workers.map(
        (w, k) =>
          new Promise<void>((resolve, reject) => {
            w.once('message', () => resolve());
            w.once('error', reject);
            w.postMessage(task(ranges[k + 1]));
          }),
      );
      run(task(ranges[0]));
      await Promise.all(done);
    };
    const mapTask = (rows: [number, number]): GramTask => ({
      K: K.data,
      n: p.n,
      m: p.m,
      symmetric: p.symmetric,
      rows,
      sA: p.sA,
      sB: p.sB,
      d: p.d,
      spec: p.spec,
      ntk: p.kind === 'ntk',
    });
    await phase(
      balancedRows(p.n, threads, (i) => (p.symmetric ? p.n - i : 1)),
      mapTask,
      mapRows,
    );
    // the lower triangle from the upper one (row i copies i entries)
    const mirrorTask = (rows: [number, number]): MirrorTask => ({ mirror: true, K: K.data, n: p.n, rows });
    if (p.symmetric)
      await phase(
        balancedRows(p.n, threads, (i) => i),
        mirrorTask,
        (t) => mirrorRows(t.K, t.n, t.rows),
      );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return K;
}

/** Column scales from column r0 on, as views (so the row map indexes them from 0). */
function sAShift(s: Float64Array[], r0: number): Float64Array[] {
  return r0 === 0 ? s : s.map((v) => v.subarray(r0));
}
