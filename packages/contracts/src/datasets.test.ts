import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pipelineInstances } from './instances.ts';
import { datasetKey, datasetNameProblem } from './datasets.ts';
import { resolveManifest } from './manifest.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'datasets-'));
writeFileSync(join(dataDir, 'spam.tsv'), 'ham\thello\nspam\twin now\n');
writeFileSync(join(dataDir, 'table.csv'), 'a,b,y\n1,2,x\n3,4,z\n');

const datasets = {
  spam: { kind: 'text-csv', path: 'spam.tsv', delimiter: '\t', header: false, columns: { label: 0, text: 1 } },
  table: { kind: 'table-csv', path: 'table.csv', columns: { label: 'y' } },
  flat: { kind: 'table-csv', path: 'table.csv', columns: { label: 'y' }, preprocess: 'none' },
};
const base = { grid: { d: [2, 4], widths: [8], seeds: [0], lrs: [1], lrSweep: { widths: [], lrs: [] } }, datasets };
const keysOf = (raw: Record<string, unknown>, stage: string) =>
  pipelineInstances(resolveManifest(raw), { dataDir })
    .filter((i) => i.stage === stage)
    .map((i) => i.key);

describe('datasets in the manifest', () => {
  it('the tweets (the default) keep unprefixed keys; naming them in the grid changes no instance but the analysis (its config holds the grid)', () => {
    const implicit = pipelineInstances(resolveManifest(base), { dataDir });
    const explicit = pipelineInstances(resolveManifest({ ...base, grid: { ...base.grid, datasets: ['tweets'] } }), { dataDir });
    expect(implicit.filter((i) => i.stage === 'pca').map((i) => i.key)).toEqual(['use-lite-d2', 'use-lite-d4']);
    const differ = implicit.filter((i, k) => explicit[k].identity !== i.identity).map((i) => i.stage);
    expect(differ).toEqual(['analysis']);
  });

  it("a text dataset's instances are prefixed with its name and go text → embed → pca", () => {
    const raw = { ...base, grid: { ...base.grid, datasets: ['tweets', 'spam'] } };
    expect(keysOf(raw, 'text')).toEqual(['', 'spam']);
    expect(keysOf(raw, 'embed')).toEqual(['use-lite', 'spam.use-lite']);
    expect(keysOf(raw, 'pca')).toEqual(['use-lite-d2', 'use-lite-d4', 'spam.use-lite-d2', 'spam.use-lite-d4']);
    expect(keysOf(raw, 'mlp')).toContain('spam.use-lite-d4/w8-s0-lr1');
    const inst = pipelineInstances(resolveManifest(raw), { dataDir });
    const text = inst.find((i) => i.stage === 'text' && i.key === 'spam')!;
    expect(text.dir).toBe('text/spam');
    expect(text.config.dataset).toMatchObject({ name: 'spam', kind: 'text-csv', testFraction: 0.2, seed: 0 });
    // the raw file's bytes are its identity: another file, another identity downstream
    writeFileSync(join(dataDir, 'spam.tsv'), 'ham\thello\nspam\twin now!\n');
    const after = pipelineInstances(resolveManifest(raw), { dataDir });
    const changed = after.filter((i, k) => inst[k].identity !== i.identity).map((i) => `${i.stage}:${i.key}`);
    expect(changed).toContain('ntk:spam.use-lite-d2');
    // and nothing of the tweets' but the gatherers
    expect(changed.filter((c) => !c.includes('spam') && !/^(analysis|submissions):$/.test(c))).toEqual([]);
  });

  it('a table dataset skips text and embed: pca per d, or one raw input with preprocess none', () => {
    const raw = { ...base, grid: { ...base.grid, datasets: ['table', 'flat'] } };
    expect(keysOf(raw, 'text')).toEqual([]);
    expect(keysOf(raw, 'embed')).toEqual([]);
    expect(keysOf(raw, 'pca')).toEqual(['table.raw-d2', 'table.raw-d4', 'flat.raw']);
    expect(keysOf(raw, 'ntk')).toEqual(['table.raw-d2', 'table.raw-d4', 'flat.raw']);
    const pca = pipelineInstances(resolveManifest(raw), { dataDir }).find((i) => i.key === 'flat.raw' && i.stage === 'pca')!;
    expect(pca.config).toMatchObject({ d: null, dataset: { name: 'flat', standardize: true, preprocess: 'none' } });
    expect(pca.data).toHaveProperty('path');
  });

  it('an unknown dataset, a bad field or a bad name is one line naming it', () => {
    expect(() => resolveManifest({ ...base, grid: { datasets: ['nope'] } })).toThrow(/grid.datasets names 'nope'.*defined: tweets, spam/);
    expect(() => resolveManifest({ datasets: { x: { kind: 'table-csv', path: 'a.csv' } } })).toThrow(/datasets.x: .*columns/);
    expect(() => resolveManifest({ datasets: { x: { kind: 'parquet' } } })).toThrow(/datasets.x/);
    expect(() => resolveManifest({ datasets: { '../up': { kind: 'kaggle-tweets' } } })).toThrow(/dataset name 'datasets.\.\.\/up'/);
  });

  it('a dataset name holds no dot: dataset x with embedder y.z and dataset x.y with embedder z would share the key x.y.z', () => {
    const models = { embed: { models: { 'y.z': { kind: 'minilm' }, z: { kind: 'minilm' } } } };
    const spec = { kind: 'text-csv', path: 'a.csv', columns: { text: 'text', label: 'label' }, testFraction: 0.2 };
    expect(() => resolveManifest({ ...models, datasets: { x: spec, 'x.y': spec } })).toThrow(
      /dataset name 'datasets.x.y' 'x.y' contains a dot \(its keys are <name>.<input>\); use letters, digits, _ and - \(no dot\)/,
    );
    expect(() => resolveManifest({ grid: { datasets: ['x.y'] } })).toThrow(
      /grid: field 'datasets.0': a dataset name: .*'x.y' contains a dot/,
    );
    expect(datasetNameProblem('sms-spam_2')).toBeNull();
    expect(datasetKey('x', 'y.z-d8')).toBe('x.y.z-d8'); // the first dot ends the dataset's name: one reading
  });

  it('a profile extends another: its overrides merged over the base profile; a cycle or an unknown base is one line', () => {
    const raw = {
      ...base,
      profiles: {
        fl: { grid: { widths: [64, 1024] }, regimes: { mup: { widths: [64] } }, ntk: { folds: 3 } },
        'spam-fl': { extends: 'fl', grid: { datasets: ['spam'] }, ntk: { loo: false } },
      },
    };
    const m = resolveManifest(raw, 'spam-fl');
    expect(m.grid.widths).toEqual([64, 1024]);
    expect(m.grid.datasets).toEqual(['spam']);
    expect(Object.keys(m.regimes)).toEqual(['mup']);
    expect(m.sections.ntk).toEqual({ folds: 3, loo: false });
    const loop = { profiles: { a: { extends: 'b' }, b: { extends: 'a' } } };
    expect(() => resolveManifest(loop, 'a')).toThrow(/profiles a -> b -> a: a profile cannot extend itself/);
    expect(() => resolveManifest({ profiles: { a: { extends: 'zz' } } }, 'a')).toThrow(/profiles.a.extends names 'zz'/);
  });
});
