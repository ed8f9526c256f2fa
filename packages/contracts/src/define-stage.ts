/**
 * The stage contract. A stage is `defineStage({ name, version, configSchema, inputs, outputs, run })`:
 * `run` receives its validated config and a context that reads upstream artifacts (checking that
 * each was written by the expected stage instance, i.e. carries the expected identity) and returns
 * its whole output set in memory. `runInstance` then stamps provenance on every file, writes the
 * set into a staging folder and publishes it with one atomic step (see arrow-io's publish.ts):
 * a stage instance's folder always holds one complete generation.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Table } from 'apache-arrow';
import { z } from 'zod';
import {
  encodeArtifact,
  contentChecksum,
  hashJson,
  isStrictlyInside,
  sameChecksum,
  type ContentChecksum,
  paths,
  publishDir,
  readArtifact,
  readJsonFile,
  stagingDir,
  sweep,
  type ArtifactMeta,
  type ArtifactSchema,
} from '@tangent/arrow-io';
import { fail, schemaIssueLine, withPath } from '@tangent/base';
import { checkRecordedInputs, fileSha256, jsonChecksum } from './input-freshness.ts';
import { instanceId, type Instance, type StageName } from './instances.ts';
import type { Manifest } from './manifest.ts';
import type { InputDescriptor, StageNode } from './stage-node.ts';

/** Provenance of a pipeline artifact: arrow-io's block plus the instance it belongs to. */
export interface PipelineMeta extends ArtifactMeta {
  /** The writing instance's identity (see instances.ts). */
  identity: string;
  key: string;
  profile: string;
  /** The file's role, e.g. 'train', 'metrics', 'split'. */
  kind: string;
}

export interface ArrowOutput {
  name: string;
  schema: ArtifactSchema;
  table: Table;
  dtype: string;
  seed: number | null;
  extra?: Record<string, unknown>;
}
export interface JsonOutput {
  name: string;
  /** Written with snake_case keys (see `snakeKeys`) and the provenance block under `provenance`. */
  json: Record<string, unknown>;
  dtype?: string;
  seed?: number | null;
}
export interface TextOutput {
  name: string;
  /** Plain bytes (CSV, HTML, SVG): no provenance inside; the folder's Arrow/JSON files carry it. */
  text: string;
}
export type OutputFile = ArrowOutput | JsonOutput | TextOutput;

export interface StageOutput {
  files: OutputFile[];
  /** Lines for stdout. */
  summary?: string;
}

export interface StageContext<C> {
  config: C;
  instance: Instance;
  manifest: Manifest;
  /** Every instance of the profile, for stages that gather (analysis). */
  instances: Instance[];
  /** Absolute artifact folder of this instance (published at the end). */
  outDir: string;
  /** The instances this one reads, optionally of one stage. */
  deps(stage?: StageName): Instance[];
  /** The single dependency of a stage (an error if there are several). */
  dep(stage: StageName): Instance;
  /** Absolute path of a file in a dependency's folder. */
  path(dep: Instance, file: string): string;
  /** Read an upstream Arrow artifact, checking its schema, stage and identity; tracked as an input. */
  readArrow(dep: Instance, file: string, schema: ArtifactSchema): { table: Table; meta: PipelineMeta; path: string };
  /** Read an upstream JSON artifact, checking its identity and schema; tracked as an input. */
  readJson<S extends z.ZodType>(dep: Instance, file: string, schema: S): z.infer<S>;
  /**
   * Read an upstream text output (a submission CSV), checking its bytes against the CRC-32 that
   * the provenance of its folder's JSON artifacts records for it; tracked as an input.
   */
  readText(dep: Instance, file: string): string;
  /** Record a file read from outside the pipeline (raw data) for provenance. */
  track(path: string): void;
}

/** What a stage's package adds to its node (stage-node.ts): the computation. */
export interface StageImplementation<C> {
  /** Bump when the stage's output changes for the same inputs and config. */
  version: string;
  configSchema: z.ZodType<C>;
  run(ctx: StageContext<C>): Promise<StageOutput>;
}

/** A stage: its node (name, edges, outputs, instances) bound to its implementation. */
export interface StageDefinition<C = unknown> extends StageImplementation<C> {
  node: StageNode;
  name: StageName;
  description: string;
  /** The upstream artifacts an instance reads: the only reads its context allows. */
  inputs: readonly InputDescriptor[];
  /** File names (or `dir/*.ext` patterns) an instance publishes. */
  outputs: readonly string[];
}

/** Bind a stage's implementation to its node: `export const pcaStage = defineStage(pcaNode, { version, configSchema, run })`. */
export function defineStage<C>(node: StageNode, impl: StageImplementation<C>): StageDefinition<C> {
  return Object.freeze({ ...impl, node, name: node.name, description: node.description, inputs: node.inputs, outputs: node.outputs });
}

/** camelCase keys → snake_case, deeply: the one key casing of the pipeline's JSON files. */
export function snakeKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(snakeKeys);
  if (v && typeof v === 'object' && !ArrayBuffer.isView(v))
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k.replace(/[a-z0-9][A-Z]/g, (c) => `${c[0]}_${c[1].toLowerCase()}`), snakeKeys(x)]),
    );
  return v;
}

/** A declared file pattern (`*` within one path segment) covers `name`. */
export const matchesFilePattern = (pattern: string, name: string): boolean =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`).test(name);

/** A stage reads only what its node declares (its edges are real): anything else is a programming error. */
function declaredStage(def: Pick<StageDefinition<unknown>, 'name' | 'inputs'>, stage: string): true {
  if (!def.inputs.some((i) => i.stage === stage))
    fail(
      `internal: stage '${def.name}' uses its '${stage}' inputs but does not declare that stage among its inputs (its node in contracts/src/nodes)`,
    );
  return true;
}

function declaredRead(def: Pick<StageDefinition<unknown>, 'name' | 'inputs'>, dep: Instance, file: string): void {
  if (!def.inputs.some((i) => i.stage === dep.stage && i.files.some((p) => matchesFilePattern(p, file))))
    fail(
      `internal: stage '${def.name}' read '${file}' of ${instanceId(dep.stage, dep.key)}, not among its declared inputs (its node in contracts/src/nodes)`,
    );
}

function describeStale(path: string, what: string, fix: string): never {
  fail(`${path}: ${what}; ${fix}`);
}

/** The fix to print when an input is missing or stale: rerun the instance that writes it. */
export const rerunHint = (dep: Pick<Instance, 'stage' | 'key'>): string =>
  `rerun its stage: npx tangent ${dep.stage}${dep.key ? ` --key ${dep.key}` : ''} (or npm start)`;

/** Check that a pipeline artifact's provenance names the expected writer. */
export function checkProvenance(path: string, meta: Partial<PipelineMeta>, dep: Pick<Instance, 'stage' | 'key' | 'identity'>): void {
  if (meta.stage !== dep.stage)
    describeStale(path, `written by stage '${meta.stage ?? 'unknown'}', expected the '${dep.stage}' stage's output`, rerunHint(dep));
  if (meta.identity !== dep.identity)
    describeStale(
      path,
      `stale: written for another configuration (identity ${String(meta.identity ?? 'none').slice(0, 12)}${meta.key ? ` of ${meta.key}` : ''}; expected ${dep.identity.slice(0, 12)} from the current manifest)`,
      rerunHint(dep),
    );
}

function validate<C>(def: StageDefinition<C>, inst: Instance, m: Manifest): C {
  const r = def.configSchema.safeParse(inst.config);
  if (!r.success) {
    const section = def.name === 'mlp-submit' ? 'mlp' : def.name;
    fail(`${m.source}: section '${section}'${m.profile === 'default' ? '' : ` (profile ${m.profile})`}, ${schemaIssueLine(r.error)}`);
  }
  return r.data;
}

/** A JSON artifact's data against the checksum its provenance records (see input-freshness.ts). */
function checkJsonChecksum(path: string, raw: { provenance?: Partial<PipelineMeta> }, fix: string): void {
  const { provenance, ...data } = raw;
  const recorded = provenance?.checksum;
  if (!recorded) fail(`${path}: its provenance records no content checksum (written by an older tangent, or edited); ${fix}`);
  const actual = jsonChecksum(data);
  if (!sameChecksum(actual, recorded))
    fail(`${path}: corrupt or edited data (content checksum crc32 ${actual.crc32}, its provenance records ${recorded.crc32}); ${fix}`);
}

/**
 * The checksum a text output's folder records for it: text files carry no provenance of their
 * own, so publishOutputs writes theirs into the provenance of the folder's JSON artifacts (the
 * same commit); the first of those, by name, that records `file` must be of the expected generation.
 */
function recordedTextChecksum(dep: Instance, file: string, path: string): ContentChecksum {
  const dir = paths.artifacts(dep.dir);
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    let prov: Partial<PipelineMeta> & { texts?: Record<string, ContentChecksum> };
    try {
      prov = (JSON.parse(readFileSync(join(dir, name), 'utf8')) as { provenance?: typeof prov }).provenance ?? {};
    } catch {
      continue; // not one of the folder's artifacts: its own reader reports it
    }
    const rec = prov.texts?.[file];
    if (!rec) continue;
    checkProvenance(join(dir, name), prov, dep);
    return rec;
  }
  fail(`${path}: its folder's provenance records no checksum for it (written by an older tangent, or not by tangent); ${rerunHint(dep)}`);
}

export interface InstanceResult {
  outDir: string;
  files: string[];
  summary: string;
}

/**
 * The folder an instance's folder must lie strictly inside: its stage's folder (data/mlp for
 * 'mlp/use-lite-d128/w16-s0-lr1'), or the artifacts root for a keyless stage (data/text).
 */
export function stageRoot(inst: Pick<Instance, 'key' | 'dir'>): string {
  return inst.key ? paths.artifacts(inst.dir.split('/')[0]) : paths.artifacts();
}

/** Run one instance: validate, compute, then publish its whole output set in one commit. */
export async function runInstance<C>(def: StageDefinition<C>, m: Manifest, instances: Instance[], inst: Instance): Promise<InstanceResult> {
  if (inst.stage !== def.name) fail(`internal: instance ${instanceId(inst.stage, inst.key)} given to stage ${def.name}`);
  const config = validate(def, inst, m);
  const outDir = paths.artifacts(inst.dir);
  sweep(outDir, stageRoot(inst));
  const byId = new Map(instances.map((i) => [instanceId(i.stage, i.key), i]));
  const depList = inst.deps.map((id) => byId.get(id)!);
  const tracked = new Set<string>();
  const ctx: StageContext<C> = {
    config,
    instance: inst,
    manifest: m,
    instances,
    outDir,
    deps: (stage) => (stage ? depList.filter((d) => declaredStage(def, stage) && d.stage === stage) : depList),
    dep(stage) {
      declaredStage(def, stage);
      const ds = depList.filter((d) => d.stage === stage);
      if (ds.length !== 1) fail(`internal: ${def.name} instance ${inst.key} has ${ds.length} '${stage}' inputs`);
      return ds[0];
    },
    path: (dep, file) => paths.artifacts(dep.dir, file),
    readArrow(dep, file, schema) {
      declaredRead(def, dep, file);
      const path = paths.artifacts(dep.dir, file);
      if (!existsSync(path)) fail(`${path}: not found; ${rerunHint(dep)}`);
      const { table, meta, bytes } = readArtifact(path, schema, { hint: rerunHint(dep), stage: dep.stage, key: dep.key });
      checkProvenance(path, meta as Partial<PipelineMeta>, dep);
      checkRecordedInputs(path, meta.inputs, rerunHint(dep));
      fileSha256(path, bytes); // the bytes read, not the file at publish time, are what provenance records
      tracked.add(path);
      return { table, meta: meta as PipelineMeta, path };
    },
    readJson(dep, file, schema) {
      declaredRead(def, dep, file);
      const path = paths.artifacts(dep.dir, file);
      const raw = readJsonFile(path, z.record(z.string(), z.unknown()), rerunHint(dep)) as { provenance?: Partial<PipelineMeta> };
      checkProvenance(path, raw.provenance ?? {}, dep);
      checkJsonChecksum(path, raw, rerunHint(dep));
      checkRecordedInputs(path, raw.provenance?.inputs, rerunHint(dep));
      tracked.add(path);
      const r = schema.safeParse(raw);
      if (!r.success) fail(`${path}: ${schemaIssueLine(r.error)}; ${rerunHint(dep)}`);
      return r.data;
    },
    readText(dep, file) {
      declaredRead(def, dep, file);
      const path = paths.artifacts(dep.dir, file);
      if (!existsSync(path)) fail(`${path}: not found; ${rerunHint(dep)}`);
      const bytes = readFileSync(path);
      const recorded = recordedTextChecksum(dep, file, path);
      const actual = contentChecksum(bytes);
      if (!sameChecksum(actual, recorded))
        fail(
          `${path}: corrupt or edited (content checksum crc32 ${actual.crc32} over ${actual.bytes} bytes, its folder's provenance records ${recorded.crc32} over ${recorded.bytes} bytes); ${rerunHint(dep)}`,
        );
      fileSha256(path, bytes);
      tracked.add(path);
      return bytes.toString('utf8');
    },
    track: (p) => void tracked.add(p),
  };
  const out = await def.run(ctx);
  await publishOutputs(def as StageDefinition<unknown>, m, inst, out, [...tracked], config);
  return { outDir, files: out.files.map((f) => join(outDir, f.name)), summary: out.summary ?? '' };
}

/** The instances of one stage in a manifest profile (all, or the one with `key`), checked against `expect`. */
export function selectInstances(
  instances: Instance[],
  stage: StageName,
  opts: { key?: string; expect?: string; source?: string } = {},
): Instance[] {
  const mine = instances.filter((i) => i.stage === stage);
  if (opts.key === undefined && !(opts.expect && mine.length === 1)) {
    if (opts.expect)
      fail(
        mine.length
          ? `--expect checks one instance, and this profile has ${mine.length} ${stage} instances; add --key <one of ${mine.map((i) => i.key).join(', ')}>`
          : `--expect: this profile has no ${stage} instance; check --profile`,
      );
    return mine;
  }
  const inst = opts.key === undefined ? mine[0] : mine.find((i) => i.key === opts.key);
  if (!inst)
    fail(
      `${opts.source ?? 'manifest'}: no ${stage} instance '${opts.key}' in this profile; instances: ${mine.map((i) => i.key || "''").join(', ') || 'none'}`,
    );
  if (opts.expect && !inst.graphIdentity.startsWith(opts.expect))
    fail(
      `${stage}${inst.key ? ` ${inst.key}` : ''}: the task's identity ${opts.expect} is not the manifest's (${inst.graphIdentity.slice(0, 12)}); the Nx graph is stale: rerun through nx (npm start), which recomputes it`,
    );
  return [inst];
}

/**
 * The identity an instance's outputs record. A pipeline instance's is fixed by the manifest and
 * the raw data's bytes (instances.ts); the raw files its stage actually read must be the ones
 * hashed there (a file replaced while the stage ran is refused). A standalone instance (a
 * hybrid experiment, a krr run) reads files its config names: their bytes join its identity here.
 */
function publishedIdentity(inst: Instance, inputFiles: string[]): string {
  const raw = inputFiles.filter((p) => !isStrictlyInside(p, paths.artifacts()));
  if (inst.data) {
    const expected = new Set(Object.values(inst.data));
    for (const p of raw)
      if (!expected.has(fileSha256(p)))
        fail(`${p}: changed since this run began (its bytes are not the ones the instance's identity was computed from); rerun the stage`);
    return inst.identity;
  }
  if (inst.deps.length || !inputFiles.length) return inst.identity;
  return hashJson({ identity: inst.identity, data: inputFiles.map((p) => fileSha256(p)).sort() });
}

/**
 * Stamp provenance on an instance's output set, write it into a staging folder and publish it as
 * the instance's folder in one commit (the second half of `runInstance`; tests use it to lay
 * down upstream artifacts).
 */
export async function publishOutputs(
  def: Pick<StageDefinition<unknown>, 'name' | 'version' | 'outputs'>,
  m: Pick<Manifest, 'profile'>,
  inst: Instance,
  out: StageOutput,
  inputFiles: string[] = [],
  config: unknown = inst.config,
): Promise<string> {
  const outDir = paths.artifacts(inst.dir);

  for (const f of out.files)
    if (!def.outputs.some((p) => matchesFilePattern(p, f.name)))
      fail(`internal: stage ${def.name} produced '${f.name}', not among its declared outputs`);
  const inputs: Record<string, string> = {};
  for (const p of [...inputFiles].sort()) inputs[relative(process.cwd(), p) || p] = fileSha256(p);
  const identity = publishedIdentity(inst, inputFiles);
  const createdAt = new Date().toISOString();
  const texts = Object.fromEntries(
    out.files.filter((f) => 'text' in f).map((f) => [f.name, contentChecksum(Buffer.from((f as TextOutput).text, 'utf8'))]),
  );
  const base = {
    stage: def.name,
    stageVersion: def.version,
    configHash: hashJson(config),
    config,
    inputs,
    identity,
    key: inst.key,
    profile: m.profile,
    createdAt,
    ...(Object.keys(texts).length ? { texts } : {}),
  };
  const staging = stagingDir(outDir);
  let writing = outDir; // what a write error without a path (ENOSPC on an open file) is named after
  try {
    for (const f of out.files) {
      const target = join(staging, f.name);
      writing = join(outDir, f.name);
      mkdirSync(join(target, '..'), { recursive: true });
      const kind = f.name.replace(/\.[^.]*$/, '');
      if ('table' in f) {
        const meta = { ...base, kind, dtype: f.dtype, seed: f.seed, extra: f.extra };
        writeFileSync(target, encodeArtifact(join(outDir, f.name), f.schema, f.table, meta).bytes);
      } else if ('json' in f) {
        const data = snakeKeys(f.json) as object;
        const provenance = { ...base, kind, dtype: f.dtype ?? 'json', seed: f.seed ?? null, rows: 0, checksum: jsonChecksum(data) };
        writeFileSync(target, `${JSON.stringify({ ...data, provenance }, null, 2)}\n`);
      } else writeFileSync(target, f.text);
    }
    writing = outDir;
    publishDir(staging, outDir, stageRoot(inst));
  } catch (e) {
    sweep(outDir, stageRoot(inst));
    throw withPath(e, writing);
  }
  return outDir;
}
