import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Field, Int32, Int8, Utf8 } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTable, defineSchema, embeddingType, fixedSizeListVector, readArtifact, writeArtifact } from '@tangent/arrow-io';
import { rng } from '@tangent/linalg';
import { mlpConfigSchema, type MlpConfig } from './config.ts';
import { historySchema, prepareData, readRunMetrics, runMlpRun, runMlpSubmission, runMlpSummary } from './stage.ts';

const D = 6;
const meta = { stage: 'test', stageVersion: '0', configHash: '', config: {}, inputs: {}, dtype: 'float32', seed: 0 };
let dir = '';
const prev = process.env.TANGENT_ARTIFACTS_DIR;

function writeFeatures(path: string, ids: number[], targets: Array<number | null>, seed: number) {
  const r = rng(seed);
  const X = new Float32Array(ids.length * D);
  for (let i = 0; i < ids.length; i++) {
    let s = 0;
    for (let j = 0; j < D; j++) s += (X[i * D + j] = r.normal() + (targets[i] === 1 && j === 0 ? 1.5 : 0)) ** 2;
    for (let j = 0; j < D; j++) X[i * D + j] /= Math.sqrt(s);
  }
  const schema = defineSchema('pca', [
    new Field('id', new Int32(), false),
    new Field('split', new Utf8(), false),
    new Field('target', new Int8(), true),
    new Field('embedding', embeddingType(D), false),
  ]);
  writeArtifact(
    path,
    schema,
    buildTable(schema, {
      id: Int32Array.from(ids),
      split: ids.map(() => (targets[0] === null ? 'test' : 'train')),
      target: targets,
      embedding: fixedSizeListVector(X, D),
    }),
    meta,
  );
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlp-stage-'));
  process.env.TANGENT_ARTIFACTS_DIR = dir;
  const ids = Array.from({ length: 80 }, (_, i) => 100 + i);
  const t = ids.map((_, i) => (i % 3 === 0 ? 1 : 0));
  writeFeatures(join(dir, 'pca', 'toy', 'train.arrow'), ids, t, 1);
  writeFeatures(join(dir, 'pca', 'toy', 'test.arrow'), [7, 3, 9, 1, 5], [null, null, null, null, null], 2);
  const splitSchema = defineSchema('split', [
    new Field('id', new Int32(), false),
    new Field('role', new Utf8(), false),
    new Field('fold', new Int8(), false),
  ]);
  writeArtifact(
    join(dir, 'ntk', 'split.arrow'),
    splitSchema,
    buildTable(splitSchema, {
      id: Int32Array.from(ids),
      role: ids.map((_, i) => (i % 5 === 4 ? 'eval' : 'fit')),
      fold: Int8Array.from(ids, (_, i) => i % 3),
    }),
    meta,
  );
  mkdirSync(join(dir, 'ntk', 'toy'), { recursive: true });
  writeFileSync(join(dir, 'ntk', 'toy', 'metrics.json'), JSON.stringify({ eval: { accuracy: 0.8, f1: 0.7, rows: 16 } }));
});
afterAll(() => {
  if (prev === undefined) delete process.env.TANGENT_ARTIFACTS_DIR;
  else process.env.TANGENT_ARTIFACTS_DIR = prev;
});

const config = (): MlpConfig =>
  mlpConfigSchema.parse({
    input: 'toy',
    split: join(dir, 'ntk', 'split.arrow'),
    widths: [8, 64],
    seeds: [0, 1],
    lrs: [1],
    lrSweep: { widths: [8], lrs: [0.5] },
    train: { epochs: 15 },
    tracking: { size: 24, every: 5 },
  });

describe('mlp stage on synthetic artifacts', () => {
  it('runs, caches by key, writes the submission and the exact summary layout', async () => {
    const c = config();
    const data = prepareData(c);
    expect(data.fit.X.rows).toBe(64);
    expect(data.eval.X.rows).toBe(16);
    for (const width of c.widths)
      for (const seed of c.seeds) for (const lr of width === 8 ? [0.5, 1] : [1]) await runMlpRun(c, { width, seed, lr }, data);
    const p = join(dir, 'mlp', 'w64-s0-lr1');
    const m = JSON.parse(readFileSync(join(p, 'metrics.json'), 'utf8'));
    expect(m.lr_natural).toBeCloseTo(1, 10);
    expect(m.kernel_init_error).toBeGreaterThan(0);
    expect(m.kernel_init_error).toBeLessThan(0.5);
    expect(m.provenance.seed).toBe(0);
    expect(m.provenance.config.run).toEqual({ width: 64, seed: 0, lr: 1 });
    const { table, meta: hm } = readArtifact(join(p, 'history.arrow'), historySchema);
    expect(table.numRows).toBe(16);
    expect(hm.dtype).toMatch(/float32/);
    const mtime = statSync(join(p, 'metrics.json')).mtimeMs;
    const again = await runMlpRun(c, { width: 64, seed: 0, lr: 1 }, data);
    expect(again.cached).toBe(true);
    expect(statSync(join(p, 'metrics.json')).mtimeMs).toBe(mtime);

    const s = await runMlpSubmission(c, 8, data);
    const csv = readFileSync(s.path, 'utf8').trim().split('\n');
    expect(csv[0]).toBe('id,target');
    expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(['7', '3', '9', '1', '5']);
    expect(csv.slice(1).every((l) => /^\d+,[01]$/.test(l))).toBe(true);

    const { summary } = runMlpSummary(c);
    expect(Object.keys(summary)).toEqual(['ntk_accuracy', 'ntk_f1', 'widths', 'delta_theta_loglog_slope', 'diverged_runs']);
    expect(summary.diverged_runs).toEqual([]);
    expect(summary.ntk_accuracy).toBe(0.8);
    expect(summary.widths.map((w) => w.width)).toEqual([8, 64]);
    expect(Object.keys(summary.widths[0])).toEqual([
      'width',
      'seeds',
      'delta_theta_mean',
      'delta_theta_sd',
      'accuracy_mean',
      'accuracy_sd',
      'f1_mean',
      'kernel_init_error_mean',
    ]);
    expect(summary.widths[1].delta_theta_mean).toBeLessThan(summary.widths[0].delta_theta_mean);
    expect(summary.delta_theta_loglog_slope).toBeLessThan(0);
  });

  it('a diverging run fails with the lr to try and leaves other runs untouched', async () => {
    const c = config();
    const before = readFileSync(join(dir, 'mlp', 'w64-s0-lr1', 'metrics.json'), 'utf8');
    await expect(runMlpRun(c, { width: 64, seed: 0, lr: 7 })).rejects.toThrowError(/diverged at epoch \d+.*rerun with --lr 1\.75/);
    // Recorded, so the summary and submissions skip it and a rerun fails fast with the same advice.
    const rec = JSON.parse(readFileSync(join(dir, 'mlp', 'w64-s0-lr7', 'diverged.json'), 'utf8'));
    expect(rec.message).toMatch(/rerun with --lr 1\.75/);
    expect(existsSync(join(dir, 'mlp', 'w64-s0-lr7', 'metrics.json'))).toBe(false);
    expect(readRunMetrics({ width: 64, seed: 0, lr: 7 })).toBeNull();
    await expect(runMlpRun(c, { width: 64, seed: 0, lr: 7 })).rejects.toThrowError(rec.message);
    expect(readFileSync(join(dir, 'mlp', 'w64-s0-lr1', 'metrics.json'), 'utf8')).toBe(before);
  });

  it('names the missing upstream artifact', () => {
    const c = mlpConfigSchema.parse({ input: 'nope', split: join(dir, 'ntk', 'split.arrow') });
    expect(() => prepareData(c)).toThrowError(/pca\/nope\/train\.arrow: file not found.*run the pca stage first/);
  });
});
