import { runInstance, selectInstances, type InstanceResult, type StageDefinition } from './define-stage.ts';
import { pipelineInstances } from './instances.ts';
import { loadManifest, resolveManifest, type Manifest } from './manifest.ts';

export interface RunStageOptions {
  /** A manifest path, a parsed manifest object (YAML as data), or a resolved Manifest. */
  manifest?: string | Record<string, unknown> | Manifest;
  profile?: string;
  /** One instance; all of this stage's instances when omitted. */
  key?: string;
  /** The identity prefix the caller (an Nx task) expects. */
  expect?: string;
}

function toManifest(m: RunStageOptions['manifest'], profile?: string): Manifest {
  if (m === undefined || typeof m === 'string') return loadManifest(m, profile);
  if ('sections' in m && 'grid' in m && 'profile' in m) return m as unknown as Manifest;
  return resolveManifest(m, profile, '(manifest object)');
}

/** Run the instances of one stage (each publishes its folder in one commit), in dependency order. */
export async function runStage<C>(def: StageDefinition<C>, opts: RunStageOptions = {}): Promise<InstanceResult[]> {
  const m = toManifest(opts.manifest, opts.profile);
  const instances = pipelineInstances(m);
  const out: InstanceResult[] = [];
  for (const inst of selectInstances(instances, def.name, { key: opts.key, expect: opts.expect, source: m.source }))
    out.push(await runInstance(def, m, instances, inst));
  return out;
}
