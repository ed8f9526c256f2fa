import { fail, progress } from '@tangent/base';
import { gemm, mat64, rowsView, syrk, type Mat64, type Matrix } from '@tangent/linalg';
import { dropKernelBlock, type CrossKernelOptions } from './kernel-blocks.ts';
import { ntkGramAsync } from './ntk-gram.ts';

/**
 * Falkon's data term from one pass over K_nM: the M×M Gram K_nMᵀK_nM and the M×k right-hand side
 * K_nMᵀY, summed over row blocks that are computed (ntkGramAsync), used and dropped. The CG then
 * multiplies by the M×M Gram (2M²k flops an iteration) instead of passing over K_nM twice (4nMk):
 * one SYRK of n·M² flops, which runs near the machine's peak, against the iterations' skinny
 * products, which do not (measured on this 2-core AVX-512 machine: float64 SYRK ~75 GFLOP per
 * CPU-second, the float32 K_nMᵀ(K_nM V) with V of 10 columns ~20). float64 throughout: the Gram's
 * entries are sums of positive terms (the ReLU NTK of non-negative inputs), and its products
 * with the CG's directions are where cancellation happens, in float64.
 *
 * The rows are cut into segments (e.g. the fit rows, then the validation rows): each segment gets
 * its own Gram and right-hand side, so a fit on any union of segments adds theirs; the rows of
 * one segment (the validation rows) can be kept to score a fit on the others.
 */
export interface NystromGramSegment {
  /** Rows [r0, r1) of the operator's row order. */
  r0: number;
  r1: number;
  /** Σ K_bᵀ K_b over the segment's rows (M×M, symmetric, both triangles). */
  gram: Mat64;
  /** K_segᵀ Y_seg (M×k). */
  rhs: Mat64;
  /** The segment's K rows (rows × M), when asked to keep them. */
  rows: Mat64 | null;
}

export interface NystromGramOptions extends CrossKernelOptions {
  /** Segment boundaries in the operator's row order: [0, …, n] (default [0, n]). */
  cuts?: number[];
  /** Indices of segments whose K rows are kept. */
  keep?: number[];
}

/** float64 kernel entries per block of the pass (256 MiB). */
export const GRAM_BLOCK_ENTRIES = 2 ** 25;

/** One pass: the segments' Grams and right-hand sides (Y in the operator's row order, n × k). */
export async function nystromGram(X: Matrix, C: Matrix, Y: Mat64, opts: NystromGramOptions): Promise<NystromGramSegment[]> {
  const order = opts.order;
  const n = order ? order.length : X.rows,
    m = C.rows;
  if (Y.rows !== n) fail(`nystromGram: ${Y.rows} target rows for ${n} kernel rows`);
  const cuts = opts.cuts ?? [0, n];
  if (cuts[0] !== 0 || cuts.at(-1) !== n || cuts.some((c, i) => i > 0 && c < cuts[i - 1]))
    fail(`nystromGram: cuts must rise from 0 to ${n}, got [${cuts.join(', ')}]`);
  const kernel = { ...opts, order: undefined, cuts: undefined, keep: undefined };
  const rb = Math.max(1, Math.floor(GRAM_BLOCK_ENTRIES / Math.max(1, m)));
  const scratch = mat64(m, m);
  const bar = progress(opts.label ?? `K_nMᵀK_nM (${n}×${m})`, n, 'rows');
  const out: NystromGramSegment[] = [];
  for (let s = 0; s + 1 < cuts.length; s++) {
    const [r0, r1] = [cuts[s], cuts[s + 1]];
    const seg: NystromGramSegment = {
      r0,
      r1,
      gram: mat64(m, m),
      rhs: mat64(m, Y.cols),
      rows: opts.keep?.includes(s) ? mat64(r1 - r0, m) : null,
    };
    for (let b0 = r0; b0 < r1; b0 += rb) {
      const b1 = Math.min(r1, b0 + rb);
      const Kb = await ntkGramAsync(blockOf(X, order, b0, b1), C, { ...kernel, label: 'kernel block' });
      syrk(Kb, { trans: true, out: scratch, lowerOnly: true });
      addLower(seg.gram, scratch);
      gemm(Kb, rowsView(Y, b0, b1), { transA: true, out: seg.rhs, beta: 1 });
      if (seg.rows) seg.rows.data.set(Kb.data, (b0 - r0) * m);
      dropKernelBlock(Kb.data.byteLength);
      bar.tick(b1 - b0);
    }
    mirror(seg.gram);
    out.push(seg);
  }
  bar.stop();
  return out;
}

function blockOf(X: Matrix, order: Int32Array | undefined, r0: number, r1: number): Matrix {
  if (!order) return rowsView(X, r0, r1);
  const d = X.cols;
  const out = mat64(r1 - r0, d);
  for (let r = r0; r < r1; r++) {
    const i = order[r];
    if (!(i >= 0 && i < X.rows)) fail(`nystromGram: order[${r}] = ${i} is not a row of X (${X.rows} rows)`);
    for (let k = 0; k < d; k++) out.data[(r - r0) * d + k] = X.data[i * d + k];
  }
  return out;
}

/** A's lower triangle += B's. */
function addLower(A: Mat64, B: Mat64): void {
  const m = A.rows;
  for (let i = 0; i < m; i++) for (let j = i * m, e = i * m + i + 1; j < e; j++) A.data[j] += B.data[j];
}

function mirror(A: Mat64): void {
  const m = A.rows;
  for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) A.data[j * m + i] = A.data[i * m + j];
}

/** Σ of the segments' Grams and right-hand sides: the data term of a fit on their rows together. */
export function sumSegments(segs: NystromGramSegment[]): { gram: Mat64; rhs: Mat64; n: number } {
  if (!segs.length) fail('sumSegments: no segments');
  const gram = mat64(segs[0].gram.rows, segs[0].gram.cols, segs[0].gram.data.slice());
  const rhs = mat64(segs[0].rhs.rows, segs[0].rhs.cols, segs[0].rhs.data.slice());
  let n = segs[0].r1 - segs[0].r0;
  for (const s of segs.slice(1)) {
    for (let i = 0; i < gram.data.length; i++) gram.data[i] += s.gram.data[i];
    for (let i = 0; i < rhs.data.length; i++) rhs.data[i] += s.rhs.data[i];
    n += s.r1 - s.r0;
  }
  return { gram, rhs, n };
}
