/**
 * Fixtures for the CLI's tests: upstream artifacts laid down under $TANGENT_ARTIFACTS_DIR exactly
 * as their stage would publish them (same instance, identity and provenance), so a test can start
 * the pipeline at any stage without a real model.
 */
import { buildTable, fixedSizeListVector } from '@tangent/arrow-io';
import { embeddingSchema, findInstance, pipelineInstances, publishOutputs, resolveManifest } from '@tangent/contracts';
import { rng } from '@tangent/linalg';

/**
 * The embed stage's output for embedder 'toy' of `manifest`: `dim`-wide Gaussian vectors, 40 train
 * rows (alternating labels) and 10 test rows, drawn with `seed`; `inputs` are recorded as the
 * files it was made from.
 */
export async function publishToyEmbeddings(
  manifest: Record<string, unknown>,
  opts: { seed?: number; dim?: number; inputs?: string[] } = {},
): Promise<void> {
  const { seed = 5, dim = 8, inputs = [] } = opts;
  const r = rng(seed);
  const schema = embeddingSchema(dim);
  const make = (split: 'train' | 'test', n: number) => ({
    name: `${split}.arrow`,
    schema,
    table: buildTable(schema, {
      id: Int32Array.from({ length: n }, (_, i) => i + (split === 'test' ? 100 : 0)),
      split: new Array(n).fill(split),
      target: Array.from({ length: n }, (_, i) => (split === 'train' ? i % 2 : null)),
      embedding: fixedSizeListVector(
        Float32Array.from({ length: n * dim }, () => r.normal()),
        dim,
      ),
    }),
    dtype: 'float32',
    seed: null,
  });
  const m = resolveManifest(manifest);
  await publishOutputs(
    { name: 'embed', version: '1', outputs: ['train.arrow', 'test.arrow'] },
    m,
    findInstance(pipelineInstances(m), 'embed', 'toy')!,
    { files: [make('train', 40), make('test', 10)] },
    inputs,
  );
}
