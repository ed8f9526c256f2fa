import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hashJson, paths, readArtifact } from '@tangent/arrow-io';
import { TangentError } from '@tangent/base';
import { beforeAll, describe, expect, it } from 'vitest';
import { applySets, resolveManifest, textSchema } from '@tangent/contracts';
import { cleanTweet, urlDecodeKeyword } from './clean.ts';
import { textConfigSchema } from './config.ts';
import { findKaggleFile, loadKaggleCsv } from './csv.ts';
import { runText, type TextResult } from './stage.ts';

const root = resolve(import.meta.dirname, '../../..');
const config = textConfigSchema.parse({});

describe('runText end to end on the real CSVs', () => {
  let out: string;
  let result: TextResult;
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'text-stage-'));
    process.env.TANGENT_ARTIFACTS_DIR = out;
    result = await runText();
  });

  it('writes both artifacts under $TANGENT_ARTIFACTS_DIR/text with the declared schema', () => {
    expect(result.outputs).toEqual({ train: join(out, 'text', 'train.arrow'), test: join(out, 'text', 'test.arrow') });
    expect(readdirSync(join(out, 'text')).sort()).toEqual(['test.arrow', 'train.arrow']);
    const { table } = readArtifact(result.outputs.train, textSchema);
    expect(table.schema.fields.map((f) => `${f.name}:${f.type}:${f.nullable}`)).toEqual([
      'id:Int32:false',
      'split:Utf8:false',
      'target:Int8:true',
      'keyword:Utf8:false',
      'location:Utf8:false',
      'raw_text:Utf8:false',
      'text:Utf8:false',
    ]);
  });

  it('keeps CSV order, raw text and targets; cleans text and keywords row by row', () => {
    for (const split of ['train', 'test'] as const) {
      const csv = loadKaggleCsv(findKaggleFile(paths.rawData(), `${split}.csv`));
      const { table, meta } = readArtifact(result.outputs[split], textSchema);
      expect(table.numRows).toBe(csv.rows.length);
      expect(meta.rows).toBe(csv.rows.length);
      const id = table.getChild('id')!.toArray() as Int32Array;
      const target = table.getChild('target')!;
      const col = (n: string) => table.getChild(n)!;
      for (let i = 0; i < csv.rows.length; i += 7) {
        const r = csv.rows[i];
        expect(id[i]).toBe(r.id);
        expect(target.get(i)).toBe(r.target);
        expect(col('split').get(i)).toBe(split);
        expect(col('raw_text').get(i)).toBe(r.text);
        expect(col('text').get(i)).toBe(cleanTweet(r.text, config.clean));
        expect(col('keyword').get(i)).toBe(urlDecodeKeyword(r.keyword));
      }
    }
    const { table } = readArtifact(result.outputs.test, textSchema);
    expect(table.getChild('target')!.nullCount).toBe(3263);
  });

  it('records counts and provenance in the metadata', () => {
    const { meta } = readArtifact(result.outputs.train, textSchema);
    expect(meta.stage).toBe('text');
    expect(meta.configHash).toBe(hashJson(config));
    // The instance reads both CSVs; each file of its output set records both.
    expect(Object.keys(meta.inputs).map((p) => p.split('/').pop())).toEqual(['test.csv', 'train.csv']);
    const extra = meta.extra as Record<string, any>;
    expect(extra.rows).toBe(7613);
    expect(extra.targets).toEqual({ '0': 4342, '1': 3271 });
    expect(extra.rawDuplicates.conflictingGroups).toBe(18);
    expect(extra.rawDuplicates.conflictingRows).toBe(55);
    // Cleaning (dropping links) makes more tweets identical, never fewer.
    expect(extra.duplicates.duplicates).toBeGreaterThanOrEqual(extra.rawDuplicates.duplicates);
    expect(extra.duplicates.conflictingGroups).toBeGreaterThanOrEqual(18);
    expect(extra.emptyAfterCleaning).toBe(result.summaries.train.emptyAfterCleaning);
    const test = readArtifact(result.outputs.test, textSchema).meta.extra as Record<string, any>;
    expect(test.rows).toBe(3263);
    expect(test.targets).toBeNull();
    const summary = result.summary;
    expect(summary).toMatch(/text train: 7613 rows, targets 0=4342 1=3271, .* raw 18\/55\)/);
    expect(summary).toMatch(/text test: 3263 rows, /);
  });

  it('writes nothing when test.csv is bad, keeping earlier outputs', async () => {
    const data = mkdtempSync(join(tmpdir(), 'text-bad-'));
    symlinkSync(findKaggleFile(paths.rawData(), 'train.csv'), join(data, 'train.csv'));
    writeFileSync(join(data, 'test.csv'), 'id,keyword,location,text\nx,,,hello\n');
    const fresh = mkdtempSync(join(tmpdir(), 'text-stage-'));
    process.env.TANGENT_ARTIFACTS_DIR = fresh;
    try {
      await expect(runText(config, { dataDir: data })).rejects.toThrowError(TangentError);
      await expect(runText(config, { dataDir: data })).rejects.toThrowError(/test\.csv row 1 \(line 2\): id 'x' is not an int32 integer/);
    } finally {
      process.env.TANGENT_ARTIFACTS_DIR = out;
    }
    expect(existsSync(join(fresh, 'text'))).toBe(false);
  });

  it('refuses a train.csv without target', async () => {
    const data = mkdtempSync(join(tmpdir(), 'text-notarget-'));
    mkdirSync(join(data, 'nlp-getting-started'));
    writeFileSync(join(data, 'nlp-getting-started', 'train.csv'), 'id,keyword,location,text\n1,,,hello\n');
    symlinkSync(findKaggleFile(paths.rawData(), 'test.csv'), join(data, 'nlp-getting-started', 'test.csv'));
    await expect(runText(config, { dataDir: data })).rejects.toThrowError(/train\.csv: no 'target' column/);
  });
});

describe('the text section of the manifest', () => {
  it('takes --set overrides', () => {
    const raw = applySets({ text: { clean: { urls: 'keep' } } }, ['text.clean.lowercase=true', 'text.clean.urls=token']);
    const c = textConfigSchema.parse(resolveManifest(raw).sections.text);
    expect(c.clean.lowercase).toBe(true);
    expect(c.clean.urls).toBe('token');
    expect(applySets({}, ['text.keyword.urlDecode=false'])).toEqual({ text: { keyword: { urlDecode: false } } });
  });
  it('a bad field fails with one line naming the section and field', async () => {
    await expect(runText({ clean: { urls: 'drop' } } as never)).rejects.toThrowError(/field 'clean\.urls': /);
    expect(() => applySets({}, ['text.clean'])).toThrowError(/--set 'text\.clean': expected path=value/);
  });
});

describe('tangent text (CLI)', () => {
  const cli = (args: string[], env: Record<string, string>) =>
    spawnSync(process.execPath, [join(root, 'apps/cli/bin/tangent.mjs'), 'text', ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });

  it('exits 1 with one error line when the data directory is missing', () => {
    const r = cli([], { TANGENT_DATA_DIR: '/nonexistent/raw' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      'error: /nonexistent/raw: data directory not found; set TANGENT_DATA_DIR to the folder holding nlp-getting-started/{train,test}.csv (download from https://www.kaggle.com/competitions/nlp-getting-started/data)',
    ]);
  });

  it('runs the stage and prints the summary', () => {
    const out = mkdtempSync(join(tmpdir(), 'text-cli-'));
    const r = cli([], {
      TANGENT_ARTIFACTS_DIR: out,
      TANGENT_DATA_DIR: paths.rawData(),
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^text train: 7613 rows, targets 0=4342 1=3271/);
    expect(r.stdout).toMatch(/\ntext test: 3263 rows/);
    expect(existsSync(join(out, 'text', 'test.arrow'))).toBe(true);
  });
});
