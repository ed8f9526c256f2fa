import { datasetKey, isTextDataset, TWEETS_DATASET, type Dataset } from '../datasets.ts';
import { datasetExternalInputs, datasetRawFiles } from '../dataset-files.ts';
import { rawDataDigest } from '../input-freshness.ts';
import { gridDatasets } from '../manifest.ts';
import { defineNode } from '../stage-node.ts';

/**
 * The raw texts → cleaned text: one instance per text dataset of the grid, the raw files' bytes
 * part of its identity. The tweets' instance is keyless in data/text (its config the text
 * section, as before datasets existed); a text-csv dataset's is keyed by its name, in
 * data/text/<name>, its config the section plus the dataset's spec.
 */
export const textNode = defineNode({
  name: 'text',
  description: 'load a text dataset (Kaggle tweets, or any text CSV), clean the texts -> data/text[/<dataset>]/{train,test}.arrow',
  implementation: { package: '@tangent/text', export: 'textStage' },
  inputs: [],
  outputs: ['train.arrow', 'test.arrow'],
  folder: (key) => (key ? `text/${key}` : 'text'),
  externalInputs: (inst) => (inst.deps.length ? [] : datasetExternalInputs(inst.point.dataset!)),
  instances: ({ manifest, grid, section, dataDir }) =>
    gridDatasets(grid).flatMap((name) => {
      const spec: Dataset = manifest.datasets[name];
      if (!isTextDataset(spec)) return [];
      const data = rawDataDigest(datasetRawFiles(spec, dataDir));
      const config = name === TWEETS_DATASET ? section : { ...section, dataset: { name, ...spec } };
      return [{ key: datasetKey(name, ''), point: { dataset: name }, config, deps: [], data }];
    }),
});
