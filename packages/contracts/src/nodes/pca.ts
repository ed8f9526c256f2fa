import { datasetKey, isTextDataset, RAW_FEATURES } from '../datasets.ts';
import { datasetExternalInputs, datasetRawFiles } from '../dataset-files.ts';
import { inputKey, uniqueSorted } from '../grid.ts';
import { rawDataDigest } from '../input-freshness.ts';
import { gridDatasets } from '../manifest.ts';
import { defineNode, type InstanceSpec } from '../stage-node.ts';

/**
 * The inputs of the kernel and network stages. A text dataset: one instance per (embedder, d),
 * `use-lite-d128` (the tweets) or `sms-spam.use-lite-d128`, reading the embed stage. A table or
 * image dataset reads its raw files itself (their bytes part of the identity): one instance per
 * d (`digits.raw-d32`) with `preprocess: pca`, or one (`digits.raw`) with `preprocess: none`,
 * its features only scaled to unit norm.
 */
export const pcaNode = defineNode({
  name: 'pca',
  description: 'project text embeddings or a table/image dataset to d dims (PCA fitted on train), unit-normalise -> data/pca/<input>/',
  implementation: { package: '@tangent/pca', export: 'pcaStage' },
  inputs: [{ stage: 'embed', files: ['train.arrow', 'test.arrow'] }],
  outputs: ['train.arrow', 'test.arrow'],
  externalInputs: (inst) => (inst.deps.length ? [] : datasetExternalInputs(inst.point.dataset!)),
  instances: ({ manifest, grid, section, of, dataDir }) => {
    const fromText = of('embed').flatMap((embed) =>
      uniqueSorted(grid.d).map((d) => ({
        key: inputKey(embed.key, d),
        point: { ...embed.point, d },
        config: { ...section, embedder: embed.key, d },
        deps: [embed],
      })),
    );
    const fromFeatures = gridDatasets(grid).flatMap((name): InstanceSpec[] => {
      const spec = manifest.datasets[name];
      if (isTextDataset(spec)) return [];
      const data = rawDataDigest(datasetRawFiles(spec, dataDir));
      const dataset = { name, ...spec };
      if (spec.preprocess === 'none')
        return [
          { key: datasetKey(name, RAW_FEATURES), point: { dataset: name }, config: { ...section, dataset, d: null }, deps: [], data },
        ];
      return uniqueSorted(grid.d).map((d) => ({
        key: datasetKey(name, inputKey(RAW_FEATURES, d)),
        point: { dataset: name, d },
        config: { ...section, dataset, d },
        deps: [],
        data,
      }));
    });
    return [...fromText, ...fromFeatures];
  },
});
