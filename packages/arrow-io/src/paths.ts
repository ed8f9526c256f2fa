import { resolve } from 'node:path';

/**
 * Every location the project reads or writes, from environment variables with defaults
 * relative to the working directory (the workspace root when run through Nx).
 */
export const paths = {
  /** Raw datasets (Kaggle CSVs under nlp-getting-started/, wine-quality/, fashion-mnist/). */
  rawData(): string {
    return resolve(process.env.TANGENT_DATA_DIR ?? 'data/raw');
  },
  /** transformers.js local model root; undefined means "download from the Hub". */
  models(): string | undefined {
    const m = process.env.TANGENT_MODELS_DIR;
    return m ? resolve(m) : undefined;
  },
  /** Where stage artifacts go: data/<stage>/... */
  artifacts(...parts: string[]): string {
    return resolve(process.env.TANGENT_ARTIFACTS_DIR ?? 'data', ...parts);
  },
};
