import { inputKey, uniqueSorted } from '../grid.ts';
import { defineNode } from '../stage-node.ts';

/** One instance per (embedder, d): the input of the kernel and network stages, `use-lite-d128`. */
export const pcaNode = defineNode({
  name: 'pca',
  description: 'fit PCA on the train embeddings, project train/test to d dims, unit-normalise -> data/pca/<embedder>-d<d>/',
  implementation: { package: '@tangent/pca', export: 'pcaStage' },
  inputs: [{ stage: 'embed', files: ['train.arrow', 'test.arrow'] }],
  outputs: ['train.arrow', 'test.arrow'],
  instances: ({ grid, section, of }) =>
    of('embed').flatMap((embed) =>
      uniqueSorted(grid.d).map((d) => ({
        key: inputKey(embed.key, d),
        point: { embedder: embed.key, d },
        config: { ...section, embedder: embed.key, d },
        deps: [embed],
      })),
    ),
});
