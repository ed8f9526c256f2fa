import { fail } from '@tangent/base';
import { listedConfigFiles, readConfigFile } from '../config-files.ts';
import { fashionMnistRawFiles } from '../fashion-mnist.ts';
import { rawDataDigest } from '../input-freshness.ts';
import { defineNode, type ExpandContext, type Instance, type InstanceSpec } from '../stage-node.ts';

/**
 * One run's instance from its config: a `pca` run reads the pca instance its `data.input` names
 * (by key, identity-checked like every read, so a stale d is refused); a Fashion-MNIST run hashes
 * the idx files into its identity.
 */
export function krrInstance(
  key: string,
  config: Record<string, unknown>,
  pcas: readonly Instance[],
  dataDir: string,
  where: string,
): InstanceSpec {
  const data = (config.data ?? {}) as Record<string, unknown>;
  if (data.kind === 'pca') {
    const input = data.input;
    const pca = pcas.find((p) => p.key === input);
    if (!pca)
      fail(
        `${where}: data.input '${String(input)}' is not a pca instance of the manifest (its inputs: ${pcas.map((p) => p.key).join(', ') || 'none'}); name one, or add its d to grid.d`,
      );
    return { key, config, deps: [pca] };
  }
  return { key, config, deps: [], data: rawDataDigest(fashionMnistRawFiles(dataDir)) };
}

/**
 * Kernel regression past the N×N wall for the runs the manifest lists (`krr.runs`: config
 * files, e.g. configs/krr-tweets.yaml): one instance each, data/krr/<name>/. `tangent krr
 * --config <file>` runs any other file against the default profile's inputs.
 */
export const krrNode = defineNode({
  name: 'krr',
  description: 'kernel regression past the N×N wall (exact or Falkon by a memory model) on Fashion-MNIST or any pca input',
  implementation: { package: '@tangent/ntk', export: 'krrStage', cliExtension: 'krrCli' },
  inputs: [{ stage: 'pca', files: ['train.arrow'] }],
  outputs: ['predictions.arrow', 'validation.arrow', 'metrics.json'],
  externalInputs: [{ env: 'TANGENT_DATA_DIR' }, { runtime: 'node tools/hash-raw.mjs fashion-mnist' }],
  instances: ({ manifest, section, of, dataDir }: ExpandContext) =>
    listedConfigFiles(section, 'runs', `${manifest.source}: krr`).map((file) => {
      const { key, config } = readConfigFile(file, 'name', `${manifest.source}: krr.runs`);
      return krrInstance(key, config, of('pca'), dataDir, file);
    }),
});
