/**
 * Fixtures for stage tests (`@tangent/contracts/testing`): an upstream stage's embedding-table
 * output laid down under $TANGENT_ARTIFACTS_DIR exactly as that stage would publish it (same
 * instance, identity and provenance), so a test can start the pipeline at any stage.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTable, fixedSizeListVector } from '@tangent/arrow-io';
import { rng } from '@tangent/linalg';
import { embeddingSchema } from './embedding-table.ts';
import type { KrrKernel, KrrMetrics } from './krr.ts';
import { publishOutputs } from './define-stage.ts';
import { findInstance, pipelineInstances } from './instances.ts';
import { resolveManifest } from './manifest.ts';

export interface ToyTable {
  ids: Int32Array;
  /** Row-major rows × dim. */
  X: Float32Array;
  target: Array<number | null>;
}

/**
 * The `stage` instance `key` of `manifest` (embed: the embedder; pca: `<embedder>-d<d>`):
 * `dim`-wide Gaussian rows (scaled to unit norm with `unitNorm`, as pca writes them), `nTrain`
 * train rows with alternating 0/1 labels and `nTest` unlabelled test rows, drawn with `seed`;
 * `inputs` are recorded as the files it was made from.
 */
export async function publishToyEmbeddings(
  manifest: Record<string, unknown>,
  opts: {
    stage?: 'embed' | 'pca';
    key?: string;
    seed?: number;
    dim?: number;
    nTrain?: number;
    nTest?: number;
    unitNorm?: boolean;
    inputs?: string[];
  } = {},
): Promise<{ train: ToyTable; test: ToyTable }> {
  const { stage = 'embed', key = 'toy', seed = 5, dim = 8, nTrain = 40, nTest = 10, unitNorm = false, inputs = [] } = opts;
  const r = rng(seed);
  const schema = embeddingSchema(dim);
  const make = (split: 'train' | 'test', n: number): ToyTable => {
    const X = Float32Array.from({ length: n * dim }, () => r.normal());
    if (unitNorm)
      for (let i = 0; i < n; i++) {
        const row = X.subarray(i * dim, (i + 1) * dim);
        const norm = Math.hypot(...row);
        for (let k = 0; k < dim; k++) row[k] /= norm;
      }
    const ids = Int32Array.from({ length: n }, (_, i) => i + (split === 'test' ? 100 * Math.ceil((nTrain + 1) / 100) : 0)); // test ids after train's
    const target = Array.from({ length: n }, (_, i) => (split === 'train' ? i % 2 : null));
    return { ids, X, target };
  };
  const data = { train: make('train', nTrain), test: make('test', nTest) };
  const file = (split: 'train' | 'test') => ({
    name: `${split}.arrow`,
    schema,
    table: buildTable(schema, {
      id: data[split].ids,
      split: new Array(data[split].ids.length).fill(split),
      target: data[split].target,
      embedding: fixedSizeListVector(data[split].X, dim),
    }),
    dtype: 'float32',
    seed: null,
  });
  const m = resolveManifest(manifest);
  const inst = findInstance(pipelineInstances(m), stage, key);
  if (!inst) throw new Error(`publishToyEmbeddings: the manifest makes no ${stage} instance '${key}'`);
  await publishOutputs(
    { name: stage, version: '1', outputs: ['train.arrow', 'test.arrow'] },
    m,
    inst,
    { files: [file('train'), file('test')] },
    inputs,
  );
  return data;
}

/**
 * A fresh $TANGENT_ARTIFACTS_DIR per test:
 *   const artifacts = tempArtifacts('pca-');
 *   beforeEach(() => (dir = artifacts.enter()));
 *   afterEach(() => artifacts.exit());
 * `enter` makes a folder under os.tmpdir() and points the variable at it; `exit` restores it.
 */
export function tempArtifacts(prefix: string): { enter(): string; exit(): void } {
  const prev = process.env.TANGENT_ARTIFACTS_DIR;
  return {
    enter() {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      process.env.TANGENT_ARTIFACTS_DIR = dir;
      return dir;
    },
    exit() {
      if (prev === undefined) delete process.env.TANGENT_ARTIFACTS_DIR;
      else process.env.TANGENT_ARTIFACTS_DIR = prev;
    },
  };
}

/** An ntk stage metrics.json (KrrMetrics) for analysis tests: the given eval scores, the rest plausible constants. */
export function krrMetricsFixture(o: {
  input?: string;
  kernel?: KrrKernel;
  accuracy: number;
  f1?: number;
  evalRows?: number;
  loo?: boolean;
}): KrrMetrics {
  return {
    input: o.input ?? 'x',
    kernel: o.kernel ?? 'ntk',
    activation: 'relu',
    depth: 2,
    sigma_w: 1,
    sigma_b: 0,
    label_coding: 'pm1',
    select_by: 'f1',
    chosen_lambda: 0.1,
    cv: { solver: 'eigh', folds: 5, accuracy: { mean: 0.8, sd: 0.01 }, f1: { mean: 0.75, sd: 0.01 } },
    loo: o.loo ? { computed: true, accuracy: 0.8, f1: 0.75, mse: 0.3 } : { computed: false, accuracy: null, f1: null, mse: null },
    eval: { rows: o.evalRows ?? 1500, accuracy: o.accuracy, f1: o.f1 ?? 0.75, fit_rows: 6000 },
    test: { rows: 3263, predicted_positive: 1200, refit_rows: 7613 },
    timings: {},
    backend: {},
  };
}
