import { isKaggleDataset } from '../datasets.ts';
import { defineNode } from '../stage-node.ts';

/**
 * Every Kaggle submission of the profile, checked and published together. The feature-learning
 * submissions are chosen by the analysis: only then does it read the analysis.
 */
export const submissionsNode = defineNode({
  name: 'submissions',
  description: 'check every Kaggle submission of the profile and publish them together -> data/submissions/',
  implementation: { package: '@tangent/analysis', export: 'submissionsStage' },
  section: null,
  inputs: [
    { stage: 'ntk', files: ['predictions.arrow', 'submission.csv'] },
    { stage: 'mlp-submit', files: ['submission.csv'] },
    { stage: 'analysis', files: ['feature-learning/*.csv'] },
  ],
  outputs: ['*.csv', 'index.json'],
  folder: () => 'submissions',
  instances({ manifest, of }) {
    const kaggle = of('ntk').filter((ntk) => isKaggleDataset(manifest.datasets, ntk.point.dataset));
    const finals = [...kaggle, ...of('mlp-submit')];
    if (!finals.length) return []; // no Kaggle dataset in the profile: nothing to submit
    const fl = (manifest.sections.analysis as { featureLearning?: { enabled?: boolean } }).featureLearning?.enabled === true;
    return [
      fl ? { key: '', config: { featureLearning: true }, deps: [...finals, ...of('analysis')] } : { key: '', config: {}, deps: finals },
    ];
  },
});
