import { relative } from 'node:path';
import type { ArtifactMeta } from './artifact.ts';
import { hashFile, hashJson } from './hash.ts';

/**
 * The provenance block every stage attaches to its outputs: who made it, from which config and
 * which input bytes. Paths are recorded relative to the working directory so that artifacts made
 * in two clones compare equal.
 */
export async function provenance(opts: {
  stage: string;
  stageVersion: string;
  config: unknown;
  inputs: string[];
  dtype: string;
  seed: number | null;
  extra?: Record<string, unknown>;
}): Promise<Omit<ArtifactMeta, 'rows' | 'createdAt'>> {
  const inputs: Record<string, string> = {};
  for (const p of opts.inputs) inputs[relative(process.cwd(), p) || p] = await hashFile(p);
  return {
    stage: opts.stage,
    stageVersion: opts.stageVersion,
    configHash: hashJson(opts.config),
    config: opts.config,
    inputs,
    dtype: opts.dtype,
    seed: opts.seed,
    extra: opts.extra,
  };
}
