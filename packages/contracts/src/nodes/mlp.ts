import { runKey, regimeRunPoints, runPoints } from '../grid.ts';
import { deepMerge } from '../deep-merge.ts';
import { runPredictionsFile } from '../mlp-run.ts';
import { defineNode, type InstanceSpec } from '../stage-node.ts';

/** The mlp section without `submission` (mlp-submit's part): what every run's config starts from. */
export const mlpRunSection = (section: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(section).filter(([k]) => k !== 'submission'));

/** Whether the section makes per-width submissions (mlp-submit instances). */
export const mlpSubmits = (section: Record<string, unknown>): boolean =>
  (section.submission as { enabled?: boolean } | undefined)?.enabled !== false;

/**
 * The training runs: per pca input, the grid's runs (`<input>/w<m>-s<seed>-lr<c>`) and each
 * regime's (`<input>/<regime>/w<m>-…`, the section deep-merged with the regime's `mlp`). Where a
 * submitted width runs several rates, mlp-submit chooses among them by the runs' fit-rows score
 * (the selection protocol's fold 0: train.validation), so those runs, and only those, score it.
 */
export const mlpNode = defineNode({
  name: 'mlp',
  description: 'finite-width two-layer MLPs in NTK parameterisation with empirical-NTK tracking -> data/mlp/<input>/<run>/',
  implementation: { package: '@tangent/mlp', export: 'mlpStage' },
  inputs: [
    { stage: 'pca', files: ['train.arrow', 'test.arrow'] },
    { stage: 'ntk', files: ['split.arrow', 'metrics.json', 'cv.arrow'] },
  ],
  outputs: [
    'history.arrow',
    runPredictionsFile('network'),
    runPredictionsFile('after-kernel'),
    runPredictionsFile('init-kernel'),
    'metrics.json',
    'diverged.json',
  ],
  folder: (key) => `mlp/${key}`,
  batch: true,
  instances({ manifest, grid, section, of }) {
    const shared = mlpRunSection(section);
    const ntks = new Map(of('ntk').map((n) => [n.key, n]));
    const out: InstanceSpec[] = [];
    for (const pca of of('pca')) {
      const input = pca.key;
      const deps = [pca, ntks.get(input)!];
      const points = runPoints(grid, pca.point.d);
      for (const r of points) {
        const rates = new Set(points.filter((p) => p.width === r.width).map((p) => p.lr)).size;
        const train = (shared.train ?? {}) as { validation?: string };
        const choose = mlpSubmits(section) && rates > 1 && (train.validation ?? 'none') === 'none';
        const config = choose ? { ...shared, train: { ...train, validation: 'score' } } : shared;
        out.push({ key: `${input}/${runKey(r)}`, point: { ...pca.point, ...r }, config: { ...config, input, run: r }, deps });
      }
      for (const [regime, spec] of Object.entries(manifest.regimes)) {
        const config = deepMerge(shared, spec.mlp);
        for (const r of regimeRunPoints(grid, spec))
          out.push({
            key: `${input}/${regime}/${runKey(r)}`,
            point: { ...pca.point, ...r, regime },
            config: { ...config, input, run: r },
            deps,
          });
      }
    }
    return out;
  },
});
