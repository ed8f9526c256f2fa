/**
 * Where the pipeline's raw data lives: the files a stage reads from outside the artifacts tree.
 * Their bytes are part of the reading instance's identity (instances.ts), so the location is
 * resolved here, once, for both the identity and the stage that reads them.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

/** The Kaggle "NLP with Disaster Tweets" files the text stage reads. */
export const TWEET_FILES = ['train.csv', 'test.csv'] as const;

/**
 * Where `name` (train.csv / test.csv) lives under `dataDir`: directly in it or in its
 * `nlp-getting-started/` subfolder (the name of Kaggle's zip); null when in neither.
 */
export function tweetsFile(dataDir: string, name: string): string | null {
  if (!existsSync(dataDir) || !statSync(dataDir).isDirectory()) return null;
  for (const p of [join(dataDir, name), join(dataDir, 'nlp-getting-started', name)]) if (existsSync(p)) return p;
  return null;
}

/** A UCI Wine Quality file (`red` or `white`) under `dataDir`. */
export const wineQualityFile = (dataDir: string, color: 'red' | 'white'): string =>
  join(dataDir, 'wine-quality', `winequality-${color}.csv`);

/** A data file a config names: absolute as given; relative against `dataDir` first, then the working directory. */
export function resolveDataPath(p: string, dataDir: string): string {
  if (isAbsolute(p)) return p;
  const inData = join(dataDir, p);
  return existsSync(inData) ? inData : resolve(p);
}
