/**
 * The raw files a dataset is read from, by kind: what its reading instance (text, or pca for a
 * table or image) hashes into its identity, and what the stage then reads.
 */
import { resolveDataPath, TWEET_FILES, tweetsFile } from './raw-data.ts';
import type { Dataset } from './datasets.ts';
import { fashionMnistRawFiles } from './fashion-mnist.ts';
import type { ExternalInputs } from './stage-node.ts';

export function datasetRawFiles(spec: Dataset, dataDir: string): Array<{ name: string; path: string | null }> {
  switch (spec.kind) {
    case 'kaggle-tweets':
      return TWEET_FILES.map((name) => ({ name, path: tweetsFile(dataDir, name) }));
    case 'fashion-mnist':
      return fashionMnistRawFiles(dataDir);
    default:
      return [
        { name: 'path', path: resolveDataPath(spec.path, dataDir) },
        ...(spec.test ? [{ name: 'test', path: resolveDataPath(spec.test, dataDir) }] : []),
      ];
  }
}

/** The Nx inputs of an instance that reads a dataset's raw files: where they live, and their sizes and times. */
export const datasetExternalInputs = (dataset: string): ExternalInputs => [
  { env: 'TANGENT_DATA_DIR' },
  { runtime: `node tools/hash-raw.mjs --dataset ${dataset}` },
];
