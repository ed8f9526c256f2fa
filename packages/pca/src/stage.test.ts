import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTable, fixedSizeListVector, readArtifact, readFixedSizeList } from '@tangent/arrow-io';
import {
  embeddingSchema,
  findInstance,
  pipelineInstances,
  publishOutputs,
  resolveManifest,
  runStage,
  type Instance,
} from '@tangent/contracts';
import { rng } from '@tangent/linalg';
import { PCA } from 'ml-pca';
import { pcaConfigSchema } from './config.ts';
import { pcaStage } from './stage.ts';
import { tempArtifacts } from '@tangent/contracts/testing';

const D = 24;
const EMBEDDER = 'fake';

let dir = '';
const artifacts = tempArtifacts('pca-');
beforeEach(() => (dir = artifacts.enter()));
afterEach(() => artifacts.exit());

/** A manifest object with one embedder and the given PCA dimensions (plus any section overrides). */
const manifestFor = (d: number[], extra: Record<string, unknown> = {}) => ({ grid: { embedders: [EMBEDDER], d }, ...extra });

const instance = (raw: Record<string, unknown>, stage: 'embed' | 'pca' | 'ntk', key: string): Instance =>
  findInstance(pipelineInstances(resolveManifest(raw)), stage, key)!;

/** Synthetic embed artifacts (5 latent directions + noise), published as the embed instance of `raw`. */
async function fakeEmbed(raw: Record<string, unknown>, dim = D, sizes = { train: 120, test: 40 }) {
  const r = rng(9);
  const mix = r.fillNormal(new Float64Array(5 * dim));
  const schema = embeddingSchema(dim);
  const files = (['train', 'test'] as const).map((split) => {
    const n = sizes[split];
    const emb = new Float32Array(n * dim);
    for (let i = 0; i < n; i++)
      for (let q = 0; q < 5; q++) {
        const z = r.normal() * (5 - q);
        for (let j = 0; j < dim; j++) emb[i * dim + j] += z * mix[q * dim + j] + 0.1 * r.normal();
      }
    const table = buildTable(schema, {
      id: Int32Array.from({ length: n }, (_, i) => (split === 'train' ? i : 1000 + i)),
      split: new Array(n).fill(split),
      target: Array.from({ length: n }, (_, i) => (split === 'train' ? i % 2 : null)),
      embedding: fixedSizeListVector(emb, dim),
    });
    return { name: `${split}.arrow`, schema, table, dtype: 'float32', seed: null };
  });
  await publishOutputs(
    { name: 'embed', version: '1', outputs: ['train.arrow', 'test.arrow'] },
    resolveManifest(raw),
    instance(raw, 'embed', EMBEDDER),
    { files },
  );
}

describe('pca stage (runStage)', () => {
  it('writes unit-norm d-dim embeddings for both splits with ids, targets and provenance', async () => {
    const raw = manifestFor([6]);
    await fakeEmbed(raw);
    const [res] = await runStage(pcaStage, { manifest: raw, key: `${EMBEDDER}-d6` });
    expect(res.outDir).toBe(join(dir, 'pca', `${EMBEDDER}-d6`));
    expect(readdirSync(res.outDir).sort()).toEqual(['test.arrow', 'train.arrow']);
    const schema = embeddingSchema(6);
    const train = readArtifact(join(res.outDir, 'train.arrow'), schema);
    const test = readArtifact(join(res.outDir, 'test.arrow'), schema);
    expect(train.table.numRows).toBe(120);
    expect(test.table.numRows).toBe(40);
    expect(test.table.getChild('id')!.get(3)).toBe(1003);
    expect(test.table.getChild('target')!.get(0)).toBeNull();
    expect(train.table.getChild('target')!.get(3)).toBe(1);
    const e = readFixedSizeList(test.table, 'embedding');
    expect(e.dim).toBe(6);
    for (let i = 0; i < e.rows; i++) {
      let s = 0;
      for (let j = 0; j < 6; j++) s += e.values[i * 6 + j] ** 2;
      expect(Math.sqrt(s)).toBeCloseTo(1, 5);
    }
    const x = train.meta.extra as {
      explainedVarianceRatio: number[];
      d: number;
      inputDim: number;
      componentsHash: string;
      fitRows: number;
    };
    expect(x.d).toBe(6);
    expect(x.inputDim).toBe(D);
    expect(x.fitRows).toBe(120);
    expect(x.componentsHash).toMatch(/^[0-9a-f]{64}$/);
    expect(train.meta.dtype).toBe('float32');
    // Provenance: the pca instance of this manifest, reading the embed files it was given.
    const meta = train.meta as typeof train.meta & { identity: string; key: string; kind: string };
    expect(meta.stage).toBe('pca');
    expect(meta.key).toBe(`${EMBEDDER}-d6`);
    expect(meta.kind).toBe('train');
    expect(meta.identity).toBe(instance(raw, 'pca', `${EMBEDDER}-d6`).identity);
    expect(Object.keys(meta.inputs).sort()).toEqual([
      expect.stringMatching(/embed[/\\]fake[/\\]test\.arrow$/),
      expect.stringMatching(/embed[/\\]fake[/\\]train\.arrow$/),
    ]);
    // Ratios agree with ml-pca fitted on the train embeddings alone.
    const tr = readArtifact(join(dir, 'embed', EMBEDDER, 'train.arrow'), embeddingSchema(D));
    const rawE = readFixedSizeList(tr.table, 'embedding');
    const oracle = new PCA(Array.from({ length: rawE.rows }, (_, i) => Array.from(rawE.values.subarray(i * D, (i + 1) * D))));
    const want = oracle.getExplainedVariance().slice(0, 6);
    x.explainedVarianceRatio.forEach((v, k) => expect(v).toBeCloseTo(want[k], 10));

    // Transductive: the same embed artifacts (same embed identity), axes fitted on train + test.
    const [trans] = await runStage(pcaStage, { manifest: manifestFor([6], { pca: { transductive: true } }), key: `${EMBEDDER}-d6` });
    const tx = readArtifact(join(trans.outDir, 'train.arrow'), schema).meta.extra as typeof x;
    expect(tx.fitRows).toBe(160);
    expect(tx.componentsHash).not.toBe(x.componentsHash);
  });

  it('runs every d of the grid into its own folder', async () => {
    const raw = manifestFor([3, 5]);
    await fakeEmbed(raw);
    const res = await runStage(pcaStage, { manifest: raw });
    expect(res.map((r) => r.outDir)).toEqual([join(dir, 'pca', `${EMBEDDER}-d3`), join(dir, 'pca', `${EMBEDDER}-d5`)]);
    for (const d of [3, 5])
      expect(
        readFixedSizeList(readArtifact(join(dir, 'pca', `${EMBEDDER}-d${d}`, 'test.arrow'), embeddingSchema(d)).table, 'embedding').dim,
      ).toBe(d);
  });

  it('fails clearly on a missing input, a too-large d, and leaves no output', async () => {
    await expect(runStage(pcaStage, { manifest: manifestFor([6]), key: `${EMBEDDER}-d6` })).rejects.toThrowError(
      /embed[/\\]fake[/\\]train\.arrow: not found; rerun its stage: npx tangent embed --key fake/,
    );
    const raw = manifestFor([16]);
    await fakeEmbed(raw, 8);
    await expect(runStage(pcaStage, { manifest: raw, key: `${EMBEDDER}-d16` })).rejects.toThrowError(
      /grid\.d contains 16, more than the input dimension 8 .*choose d <= 8/,
    );
    expect(existsSync(join(dir, 'pca'))).toBe(false);
  });

  it('config: defaults, and one-line validation errors naming the manifest field', async () => {
    expect(pcaConfigSchema.parse({ embedder: 'e', d: 4 })).toEqual({ embedder: 'e', d: 4, transductive: false });
    expect(() => pcaConfigSchema.parse({ embedder: 'e', d: 4, dims: 3 })).toThrow();
    expect(() => pcaConfigSchema.parse({ embedder: 'e', d: -3 })).toThrow();
    const raw = manifestFor([6], { pca: { transductive: 'yes' } });
    await fakeEmbed(raw);
    await expect(runStage(pcaStage, { manifest: raw, key: `${EMBEDDER}-d6` })).rejects.toThrowError(
      /^\(manifest object\): section 'pca', field 'transductive': /,
    );
    expect(() => resolveManifest(manifestFor([-3]))).toThrowError(/field 'd\.0'/);
    expect(existsSync(join(dir, 'pca'))).toBe(false);
  });
});
