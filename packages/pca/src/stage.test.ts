import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTable, fixedSizeListVector, readArtifact, readFixedSizeList, writeArtifact } from '@tangent/arrow-io';
import { rng } from '@tangent/linalg';
import { PCA } from 'ml-pca';
import { describe, expect, it } from 'vitest';
import { pcaConfigSchema } from './config.ts';
import { embeddingArtifactSchema } from './schema.ts';
import { runPca } from './stage.ts';
import { loadPcaConfig } from './cli.ts';

const D = 24;
const meta = { stage: 'embed', stageVersion: '1', configHash: 'x', config: {}, inputs: {}, dtype: 'float32', seed: 1 };

function fakeEmbed(dir: string, dim = D, sizes = { train: 120, test: 40 }) {
  const r = rng(9);
  const mix = r.fillNormal(new Float64Array(5 * dim));
  for (const split of ['train', 'test'] as const) {
    const n = sizes[split];
    const emb = new Float32Array(n * dim);
    for (let i = 0; i < n; i++)
      for (let q = 0; q < 5; q++) {
        const z = r.normal() * (5 - q);
        for (let j = 0; j < dim; j++) emb[i * dim + j] += z * mix[q * dim + j] + 0.1 * r.normal();
      }
    const table = buildTable(embeddingArtifactSchema('embed', dim), {
      id: Int32Array.from({ length: n }, (_, i) => (split === 'train' ? i : 1000 + i)),
      split: new Array(n).fill(split),
      target: Array.from({ length: n }, (_, i) => (split === 'train' ? i % 2 : null)),
      embedding: fixedSizeListVector(emb, dim),
    });
    writeArtifact(join(dir, `${split}.arrow`), embeddingArtifactSchema('embed', dim), table, meta);
  }
}

describe('runPca', () => {
  it('writes unit-norm d-dim embeddings for both splits with ids, targets and provenance', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pca-'));
    fakeEmbed(join(dir, 'in'));
    const cfg = pcaConfigSchema.parse({ embedder: 'fake', d: 6 });
    const res = await runPca(cfg, { inputDir: join(dir, 'in'), outputDir: join(dir, 'out') });
    const schema = embeddingArtifactSchema('pca', 6);
    const train = readArtifact(res.outputs.train, schema);
    const test = readArtifact(res.outputs.test, schema);
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
    // Ratios agree with ml-pca fitted on the train embeddings alone.
    const tr = readArtifact(join(dir, 'in', 'train.arrow'), embeddingArtifactSchema('embed', D));
    const raw = readFixedSizeList(tr.table, 'embedding');
    const oracle = new PCA(Array.from({ length: raw.rows }, (_, i) => Array.from(raw.values.subarray(i * D, (i + 1) * D))));
    const want = oracle.getExplainedVariance().slice(0, 6);
    x.explainedVarianceRatio.forEach((v, k) => expect(v).toBeCloseTo(want[k], 10));

    const trans = await runPca({ ...cfg, transductive: true }, { inputDir: join(dir, 'in'), outputDir: join(dir, 'out-t') });
    expect((trans.meta.train.extra as { fitRows: number }).fitRows).toBe(160);
    expect(trans.meta.train.extra!.componentsHash).not.toBe(x.componentsHash);
  });

  it('fails clearly on a missing input, a too-large d, and leaves no output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pca-'));
    await expect(runPca(pcaConfigSchema.parse({}), { inputDir: join(dir, 'nope'), outputDir: join(dir, 'out') })).rejects.toThrowError(
      /train\.arrow: file not found.*tangent embed/,
    );
    fakeEmbed(join(dir, 'in'), 8);
    await expect(runPca(pcaConfigSchema.parse({ d: 16 }), { inputDir: join(dir, 'in'), outputDir: join(dir, 'out') })).rejects.toThrowError(
      /d=16 exceeds the embedding dimension 8/,
    );
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('config: defaults, overrides and one-line validation errors', () => {
    expect(pcaConfigSchema.parse({})).toEqual({ embedder: 'use-lite', d: 128, transductive: false });
    expect(loadPcaConfig('configs/pipeline/pca.yaml')).toEqual({ embedder: 'use-lite', d: 128, transductive: false });
    expect(loadPcaConfig('configs/pipeline/pca.yaml', { d: 64 }).d).toBe(64);
    expect(() => loadPcaConfig('configs/pipeline/pca.yaml', { d: -3 })).toThrowError(/field 'd'/);
    expect(() => pcaConfigSchema.parse({ dims: 3 })).toThrow();
    expect(() => loadPcaConfig('configs/pipeline/missing.yaml')).toThrowError(/config file not found/);
  });
});
