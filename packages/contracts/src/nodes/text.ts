import { rawDataDigest } from '../input-freshness.ts';
import { TWEET_FILES, tweetsFile } from '../raw-data.ts';
import { defineNode } from '../stage-node.ts';

/** The raw tweets → cleaned text: one instance; the raw files' bytes are part of its identity. */
export const textNode = defineNode({
  name: 'text',
  description: 'load Kaggle train.csv/test.csv, clean the tweets -> data/text/{train,test}.arrow',
  implementation: { package: '@tangent/text', export: 'textStage' },
  inputs: [],
  outputs: ['train.arrow', 'test.arrow'],
  folder: () => 'text',
  externalInputs: [{ env: 'TANGENT_DATA_DIR' }, { runtime: 'node tools/hash-raw.mjs nlp-getting-started' }],
  instances: ({ section, dataDir }) => [
    { key: '', config: section, deps: [], data: rawDataDigest(TWEET_FILES.map((name) => ({ name, path: tweetsFile(dataDir, name) }))) },
  ],
});
