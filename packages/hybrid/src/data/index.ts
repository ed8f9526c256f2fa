import { fail } from '@tangent/base';
import type { DataConfig } from '../config.ts';
import type { Dataset } from './dataset.ts';
import { loadWine } from './wine.ts';
import { loadFashionMnist } from './fashion-mnist.ts';
import { loadCsv } from './csv.ts';

export * from './dataset.ts';
export * from './wine.ts';
export * from './fashion-mnist.ts';
export * from './csv.ts';

/** The loader chosen by `data.kind`; `seed` drives the train/test split of tabular data. */
export function loadDataset(cfg: DataConfig, seed: number, dataDir?: string): Dataset {
  switch (cfg.kind) {
    case 'wine':
      return loadWine({ ...cfg, seed, dataDir });
    case 'fashion_mnist':
      return loadFashionMnist({ ...cfg, dataDir });
    case 'csv':
      return loadCsv({ ...cfg, seed, dataDir });
    default:
      fail(`data.kind: unknown kind ${JSON.stringify((cfg as { kind: unknown }).kind)}`);
  }
}
