import { BUILTIN_DATASETS } from './datasets.ts';
import { runInstance, selectInstances, type InstanceResult, type StageDefinition } from './define-stage.ts';
import { instanceFrom, pipelineInstances, standaloneInstance } from './instances.ts';
import { DEFAULT_PROFILE, gridSchema, loadManifest, resolveManifest, type Manifest } from './manifest.ts';
import type { Instance, InstanceSpec, StageNode } from './stage-node.ts';

export interface RunStageOptions {
  /** A manifest path, a parsed manifest object (YAML as data), or a resolved Manifest. */
  manifest?: string | Record<string, unknown> | Manifest;
  profile?: string;
  /** One instance; all of this stage's instances when omitted. */
  key?: string;
  /** The identity prefix the caller (an Nx task) expects. */
  expect?: string;
  /** The graph's nodes (default: the pipeline's, stage-registry.ts); tests pass toy graphs. */
  nodes?: readonly StageNode[];
}

function toManifest(m: RunStageOptions['manifest'], profile?: string): Manifest {
  if (m === undefined || typeof m === 'string') return loadManifest(m, profile);
  if ('sections' in m && 'grid' in m && 'profile' in m) return m as unknown as Manifest;
  return resolveManifest(m, profile, '(manifest object)');
}

/** Run the instances of one stage (each publishes its folder in one commit), in dependency order. */
export async function runStage<C>(def: StageDefinition<C>, opts: RunStageOptions = {}): Promise<InstanceResult[]> {
  const m = toManifest(opts.manifest, opts.profile);
  const instances = pipelineInstances(m, { nodes: opts.nodes });
  const out: InstanceResult[] = [];
  for (const inst of selectInstances(instances, def.name, { key: opts.key, expect: opts.expect, source: m.source }))
    out.push(await runInstance(def, m, instances, inst));
  return out;
}

/**
 * A stage outside the grid (a hybrid experiment, a large-scale KRR run), configured by its own
 * file: one instance keyed by `key`, its folder `<stage>/<key>`, published in one commit like any
 * other. `run` defaults to the definition's; pass one to capture more than the output files.
 */
export async function runStandalone<C>(
  def: StageDefinition<C>,
  key: string,
  config: C,
  run: StageDefinition<C>['run'] = def.run,
): Promise<InstanceResult> {
  const inst = standaloneInstance(def.name, key, config as Record<string, unknown>);
  const manifest: Manifest = {
    profile: DEFAULT_PROFILE,
    grid: gridSchema.parse({}),
    sections: {} as Manifest['sections'],
    regimes: {},
    datasets: { ...BUILTIN_DATASETS },
    source: `${def.name} ${key}`,
  };
  return runInstance({ ...def, run }, manifest, [inst], inst);
}

/**
 * One instance of a registered stage from a config given on the command line rather than listed
 * in the manifest (`tangent krr --config <file>`): `spec` makes it from the profile's instances,
 * so what it reads is that profile's, checked like any other read (a stale input is refused).
 * Its folder is `<stage>/<key>`; `run` defaults to the definition's.
 */
export async function runSpec<C>(
  def: StageDefinition<C>,
  spec: (instances: Instance[], m: Manifest) => InstanceSpec,
  opts: Pick<RunStageOptions, 'manifest' | 'profile'> & { run?: StageDefinition<C>['run'] } = {},
): Promise<InstanceResult> {
  const m = toManifest(opts.manifest, opts.profile);
  const instances = pipelineInstances(m);
  const inst = instanceFrom(def.node, spec(instances, m), DEFAULT_PROFILE, null);
  return runInstance({ ...def, run: opts.run ?? def.run }, m, [...instances, inst], inst);
}
