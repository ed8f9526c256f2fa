/**
 * Stage instances: one per (stage, grid point) of a manifest profile, made by the stage nodes
 * (stage-node.ts, nodes/*.ts) in registry order. An instance's *key* names its grid point, its
 * *dir* is its artifact folder (derived here and nowhere else), and its *identity* is the sha256
 * of everything that determines its output: the stage, the key, its slice of the manifest, the
 * identities of the instances it reads and the bytes of the raw files it reads. The Nx plugin
 * makes one cached task per instance, the stage refuses to run when the task's identity is
 * stale, and every artifact records its identity so that a reader refuses an input from another
 * configuration.
 */
import { hashJson, paths } from '@tangent/arrow-io';
import { fail } from '@tangent/base';
import { DEFAULT_PROFILE, type Manifest } from './manifest.ts';
import { assertPathSegment, keySegmentsProblem } from './path-segment.ts';
import { nodeSection, type Instance, type InstanceSpec, type StageNode } from './stage-node.ts';
import { graphOrder, STAGE_NODES, stageNode } from './stage-registry.ts';

export type { GridPoint, Instance } from './stage-node.ts';
/** A stage's name (stage-registry.ts lists the pipeline's; krr and hybrid also run standalone). */
export type StageName = string;

/** `stage` or `stage:key`: unique within a profile. */
export const instanceId = (stage: StageName, key: string): string => (key ? `${stage}:${key}` : stage);

/** The artifact folder of an instance, relative to the artifacts root: its node's rule, else `<stage>/<key>`. */
export function instanceDir(stage: StageName, key: string): string {
  const folder = stageNode(stage)?.folder;
  return folder ? folder(key) : `${stage}/${key}`;
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
 * Every instance of a manifest profile, in dependency order (each after the ones it reads): each
 * node's `instances`, given the instances of the stages it declares as inputs (and only those).
 * The raw data is read from `dataDir` (default $TANGENT_DATA_DIR) for the identities of the
 * instances that hash it.
 */
export function pipelineInstances(m: Manifest, opts: { dataDir?: string; nodes?: readonly StageNode[] } = {}): Instance[] {
  const out: Instance[] = [];
  const byStage = new Map<string, Instance[]>();
  const ids = new Set<string>();
  const defaults = m.defaultProfile
    ? new Map(pipelineInstances(m.defaultProfile, opts).map((i) => [instanceId(i.stage, i.key), i.identity]))
    : null;
  const dataDir = opts.dataDir ?? paths.rawData();
  for (const node of opts.nodes ? graphOrder(opts.nodes) : STAGE_NODES) {
    const reads = new Set(node.inputs.map((i) => i.stage));
    const of = (stage: string): Instance[] => {
      if (!reads.has(stage)) fail(`internal: stage '${node.name}' asked for '${stage}' instances without declaring it an input`);
      return byStage.get(stage) ?? [];
    };
    const section = nodeSection(node);
    const made: Instance[] = [];
    for (const spec of node.instances({ manifest: m, grid: m.grid, section: section ? (m.sections[section] ?? {}) : {}, of, dataDir })) {
      const inst = instanceFrom(node, spec, m.profile, defaults);
      const id = instanceId(inst.stage, inst.key);
      if (ids.has(id)) fail(`internal: stage '${node.name}' made the instance '${id}' twice`);
      made.push(inst);
      ids.add(id);
    }
    byStage.set(node.name, made);
    out.push(...made);
  }
  return out;
}

/**
 * The instance a node's spec describes: its identity (stage, key, config, the deps' identities,
 * the raw data's bytes), the config-only graph identity, and its folder. `defaults` maps the
 * default profile's instance ids to their identities (null in the default profile itself).
 */
export function instanceFrom(
  node: Pick<StageNode, 'name' | 'inputs'>,
  spec: InstanceSpec,
  profile: string,
  defaults: ReadonlyMap<string, string> | null,
): Instance {
  const stage = node.name;
  const { key, config, data } = spec;
  const id = instanceId(stage, key);
  const bad = keySegmentsProblem(key);
  if (bad) fail(`internal: ${stage} instance key '${key}': ${bad}`);
  for (const dep of spec.deps)
    if (!node.inputs.some((i) => i.stage === dep.stage))
      fail(`internal: ${id} reads ${instanceId(dep.stage, dep.key)}, a stage it does not declare as an input`);
  const graphIdentity = hashJson({ stage, key, config, deps: spec.deps.map((u) => u.graphIdentity) });
  const identity = hashJson({ stage, key, config, deps: spec.deps.map((u) => u.identity), ...(data ? { data } : {}) });
  return {
    stage,
    key,
    point: spec.point ?? {},
    config,
    deps: spec.deps.map((u) => instanceId(u.stage, u.key)),
    identity,
    graphIdentity,
    dir: profileDir(stage, key, profile, defaults?.get(id) === identity),
    ...(data ? { data } : {}),
  };
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
