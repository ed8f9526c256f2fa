import { runPredictionsFile } from '../mlp-run.ts';
import { defineNode } from '../stage-node.ts';

/** Reads every input's features (explained variance), kernel ridge, runs and submissions: one instance per profile. */
export const analysisNode = defineNode({
  name: 'analysis',
  description: 'compare kernel regression with the finite-width MLPs: figures, HTML report, summaries -> data/analysis/',
  implementation: { package: '@tangent/analysis', export: 'analysisStage' },
  inputs: [
    { stage: 'pca', files: ['train.arrow'] },
    {
      stage: 'ntk',
      files: ['metrics.json', 'cv.arrow', 'predictions.arrow', 'submission.csv', 'metrics-*.json', 'cv-*.arrow', 'predictions-*.arrow'],
    },
    { stage: 'mlp-submit', files: ['submission.csv'] },
    { stage: 'hybrid', files: ['metrics.json'] },
    {
      stage: 'mlp',
      files: [
        'history.arrow',
        'metrics.json',
        'diverged.json',
        runPredictionsFile('network'),
        runPredictionsFile('after-kernel'),
        runPredictionsFile('init-kernel'),
      ],
    },
  ],
  outputs: [
    'summary.json',
    'report.html',
    '*/report.html',
    '*/comparison.arrow',
    '*/summary.json',
    '*/figures/*.svg',
    'feature-learning/*.csv',
  ],
  folder: () => 'analysis',
  instances: ({ manifest, section, of }) => [
    {
      key: '',
      config: { ...section, grid: manifest.grid },
      deps: [...of('pca'), ...of('ntk'), ...of('mlp-submit'), ...of('mlp'), ...of('hybrid')],
    },
  ],
});
