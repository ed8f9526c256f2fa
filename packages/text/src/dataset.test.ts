import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paths, readArtifact } from '@tangent/arrow-io';
import { rejectionOf } from '@tangent/base/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pipelineInstances, resolveManifest, runInstance, runStage, tableClasses, textSchema } from '@tangent/contracts';
import { cleanTweet } from './clean.ts';
import { textConfigSchema } from './config.ts';
import { textStage } from './stage.ts';

/** A manifest that runs one text-csv dataset, `name`: the text node makes its instance (key `name`, folder text/<name>). */
const manifest = (name: string, spec: Record<string, unknown>) => ({ grid: { datasets: [name] }, datasets: { [name]: spec } });

const run = async (name: string, spec: Record<string, unknown>) =>
  (await runStage(textStage, { manifest: manifest(name, spec), key: name }))[0];

let out: string;
const env = { data: process.env.TANGENT_DATA_DIR, artifacts: process.env.TANGENT_ARTIFACTS_DIR };
beforeEach(() => {
  out = mkdtempSync(join(tmpdir(), 'text-dataset-'));
  process.env.TANGENT_ARTIFACTS_DIR = out;
});
const restore = (name: string, v: string | undefined) => (v === undefined ? delete process.env[name] : (process.env[name] = v));
afterEach(() => {
  restore('TANGENT_DATA_DIR', env.data);
  restore('TANGENT_ARTIFACTS_DIR', env.artifacts);
});

describe('the text stage on a text-csv dataset', () => {
  const TOY = [
    'spam\tWIN &amp; claim http://x.co now',
    'ham\t"see you" at 5',
    'ham\tok',
    'ham\tfine thanks',
    'spam\tfree @bob prize',
    'ham\tlater',
  ].join('\n');
  const spec = {
    kind: 'text-csv',
    path: 'toy/msgs.tsv',
    test: 'toy/test.tsv',
    delimiter: '\t',
    header: false,
    columns: { label: 0, text: 1 },
  };

  it('writes both splits with class indices, labelled test targets and extra.classes', async () => {
    const data = mkdtempSync(join(tmpdir(), 'text-dataset-data-'));
    mkdirSync(join(data, 'toy'));
    writeFileSync(join(data, 'toy', 'msgs.tsv'), `${TOY}\n`);
    writeFileSync(join(data, 'toy', 'test.tsv'), 'spam\tcall &amp; win\nham\tok\n');
    process.env.TANGENT_DATA_DIR = data;
    const r = await run('toy', spec);
    expect(r.outDir).toBe(join(out, 'text', 'toy'));
    const clean = textConfigSchema.parse({}).clean;
    const train = readArtifact(join(r.outDir, 'train.arrow'), textSchema);
    const test = readArtifact(join(r.outDir, 'test.arrow'), textSchema);
    const col = (t: typeof train, name: string) => t.table.getChild(name)!.toArray() as unknown[];
    expect([...col(train, 'id')]).toEqual([0, 1, 2, 3, 4, 5]);
    expect([...col(train, 'target')]).toEqual([1, 0, 0, 0, 1, 0]);
    expect(col(train, 'raw_text')[1]).toBe('"see you" at 5');
    expect(col(train, 'text')[0]).toBe(cleanTweet('WIN &amp; claim http://x.co now', clean));
    expect(col(train, 'text')[0]).toBe('WIN & claim now');
    expect(new Set(col(train, 'keyword'))).toEqual(new Set(['']));
    expect(new Set(col(train, 'location'))).toEqual(new Set(['']));
    expect([...col(test, 'id')]).toEqual([6, 7]); // numbered after the data file's rows
    expect([...col(test, 'target')]).toEqual([1, 0]);
    expect(test.table.getChild('target')!.nullCount).toBe(0);
    expect(col(test, 'split')).toEqual(['test', 'test']);
    for (const f of [train, test]) {
      const extra = f.meta.extra as Record<string, any>;
      expect(tableClasses(extra, 'x')).toEqual(['ham', 'spam']);
      expect(extra.dataset).toBe('toy');
    }
    expect((train.meta.extra as any).targets).toEqual({ ham: 4, spam: 2 });
    expect((test.meta.extra as any).targets).toEqual({ ham: 1, spam: 1 });
    expect((test.meta.extra as any).textInTrain).toBe(1); // 'ok'
    expect(Object.keys(train.meta.inputs).map((p) => p.split('/').pop())).toEqual(['msgs.tsv', 'test.tsv']);
    expect(r.summary).toMatch(/^text train: 6 rows, targets ham=4 spam=2, /);
    expect(r.summary).toMatch(/\ntext test: 2 rows, targets ham=1 spam=1, .*, 1 texts also in train -> /);
  });

  it('a bad file is one line and publishes nothing', async () => {
    const data = mkdtempSync(join(tmpdir(), 'text-dataset-data-'));
    mkdirSync(join(data, 'toy'));
    writeFileSync(join(data, 'toy', 'msgs.tsv'), 'ham\tok\nspam\n');
    process.env.TANGENT_DATA_DIR = data;
    expect(await rejectionOf(run('toy', { ...spec, test: undefined }))).toBe(
      `${join(data, 'toy', 'msgs.tsv')} line 2: 1 fields, expected 2 (the first row's width); check the delimiter ("\\t") and quoting`,
    );
    expect(existsSync(join(out, 'text', 'toy'))).toBe(false);
  });

  it('refuses a dataset field that is not a text-csv', async () => {
    const m = resolveManifest(manifest('toy', spec));
    const inst = pipelineInstances(m).find((i) => i.stage === 'text' && i.key === 'toy')!;
    expect(inst.config.dataset).toEqual({ name: 'toy', ...m.datasets.toy });
    const bad = { ...inst, config: { ...inst.config, dataset: { name: 'toy', kind: 'kaggle-tweets' } } };
    expect(await rejectionOf(runInstance(textStage, m, [bad], bad))).toMatch(
      /section 'text', field 'dataset\.kind': the text stage reads a 'text-csv' dataset here, not 'kaggle-tweets'/,
    );
  });

  it('the SMS spam collection: stratified 20 % test split, labelled, classes ham/spam', async () => {
    process.env.TANGENT_DATA_DIR = env.data ?? paths.rawData();
    const sms = { kind: 'text-csv', path: 'sms-spam/SMSSpamCollection', delimiter: '\t', header: false, columns: { label: 0, text: 1 } };
    const r = await run('sms-spam', sms);
    const train = readArtifact(join(r.outDir, 'train.arrow'), textSchema);
    const test = readArtifact(join(r.outDir, 'test.arrow'), textSchema);
    expect((train.meta.extra as any).targets).toEqual({ ham: 3862, spam: 598 });
    expect((test.meta.extra as any).targets).toEqual({ ham: 965, spam: 149 });
    expect(train.meta.seed).toBe(0);
    expect(Object.keys(train.meta.inputs).map((p) => p.split('/').pop())).toEqual(['SMSSpamCollection']);
    // Downstream readers see labelled test rows with the recorded classes.
    const classes = tableClasses(test.meta.extra, 'test.arrow');
    expect(classes).toEqual(['ham', 'spam']);
    const t = test.table.getChild('target')!.toArray() as Int8Array;
    expect(t.filter((y) => y === 1).length).toBe(149);
  });
});
