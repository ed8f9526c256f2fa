import { defineNode } from '../stage-node.ts';

/** One instance per pca input: the analytical kernels' ridge regression and the shared split. */
export const ntkNode = defineNode({
  name: 'ntk',
  description: 'analytical NTK/NNGP Gram + kernel ridge regression with cross-validated λ -> data/ntk/<embedder>-d<d>/',
  implementation: { package: '@tangent/ntk', export: 'ntkStage' },
  inputs: [{ stage: 'pca', files: ['train.arrow', 'test.arrow'] }],
  outputs: [
    'split.arrow',
    'cv.arrow',
    'predictions.arrow',
    'metrics.json',
    'submission.csv',
    'cv-*.arrow',
    'predictions-*.arrow',
    'metrics-*.json',
  ],
  instances: ({ section, of }) =>
    of('pca').map((pca) => ({ key: pca.key, point: pca.point, config: { ...section, input: pca.key }, deps: [pca] })),
});
