/**
 * Stage instances: one per (stage, grid point) of a manifest profile. An instance's *key* names
 * its grid point, its *dir* is its artifact folder (derived from the key, here and nowhere else),
 * and its *identity* is the sha256 of everything that determines its output: the stage, the key,
 * its slice of the manifest and the identities of the instances it reads. The Nx plugin makes one
 * cached task per instance, the stage refuses to run when the task's identity is stale, and every
 * artifact records its identity so that a reader refuses an input from another configuration.
 */
import { hashJson, paths } from '@tangent/arrow-io';
import { fail } from '@tangent/base';
import { rawDataDigest } from './input-freshness.ts';
import { assertPathSegment, keySegmentsProblem } from './path-segment.ts';
import { TWEET_FILES, tweetsFile } from './raw-data.ts';
import { DEFAULT_PROFILE, deepMerge, type Grid, type Manifest, type Regime } from './manifest.ts';

export const STAGE_NAMES = ['text', 'embed', 'pca', 'ntk', 'mlp', 'mlp-submit', 'analysis', 'submissions', 'hybrid', 'krr'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** The grid coordinates of an instance (only those its stage depends on). */
export interface GridPoint {
  embedder?: string;
  d?: number;
  width?: number;
  seed?: number;
  lr?: number;
  /** The regime (mlp variant, manifest `regimes`) of a run; absent for the grid's own runs. */
  regime?: string;
}

export interface Instance {
  stage: StageName;
  /**
   * Grid key: '' (text, analysis, submissions), 'use-lite', 'use-lite-d128', 'use-lite-d128/w16-s0-lr1',
   * 'use-lite-d128/mup/w64-s0-lr1' (a regime's run), 'use-lite-d128/submit-w16'.
   */
  key: string;
  point: GridPoint;
  /** The stage's config: its manifest section plus the grid coordinates it needs. */
  config: Record<string, unknown>;
  /** The instances it reads, by id. */
  deps: string[];
  /**
   * sha256 hex of stage, key, config, the deps' identities and the bytes of the raw files it
   * reads (`data`): every artifact records it and every reader compares it.
   */
  identity: string;
  /**
   * The same without the raw data's bytes: what the Nx graph (computed from the manifest alone,
   * and cached by Nx until the manifest changes) can know, and what `--expect` compares.
   */
  graphIdentity: string;
  /** Raw input files (name → sha256 of the bytes, or 'missing'), for a stage that reads raw data. */
  data?: Record<string, string>;
  /**
   * Artifact folder relative to the artifacts root, e.g. 'pca/use-lite-d128': the default
   * profile's, or 'analysis@features' for another profile's instance that differs from it.
   */
  dir: string;
}

/** `stage` or `stage:key`: unique within a profile. */
export const instanceId = (stage: StageName, key: string): string => (key ? `${stage}:${key}` : stage);

/** `use-lite-d128`: one (embedder, d) input of the kernel and network stages. */
export const inputKey = (embedder: string, d: number): string => `${embedder}-d${d}`;

/** `w4096-s0-lr1`: one training run. */
export const runKey = (p: { width: number; seed: number; lr: number }): string => `w${p.width}-s${p.seed}-lr${p.lr}`;

/** The artifact folder of an instance, relative to the artifacts root: the one place paths are made. */
export function instanceDir(stage: StageName, key: string): string {
  switch (stage) {
    case 'text':
    case 'analysis':
    case 'submissions':
      return stage;
    case 'mlp':
    case 'mlp-submit':
      return `mlp/${key}`;
    default:
      return `${stage}/${key}`;
  }
}

/** The learning rates run at one width: the main list plus the sweep's extras there, ascending. */
export function lrsAt(grid: Grid, width: number): number[] {
  const lrs = new Set(grid.lrs);
  if (grid.lrSweep.widths.includes(width)) for (const l of grid.lrSweep.lrs) lrs.add(l);
  return [...lrs].sort((a, b) => a - b);
}

const uniqueSorted = (xs: readonly number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);

/** Every training run of one (embedder, d) input, widths ascending, then lr, then seed. */
export function runPoints(grid: Grid, d?: number): Array<{ width: number; seed: number; lr: number }> {
  const out: Array<{ width: number; seed: number; lr: number }> = [];
  const sw = grid.lrSweep;
  // a rate only the sweep adds runs at the sweep's seeds and d (each when given)
  const swept = (lr: number, seed: number) =>
    !grid.lrs.includes(lr) && ((sw.seeds && !sw.seeds.includes(seed)) || (d !== undefined && sw.d && !sw.d.includes(d)));
  for (const width of uniqueSorted(grid.widths))
    for (const lr of lrsAt(grid, width)) for (const seed of grid.seeds) if (!swept(lr, seed)) out.push({ width, seed, lr });
  return out;
}

/** The runs of one regime: its widths × lrs × seeds, the grid's where it names none (lr: the grid's main rate). */
export function regimeRunPoints(grid: Grid, regime: Regime): Array<{ width: number; seed: number; lr: number }> {
  const out: Array<{ width: number; seed: number; lr: number }> = [];
  for (const width of uniqueSorted(regime.widths ?? grid.widths))
    for (const lr of uniqueSorted(regime.lrs ?? [grid.lrs[0]]))
      for (const seed of regime.seeds ?? grid.seeds) out.push({ width, seed, lr });
  return out;
}

/**
 * The folder of a profile's instance. Keys name grid points, not configurations, so two profiles
 * can give one key different contents (`quick` trains fewer epochs; `features` analyses other
 * runs): a folder must be as specific as what it holds. A non-default profile's instance shares
 * the default's folder only where it *is* the default's instance (the same identity); otherwise
 * its last segment gets `@<profile>`, so that profiles live side by side.
 */
export function profileDir(stage: StageName, key: string, profile: string, sameAsDefault: boolean): string {
  const dir = instanceDir(stage, key);
  return profile === DEFAULT_PROFILE || sameAsDefault ? dir : `${dir}@${profile}`;
}

/**
 * Every instance of a manifest profile, in dependency order (each after the ones it reads).
 * The embed section's `models` map defines named embedders; 'use-lite' and 'minilm' need none.
 * The raw tweets are read from `dataDir` (default $TANGENT_DATA_DIR) for the text instance's identity.
 */
export function pipelineInstances(m: Manifest, opts: { dataDir?: string } = {}): Instance[] {
  const out: Instance[] = [];
  const byId = new Map<string, Instance>();
  const defaults = m.defaultProfile
    ? new Map(pipelineInstances(m.defaultProfile, opts).map((i) => [instanceId(i.stage, i.key), i.identity]))
    : null;
  const add = (
    stage: StageName,
    key: string,
    point: GridPoint,
    config: Record<string, unknown>,
    deps: string[],
    data?: Record<string, string>,
  ): Instance => {
    const id = instanceId(stage, key);
    const existing = byId.get(id);
    if (existing) return existing;
    const bad = keySegmentsProblem(key);
    if (bad) fail(`internal: ${stage} instance key '${key}': ${bad}`);
    const upstream = deps.map((d) => byId.get(d)!);
    const graphIdentity = hashJson({ stage, key, config, deps: upstream.map((u) => u.graphIdentity) });
    const identity = hashJson({ stage, key, config, deps: upstream.map((u) => u.identity), ...(data ? { data } : {}) });
    const inst: Instance = {
      stage,
      key,
      point,
      config,
      deps,
      identity,
      graphIdentity,
      dir: profileDir(stage, key, m.profile, defaults?.get(id) === identity),
      ...(data ? { data } : {}),
    };
    byId.set(id, inst);
    out.push(inst);
    return inst;
  };
  const { grid, sections } = m;
  const rawData = opts.dataDir ?? paths.rawData();
  const text = add(
    'text',
    '',
    {},
    sections.text,
    [],
    rawDataDigest(TWEET_FILES.map((name) => ({ name, path: tweetsFile(rawData, name) }))),
  );
  const { models = {}, ...embedShared } = sections.embed as { models?: Record<string, Record<string, unknown>> };
  const mlpShared = Object.fromEntries(Object.entries(sections.mlp).filter(([k]) => k !== 'submission'));
  // Where a submitted width runs several rates, mlp-submit chooses among them by the runs' fit-rows
  // score (the selection protocol's fold 0: train.validation), so those runs, and only those, score it.
  const submitting = (sections.mlp.submission as { enabled?: boolean } | undefined)?.enabled !== false;
  const runSection = (points: Array<{ width: number; lr: number }>, width: number): Record<string, unknown> => {
    const train = (mlpShared.train ?? {}) as { validation?: string };
    const rates = new Set(points.filter((p) => p.width === width).map((p) => p.lr)).size;
    const choose = submitting && rates > 1 && (train.validation ?? 'none') === 'none';
    return choose ? { ...mlpShared, train: { ...train, validation: 'score' } } : mlpShared;
  };
  const ntks: Instance[] = [];
  const submits: Instance[] = [];
  for (const embedder of grid.embedders) {
    const model = models[embedder] ?? { model: embedder };
    const embed = add('embed', embedder, { embedder }, { ...embedShared, ...model, name: embedder }, [instanceId(text.stage, text.key)]);
    for (const d of uniqueSorted(grid.d)) {
      const input = inputKey(embedder, d);
      const pca = add('pca', input, { embedder, d }, { ...sections.pca, embedder, d }, [instanceId('embed', embed.key)]);
      const ntk = add('ntk', input, { embedder, d }, { ...sections.ntk, input }, [instanceId('pca', pca.key)]);
      ntks.push(ntk);
      const runsByWidth = new Map<number, string[]>();
      const points = runPoints(grid, d);
      for (const r of points) {
        const run = add('mlp', `${input}/${runKey(r)}`, { embedder, d, ...r }, { ...runSection(points, r.width), input, run: r }, [
          instanceId('pca', pca.key),
          instanceId('ntk', ntk.key),
        ]);
        runsByWidth.set(r.width, [...(runsByWidth.get(r.width) ?? []), instanceId('mlp', run.key)]);
      }
      for (const [regime, spec] of Object.entries(m.regimes)) {
        const section = deepMerge(mlpShared, spec.mlp);
        for (const r of regimeRunPoints(grid, spec))
          add('mlp', `${input}/${regime}/${runKey(r)}`, { embedder, d, ...r, regime }, { ...section, input, run: r }, [
            instanceId('pca', pca.key),
            instanceId('ntk', ntk.key),
          ]);
      }
      const submission = (sections.mlp.submission ?? {}) as { enabled?: boolean };
      if (submission.enabled !== false)
        for (const [width, runs] of runsByWidth) {
          // It trains on all of train (the pca features alone); the runs are read only to choose
          // among several learning rates, so with one it starts as soon as the features exist.
          const lrs = lrsAt(grid, width);
          const submit = add(
            'mlp-submit',
            `${input}/submit-w${width}`,
            { embedder, d, width },
            { ...sections.mlp, input, width, lrs, seeds: grid.seeds },
            [instanceId('pca', pca.key), ...(lrs.length > 1 ? runs : [])],
          );
          submits.push(submit);
        }
    }
  }
  const finals = [...ntks, ...submits].map((i) => instanceId(i.stage, i.key));
  const runs = out.filter((i) => i.stage === 'mlp').map((i) => instanceId(i.stage, i.key));
  const pcas = out.filter((i) => i.stage === 'pca').map((i) => instanceId(i.stage, i.key)); // explained variance per d
  const analysis = add('analysis', '', {}, { ...sections.analysis, grid }, [...pcas, ...finals, ...runs]);
  // the feature-learning submissions are chosen by the analysis: only then does submissions read it
  const fl = (sections.analysis as { featureLearning?: { enabled?: boolean } }).featureLearning?.enabled === true;
  if (fl) add('submissions', '', {}, { featureLearning: true }, [...finals, instanceId(analysis.stage, analysis.key)]);
  else add('submissions', '', {}, {}, finals);
  return out;
}

/**
 * An instance outside the grid (a hybrid experiment from its own config file): no inputs, its
 * identity from the stage, the key and the config, its folder `<stage>/<key>`.
 */
export function standaloneInstance(stage: StageName, key: string, config: Record<string, unknown>): Instance {
  assertPathSegment(key, `name (the folder ${stage}/<name>)`, stage);
  const identity = hashJson({ stage, key, config });
  return { stage, key, point: {}, config, deps: [], identity, graphIdentity: identity, dir: `${stage}/${key}` };
}

/** One instance by stage and key, or a list of what exists. */
export function findInstance(instances: Instance[], stage: StageName, key: string): Instance | undefined {
  return instances.find((i) => i.stage === stage && i.key === key);
}

/** The Nx project name of an instance: `pca.use-lite-d128`, `mlp.use-lite-d128.w16-s0-lr1`, `text`. */
export function projectName(inst: Pick<Instance, 'stage' | 'key'>, profile = DEFAULT_PROFILE): string {
  const base = inst.key ? `${inst.stage}.${inst.key.replace(/\//g, '.')}` : inst.stage;
  return profile === DEFAULT_PROFILE ? base : `${base}@${profile}`;
}
