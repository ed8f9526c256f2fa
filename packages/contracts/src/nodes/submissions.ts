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
    const finals = [...of('ntk'), ...of('mlp-submit')];
    const fl = (manifest.sections.analysis as { featureLearning?: { enabled?: boolean } }).featureLearning?.enabled === true;
    return [
      fl ? { key: '', config: { featureLearning: true }, deps: [...finals, ...of('analysis')] } : { key: '', config: {}, deps: finals },
    ];
  },
});
