/**
 * Paired comparisons on the eval rows from the stored predictions: every grid run's
 * predictions.arrow and the ntk stage's predictions.arrow score the SAME eval rows, so two models
 * compare row by row (d_i = 1[a right on row i] − 1[b right on row i]) instead of through two
 * unpaired accuracies. Seeds enter through @tangent/kernels hierarchicalPairedBootstrap (eval rows
 * and seeds resampled together).
 */
import { fail } from '@tangent/base';
import {
  predictionsSchema,
  readRunOutcome,
  runPredictionsFile,
  runPredictionsSchema,
  type Instance,
  type StageContext,
} from '@tangent/contracts';
import { decideLabels, hierarchicalPairedBootstrap, holm, type PairedComparison } from '@tangent/kernels';
import type { AnalysisConfig } from './config.ts';

/** Per eval row (the ntk stage's eval order): whether each model is right. */
export interface EvalCorrectness {
  /** The class index of each eval row (0/1 for a binary task). */
  truth: Int8Array;
  /** Kernel ridge with the ntk stage's primary kernel. */
  krr: Uint8Array;
  /** Each grid run that finished, by its run id (`w16-s0-lr1`); diverged runs are absent. */
  runs: Map<string, Uint8Array>;
}

/** The run id of the grid's run (width, seed, lr), as the mlp stage names its folder. */
export const runId = (width: number, seed: number, lr: number): string => `w${width}-s${seed}-lr${lr}`;

/** The (width, seed, lr) of a grid run id (`w16-s0-lr2.5`, as runId writes it); null for any other name. */
export function parseRunId(id: string): { width: number; seed: number; lr: number } | null {
  const m = /^w(\d+)-s(\d+)-lr([\d.e+-]+)$/.exec(id);
  return m && { width: +m[1], seed: +m[2], lr: +m[3] };
}

/**
 * A diverged seed is a failure, not a dropped sample (the selection protocol's rule, @tangent/kernels
 * selection-protocol.ts): it counts as a network that predicts every row negative (class 0) —
 * right exactly on those rows, F1 = 0 as in the selection score.
 */
export function divergedCorrectness(truth: Int8Array): Uint8Array {
  return Uint8Array.from(truth, (t) => (t === 0 ? 1 : 0));
}

/** Read the eval-row correctness of the primary kernel ridge and of every finished grid run of one input. */
export function collectEvalCorrectness(ctx: StageContext<AnalysisConfig>, ntk: Instance): EvalCorrectness {
  const { table: p, path } = ctx.readArrow(ntk, 'predictions.arrow', predictionsSchema);
  const ids: number[] = [],
    truth: number[] = [],
    krr: number[] = [];
  for (let i = 0; i < p.numRows; i++) {
    if (p.getChild('split')!.get(i) !== 'eval') continue;
    const t = p.getChild('target')!.get(i) as number | null;
    if (t === null || !Number.isInteger(t) || t < 0)
      fail(`${path}: eval row ${i} has target ${t}, expected a class index; rerun the ntk stage`);
    ids.push(p.getChild('id')!.get(i) as number);
    truth.push(t);
    krr.push(+((p.getChild('label')!.get(i) as number) === t));
  }
  if (!ids.length) fail(`${path}: no eval rows; rerun the ntk stage`);
  const pos = new Map(ids.map((id, i) => [id, i]));
  const runs = new Map<string, Uint8Array>();
  for (const run of ctx.deps('mlp').filter((i) => i.key.startsWith(`${ntk.key}/`) && !i.point.regime)) {
    if (readRunOutcome(ctx, run) === null) continue; // diverged: divergedCorrectness
    const file = runPredictionsFile('network');
    const { table: r, path: rp } = ctx.readArrow(run, file, runPredictionsSchema);
    // a K-class run records its argmax label; a binary run's one ±1 output decides at 0
    const labelCol = r.getChild('label');
    const score = new Float64Array(ids.length).fill(NaN);
    for (let i = 0; i < r.numRows; i++) {
      if (r.getChild('split')!.get(i) !== 'eval') continue;
      const at = pos.get(r.getChild('id')!.get(i) as number);
      if (at === undefined) fail(`${rp}: eval id ${r.getChild('id')!.get(i)} is not an eval row of the ntk split; rerun the run`);
      score[at] = labelCol ? (labelCol.get(i) as number) : (r.getChild('score')!.get(i) as number);
    }
    if (score.some(Number.isNaN)) fail(`${rp}: does not score every eval row of the ntk split; rerun the run`);
    const label = labelCol ? Int8Array.from(score) : decideLabels(score, 'pm1');
    runs.set(
      runId(run.point.width!, run.point.seed!, run.point.lr!),
      Uint8Array.from(label, (l, i) => +(l === truth[i])),
    );
  }
  return { truth: Int8Array.from(truth), krr: Uint8Array.from(krr), runs };
}

/** Per seed s, the differences Δ_s[i] = right_a,s[i] − right_b[i] (a diverged seed of a counts as divergedCorrectness). */
export function pairedDiffs(a: Array<Uint8Array | null>, b: Uint8Array, truth: Int8Array): Float64Array[] {
  const failed = divergedCorrectness(truth);
  return a.map((r) => {
    const x = r ?? failed;
    if (x.length !== b.length) fail(`paired comparison: ${x.length} and ${b.length} eval rows; both must score the same rows`);
    return Float64Array.from(x, (v, i) => v - b[i]);
  });
}

/** Per seed s, Δ_s[i] = right_a,s[i] − right_b,s[i]: two configurations paired by seed (the same initialisation) and row. */
export function pairedBySeed(a: Array<Uint8Array | null>, b: Array<Uint8Array | null>, truth: Int8Array): Float64Array[] {
  if (a.length !== b.length) fail(`paired comparison: ${a.length} and ${b.length} seeds`);
  const failed = divergedCorrectness(truth);
  return a.map((r, s) => {
    const x = r ?? failed,
      y = b[s] ?? failed;
    return Float64Array.from(x, (v, i) => v - y[i]);
  });
}

export interface BootstrapSettings {
  resamples: number;
  seed: number;
}

/** A family of paired comparisons: each one's hierarchical bootstrap and its Holm-adjusted p (Holm 1979) within the family. */
export function pairedFamily(diffs: Float64Array[][], boot: BootstrapSettings): Array<PairedComparison & { pHolm: number }> {
  const each = diffs.map((bySeed) => hierarchicalPairedBootstrap(bySeed, boot));
  const adjusted = each.length ? holm(each.map((c) => c.p)) : [];
  return each.map((c, i) => ({ ...c, pHolm: adjusted[i] }));
}
