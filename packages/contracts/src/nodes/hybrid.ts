import { listedConfigFiles, readConfigFile } from '../config-files.ts';
import { fashionMnistRawFiles } from '../fashion-mnist.ts';
import { rawDataDigest } from '../input-freshness.ts';
import { resolveDataPath, wineQualityFile } from '../raw-data.ts';
import { defineNode } from '../stage-node.ts';

/** The raw files an experiment's `data` section reads (wine: both colours, whichever it uses). */
function experimentFiles(data: Record<string, unknown> | undefined, dataDir: string): Array<{ name: string; path: string | null }> {
  switch (data?.kind) {
    case 'wine':
      return (['red', 'white'] as const).map((c) => ({ name: `winequality-${c}.csv`, path: wineQualityFile(dataDir, c) }));
    case 'fashion_mnist':
      return fashionMnistRawFiles(dataDir);
    case 'csv':
      return typeof data.path === 'string' ? [{ name: data.path, path: resolveDataPath(data.path, dataDir) }] : [];
    default:
      return []; // the stage's config schema names the problem
  }
}

/**
 * The hybrid SGD → NTK experiments the manifest lists (`hybrid.experiments`: config files, e.g.
 * configs/wine_quality.yaml): one instance each, data/hybrid/<experiment>/, their raw data's bytes
 * part of their identities. The analysis reports them. `tangent experiment --config <file>` runs
 * any other file outside the graph.
 */
export const hybridNode = defineNode({
  name: 'hybrid',
  description:
    'hybrid SGD → NTK training: SGD until a lazy-regime heuristic fires, then the linearised model (linearised descent, functional evolution, integrated flow) vs continued SGD',
  implementation: { package: '@tangent/hybrid', export: 'hybridStage' },
  inputs: [],
  outputs: ['history.arrow', 'results.arrow', 'ntk_trace.arrow', 'metrics.json'],
  externalInputs: [
    { env: 'TANGENT_DATA_DIR' },
    { runtime: 'node tools/hash-raw.mjs wine-quality' },
    { runtime: 'node tools/hash-raw.mjs fashion-mnist' },
  ],
  instances: ({ manifest, section, dataDir }) =>
    listedConfigFiles(section, 'experiments', `${manifest.source}: hybrid`).map((file) => {
      const { key, config } = readConfigFile(file, 'experiment', `${manifest.source}: hybrid.experiments`);
      return { key, config, deps: [], data: rawDataDigest(experimentFiles(config.data as Record<string, unknown>, dataDir)) };
    }),
});
