/**
 * The pipeline manifest, `configs/pipeline.yaml`: the experiment grid (which embedders, PCA
 * dimensions d, widths, seeds and learning rates), one section per stage, and named profiles
 * that override parts of both (`npm start -- -c quick`). Everything that identifies a stage
 * instance or an artifact folder is derived from it by `./instances.ts`; nothing is typed twice.
 * The stage sections are validated by each stage's own config schema (see `defineStage`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { fail, schemaIssueLine } from '@tangent/base';
import { assertDatasetName, BUILTIN_DATASETS, datasetNameSchema, datasetSchema, TWEETS_DATASET, type Dataset } from './datasets.ts';
import { deepMerge, isPlainObject } from './deep-merge.ts';
import { assertPathSegment, pathSegment } from './path-segment.ts';
import { SECTION_NAMES } from './stage-registry.ts';

/** The default manifest path, relative to the workspace root (the working directory of every Nx task). */
export const MANIFEST_PATH = 'configs/pipeline.yaml';
/** The profile used when none is named. */
export const DEFAULT_PROFILE = 'default';

const positiveInts = z.array(z.number().int().positive()).nonempty();

export const gridSchema = z
  .object({
    /**
     * The datasets to run (names under the manifest's `datasets:`; `tweets` is built in). Absent
     * means [tweets]: a grid that does not name datasets is the same grid, with the same identities,
     * as before datasets existed.
     */
    datasets: z.array(datasetNameSchema).nonempty().optional(),
    /** Embedding models, by name: `use-lite`, `minilm`, or a name defined under `embed.models`. */
    embedders: z.array(pathSegment).nonempty().default(['use-lite']),
    /** PCA output dimensions; each (embedder, d) pair is one input of the ntk and mlp stages. */
    d: positiveInts.default([128]),
    /** Hidden widths m of the finite networks. */
    widths: positiveInts.default([16, 64, 256, 1024, 4096]),
    /** Initialisation seeds, one run each. */
    seeds: z.array(z.number().int().nonnegative()).nonempty().default([0, 1, 2]),
    /**
     * Learning rates in natural NTK units c: η = c · n / λ_max(Θ̂_0), so gradient descent on the
     * linearised model is stable for c < 2 at every width. The first one is the "main" rate the
     * analysis compares across widths.
     */
    lrs: z.array(z.number().positive()).nonempty().default([1]),
    /** Extra learning rates tried at some widths (each with every seed). */
    lrSweep: z
      .object({
        widths: z.array(z.number().int().positive()).default([16, 64]),
        lrs: z.array(z.number().positive()).default([0.5, 1.5]),
        /** Only these seeds get the extra rates (absent: every seed of the grid). */
        seeds: z.array(z.number().int().nonnegative()).optional(),
        /** Only these d get the extra rates (absent: every d), so a stability sweep need not multiply across a d sweep. */
        d: z.array(z.number().int().positive()).optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Grid = z.infer<typeof gridSchema>;

/** The datasets a grid runs. */
export const gridDatasets = (grid: Grid): string[] => [...new Set(grid.datasets ?? [TWEETS_DATASET])];

/**
 * A regime: a named variant of the mlp stage, run beside the grid's (lazy, NTK-parameterised)
 * runs on the same inputs and split. Its runs are instances `mlp:<input>/<regime>/w<m>-s<seed>-lr<c>`
 * in data/mlp/<input>/<regime>/<run>/ (the grid's run keys are untouched). Which runs: its own
 * widths × lrs × seeds (each defaults to the grid's, lrs to the grid's main rate); how: the mlp
 * section deep-merged with `mlp` (e.g. { model: { parameterization: mup } }). Regimes make no
 * per-width mlp-submit instances: their Kaggle predictions are the runs' predictions.arrow.
 */
export const regimeSchema = z
  .object({
    widths: positiveInts.optional(),
    seeds: z.array(z.number().int().nonnegative()).nonempty().optional(),
    /** Natural learning rates c (η = c · n / λ_max(Θ̂_0)); default the grid's first. */
    lrs: z.array(z.number().positive()).nonempty().optional(),
    /** Overrides of the mlp section (model, train, tracking), deep-merged; validated by the mlp stage. */
    mlp: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type Regime = z.infer<typeof regimeSchema>;

/** Names the analysis gives its own rows (the grid's runs, ensembles, kernel ridge regressors): no regime may take them. */
export const RESERVED_REGIMES = ['lazy', 'ensemble', 'after-kernel', 'init-kernel', 'ntk-krr', 'nngp-krr'];

/** A regime's name is a folder beside the grid's run folders, so it must not look like one. */
const regimeName = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, 'a regime name (lower-case letters, digits, -; starting with a letter)')
  .refine((s) => !/^(w\d|submit-)/.test(s), "must not start like a run folder ('w<digit>', 'submit-')")
  .refine(
    (s) => !RESERVED_REGIMES.includes(s),
    `is a row of the feature-learning table; use another name than ${RESERVED_REGIMES.join(', ')}`,
  );

// The stage sections a manifest may carry: the stages' (stage-registry.ts), each validated later by its stage.
const section = z.record(z.string(), z.unknown()).default({});
const sectionsShape = Object.fromEntries(SECTION_NAMES.map((s) => [s, section]));

const profileSchema = z
  .object({
    /** Another profile this one starts from (its overrides first, then this one's, deep-merged). */
    extends: z.string().optional(),
    grid: z.record(z.string(), z.unknown()).optional(),
    regimes: z.record(z.string(), z.unknown()).optional(),
    datasets: z.record(z.string(), z.unknown()).optional(),
    ...Object.fromEntries(SECTION_NAMES.map((s) => [s, z.record(z.string(), z.unknown()).optional()])),
  })
  .strict();

export const manifestFileSchema = z
  .object({
    grid: z.record(z.string(), z.unknown()).default({}),
    ...sectionsShape,
    /** Named datasets (datasets.ts: how to read each); `grid.datasets` picks those a profile runs. */
    datasets: z.record(z.string(), z.unknown()).default({}),
    /** Named mlp-stage variants (see regimeSchema); usually set in a profile. */
    regimes: z.record(z.string(), z.unknown()).default({}),
    /** Named overrides of `grid` and the sections, deep-merged (lists replace lists). */
    profiles: z.record(z.string(), profileSchema).default({}),
  })
  .strict();

/** One profile's view of the manifest: the grid with defaults, and the raw stage sections. */
export interface Manifest {
  profile: string;
  grid: Grid;
  /** The raw stage sections, by name (stage-registry.ts SECTION_NAMES; {} where the file has none). */
  sections: Record<string, Record<string, unknown>>;
  /** The regimes (mlp variants) to run, by name, in manifest order. */
  regimes: Record<string, Regime>;
  /** Every defined dataset (the built-in tweets and the file's), validated; the grid's are among them. */
  datasets: Record<string, Dataset>;
  /** Where it was read from (for messages). */
  source: string;
  /**
   * The default profile of the same file (absent in the default itself): an instance of another
   * profile shares the default's folder only where it is the default's instance (instances.ts).
   */
  defaultProfile?: Manifest;
}

/** Resolve one profile of a parsed manifest file (`raw` as read from YAML). */
export function resolveManifest(raw: unknown, profile = DEFAULT_PROFILE, source = MANIFEST_PATH): Manifest {
  const file = manifestFileSchema.safeParse(raw ?? {});
  if (!file.success) fail(`${source}: ${schemaIssueLine(file.error)}`);
  const m = file.data;
  for (const name of Object.keys(m.profiles)) assertPathSegment(name, `profile name 'profiles.${name}'`, source);
  if (profile !== DEFAULT_PROFILE && !(profile in m.profiles))
    fail(`${source}: no profile '${profile}'; defined: ${[DEFAULT_PROFILE, ...Object.keys(m.profiles)].join(', ')}`);
  const over = profile === DEFAULT_PROFILE ? {} : profileOverrides(m.profiles, profile, source);
  const gridRaw = deepMerge(m.grid, over.grid ?? {});
  const grid = gridSchema.safeParse(gridRaw);
  if (!grid.success) fail(`${source} (profile ${profile}) grid: ${schemaIssueLine(grid.error)}`);
  const fileSections = m as unknown as Record<string, Record<string, unknown>>;
  const sections: Manifest['sections'] = Object.fromEntries(SECTION_NAMES.map((s) => [s, deepMerge(fileSections[s], over[s] ?? {})]));
  const models = sections.embed.models;
  if (models !== undefined && !isPlainObject(models))
    fail(`${source} (profile ${profile}): field 'embed.models' should map names to embedders`);
  for (const name of Object.keys(models ?? {}))
    assertPathSegment(name, `embedder name 'embed.models.${name}'`, `${source} (profile ${profile})`);
  const regimesRaw = deepMerge(m.regimes, (over as { regimes?: Record<string, unknown> }).regimes ?? {});
  const regimes: Record<string, Regime> = {};
  for (const [name, r] of Object.entries(regimesRaw)) {
    const n = regimeName.safeParse(name);
    if (!n.success) fail(`${source} (profile ${profile}): regime '${name}': ${n.error.issues[0].message}`);
    const parsed = regimeSchema.safeParse(r ?? {});
    if (!parsed.success) fail(`${source} (profile ${profile}) regimes.${name}: ${schemaIssueLine(parsed.error)}`);
    regimes[name] = parsed.data;
  }
  const datasets = resolveDatasets(deepMerge(m.datasets, over.datasets ?? {}), `${source} (profile ${profile})`);
  for (const name of gridDatasets(grid.data))
    if (!(name in datasets))
      fail(
        `${source} (profile ${profile}): grid.datasets names '${name}', which is not under datasets: (defined: ${Object.keys(datasets).join(', ')})`,
      );
  const resolved: Manifest = { profile, grid: grid.data, sections, regimes, datasets, source };
  return profile === DEFAULT_PROFILE ? resolved : { ...resolved, defaultProfile: resolveManifest(raw, DEFAULT_PROFILE, source) };
}

type Overrides = Record<string, Record<string, unknown> | undefined>;

/**
 * A profile's overrides with what it `extends` merged underneath (e.g. the feature-learning
 * regimes on another dataset: `{ extends: features, grid: { datasets: [sms-spam] } }`).
 */
function profileOverrides(profiles: Record<string, Record<string, unknown>>, name: string, source: string, seen: string[] = []): Overrides {
  if (seen.includes(name)) fail(`${source}: profiles ${[...seen, name].join(' -> ')}: a profile cannot extend itself`);
  const { extends: base, ...own } = profiles[name] as { extends?: string } & Overrides;
  if (base === undefined) return own;
  if (!(base in profiles))
    fail(`${source}: profiles.${name}.extends names '${base}', which is not a profile (defined: ${Object.keys(profiles).join(', ')})`);
  return deepMerge(profileOverrides(profiles, base, source, [...seen, name]), own) as Overrides;
}

/** The built-in datasets and the manifest's, each checked (its name a folder name, its fields by kind). */
function resolveDatasets(raw: Record<string, unknown>, where: string): Record<string, Dataset> {
  const out: Record<string, Dataset> = { ...BUILTIN_DATASETS };
  for (const [name, spec] of Object.entries(raw)) {
    assertDatasetName(name, `dataset name 'datasets.${name}'`, where);
    const parsed = datasetSchema.safeParse(spec ?? {});
    if (!parsed.success) fail(`${where} datasets.${name}: ${schemaIssueLine(parsed.error)}`);
    out[name] = parsed.data;
  }
  return out;
}

/** The profiles a manifest file defines, `default` first. */
export function profileNames(raw: unknown): string[] {
  const file = manifestFileSchema.safeParse(raw ?? {});
  return [DEFAULT_PROFILE, ...(file.success ? Object.keys(file.data.profiles) : [])];
}

/** Read and parse the manifest file (YAML); a missing or malformed file is one clear line. */
export function readManifestFile(path = MANIFEST_PATH): unknown {
  if (!existsSync(path)) fail(`${path}: pipeline manifest not found; run from the workspace root or pass --manifest <file>`);
  try {
    return parse(readFileSync(path, 'utf8')) ?? {};
  } catch (e) {
    fail(`${path}: not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
}

export function loadManifest(path = MANIFEST_PATH, profile = DEFAULT_PROFILE): Manifest {
  return resolveManifest(readManifestFile(path), profile, path);
}

/**
 * Apply `path=value` overrides (value parsed as YAML: true, 3, [16, 32], text) to a parsed
 * manifest, e.g. `ntk.folds=3`, `grid.d=[64]`, `profiles.quick.mlp.train.epochs=10`.
 */
export function applySets(raw: unknown, sets: readonly string[]): Record<string, unknown> {
  const root = structuredClone((raw ?? {}) as Record<string, unknown>);
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) fail(`--set '${s}': expected path=value, e.g. --set ntk.folds=3 or --set grid.d=[64]`);
    const keys = s.slice(0, eq).split('.');
    let node = root;
    for (const k of keys.slice(0, -1)) {
      const next = node[k];
      if (next !== undefined && !isPlainObject(next)) fail(`--set '${s}': '${k}' is not a section`);
      node = (node[k] ??= {}) as Record<string, unknown>;
    }
    node[keys[keys.length - 1]] = parse(s.slice(eq + 1));
  }
  return root;
}
