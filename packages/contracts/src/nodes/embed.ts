import { datasetKey } from '../datasets.ts';
import { defineNode } from '../stage-node.ts';

/**
 * One instance per (text dataset, grid embedder). The section's `models` map defines named
 * embedders ('use-lite' and 'minilm' need none); an instance's config is the shared fields plus
 * its model's. The tweets' keys are the embedder (`use-lite`), another dataset's `<dataset>.<embedder>`.
 */
export const embedNode = defineNode({
  name: 'embed',
  description: 'sentence embeddings of the cleaned texts (USE-lite offline, or MiniLM) -> data/embed/<embedder>/',
  implementation: { package: '@tangent/embed', export: 'embedStage', cliExtension: 'embedCli' },
  inputs: [{ stage: 'text', files: ['train.arrow', 'test.arrow'] }],
  outputs: ['train.arrow', 'test.arrow'],
  externalInputs: [{ env: 'TANGENT_MODELS_DIR' }],
  instances({ grid, section, of }) {
    const { models = {}, ...shared } = section as { models?: Record<string, Record<string, unknown>> };
    return of('text').flatMap((text) =>
      grid.embedders.map((embedder) => ({
        key: datasetKey(text.point.dataset!, embedder),
        point: { dataset: text.point.dataset, embedder },
        config: { ...shared, ...(models[embedder] ?? { model: embedder }), name: embedder },
        deps: [text],
      })),
    );
  },
});
