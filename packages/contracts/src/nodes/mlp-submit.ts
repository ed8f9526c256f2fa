import { isKaggleDataset } from '../datasets.ts';
import { lrsAt } from '../grid.ts';
import { defineNode } from '../stage-node.ts';
import { mlpSubmits } from './mlp.ts';

/**
 * Per (input, width): a network trained on all of train (the pca features alone). It reads the
 * width's grid runs only to choose among several learning rates, so with one rate it starts as
 * soon as the features exist.
 */
export const mlpSubmitNode = defineNode({
  name: 'mlp-submit',
  description: "per width: a network trained on all of train at the width's best learning rate -> data/mlp/<input>/submit-w<width>/",
  implementation: { package: '@tangent/mlp', export: 'mlpSubmitStage' },
  section: 'mlp',
  inputs: [
    { stage: 'pca', files: ['train.arrow', 'test.arrow'] },
    { stage: 'mlp', files: ['metrics.json', 'diverged.json'] },
  ],
  outputs: ['submission.csv', 'submit.json'],
  folder: (key) => `mlp/${key}`,
  batch: true,
  instances({ manifest, grid, section, of }) {
    if (!mlpSubmits(section)) return [];
    const gridRuns = of('mlp').filter((r) => r.point.regime === undefined);
    // a Kaggle submission is for the competition's (unlabelled) test rows only
    const kaggle = of('pca').filter((pca) => isKaggleDataset(manifest.datasets, pca.point.dataset));
    return kaggle.flatMap((pca) => {
      const runs = gridRuns.filter((r) => r.key.startsWith(`${pca.key}/`));
      const widths = [...new Set(runs.map((r) => r.point.width!))];
      return widths.map((width) => {
        const lrs = lrsAt(grid, width);
        return {
          key: `${pca.key}/submit-w${width}`,
          point: { ...pca.point, width },
          config: { ...section, input: pca.key, width, lrs, seeds: grid.seeds },
          deps: [pca, ...(lrs.length > 1 ? runs.filter((r) => r.point.width === width) : [])],
        };
      });
    });
  },
});
