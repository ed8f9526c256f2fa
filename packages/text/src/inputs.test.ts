import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readArtifact } from '@tangent/arrow-io';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { textConfigSchema } from './config.ts';
import { decodeCsvBytes, firstInvalidUtf8, loadKaggleCsv } from './csv.ts';
import { textSchema } from '@tangent/contracts';
import { runText } from './stage.ts';
import { errorOf, rejectionOf } from '@tangent/base/testing';

const TRAIN = 'id,keyword,location,text,target\n1,,,fire in the hills,1\n2,,,a calm day,0\n3,,,flood warning,1\n';
const TEST = 'id,keyword,location,text\n10,,,smoke seen\n11,,,nice weather\n';

function dataDir(train: string | Buffer = TRAIN, test: string | Buffer = TEST): string {
  const dir = mkdtempSync(join(tmpdir(), 'text-inputs-'));
  writeFileSync(join(dir, 'train.csv'), train);
  writeFileSync(join(dir, 'test.csv'), test);
  return dir;
}

const latin1 = (s: string) => Buffer.from(s, 'latin1');
const config = textConfigSchema.parse({});

describe('text stage inputs that must be refused before anything is written', () => {
  let out: string;
  let prevArtifacts: string | undefined;
  beforeEach(async () => {
    prevArtifacts = process.env.TANGENT_ARTIFACTS_DIR;
    out = mkdtempSync(join(tmpdir(), 'text-inputs-out-'));
    process.env.TANGENT_ARTIFACTS_DIR = out;
    await runText(config, { dataDir: dataDir() }); // the earlier good outputs
  });
  afterEach(() => {
    if (prevArtifacts === undefined) delete process.env.TANGENT_ARTIFACTS_DIR;
    else process.env.TANGENT_ARTIFACTS_DIR = prevArtifacts;
  });
  const snapshot = () =>
    Object.fromEntries(readdirSync(join(out, 'text')).map((f) => [f, readFileSync(join(out, 'text', f)).toString('base64')]));

  it('T1: a header-only train.csv; earlier outputs stay byte-identical, no temp files', async () => {
    const before = snapshot();
    const dir = dataDir('id,keyword,location,text,target\n');
    expect(await rejectionOf(runText(config, { dataDir: dir }))).toMatch(
      new RegExp(`^${join(dir, 'train.csv')}: no rows \\(only the header line\\); re-download it from https://www\\.kaggle\\.com/`),
    );
    expect(snapshot()).toEqual(before);
  });

  it('T2: a header-only test.csv (CRLF) likewise', async () => {
    const before = snapshot();
    const dir = dataDir(TRAIN, 'id,keyword,location,text\r\n');
    expect(await rejectionOf(runText(config, { dataDir: dir }))).toMatch(/test\.csv: no rows \(only the header line\)/);
    expect(snapshot()).toEqual(before);
  });

  it('T3: a Latin-1 train.csv without `encoding` names the file and line; outputs untouched', async () => {
    const before = snapshot();
    const dir = dataDir(latin1(`${TRAIN}4,,,café über,0\n`));
    expect(await rejectionOf(runText(config, { dataDir: dir }))).toBe(
      `${join(dir, 'train.csv')} line 5: not valid UTF-8 (byte 0xE9 at offset 100); save the file as UTF-8, or set 'encoding: latin1' (or windows-1252, ...) in the text config if that is what it is`,
    );
    expect(snapshot()).toEqual(before);
  });

  it('T4: with `encoding: latin1` the same file gives "café über"', async () => {
    const dir = dataDir(latin1(`${TRAIN}4,,,café über,0\n`), latin1(`${TEST}12,,Zürich,Grüße\n`));
    // (The default mojibake repair treats U+0080..U+00FF as Kaggle's double encoding; a
    // genuinely Latin-1 file wants it off.)
    const r = await runText(textConfigSchema.parse({ encoding: 'latin1', clean: { repairMojibake: false } }), { dataDir: dir });
    const { table } = readArtifact(r.outputs.train, textSchema);
    expect(table.getChild('raw_text')!.get(3)).toBe('café über');
    expect(table.getChild('text')!.get(3)).toBe('café über');
    const test = readArtifact(r.outputs.test, textSchema).table;
    expect(test.getChild('location')!.get(2)).toBe('Zürich');
    expect(test.getChild('raw_text')!.get(2)).toBe('Grüße');
  });

  it('T5: a training set with one class only', async () => {
    const before = snapshot();
    const dir = dataDir('id,keyword,location,text,target\n1,,,a,1\n2,,,b,1\n');
    expect(await rejectionOf(runText(config, { dataDir: dir }))).toMatch(
      /train\.csv: every one of its 2 rows has target 1; a training set needs both classes — use Kaggle's full train\.csv/,
    );
    expect(snapshot()).toEqual(before);
  });
});

describe('CSV decoding', () => {
  it('T6: an unknown encoding label is a config error', () => {
    const r = textConfigSchema.safeParse({ encoding: 'klingon-8' });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].path).toEqual(['encoding']);
    expect(textConfigSchema.parse({ encoding: 'windows-1252' }).encoding).toBe('windows-1252');
  });

  it('T7: invalid UTF-8 in a later line of a multi-line quoted field names the physical line', () => {
    const bytes = Buffer.concat([
      Buffer.from('id,keyword,location,text,target\n1,,,"two\nlines ok ✓",1\n2,,,"bad '),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('",0\n'),
    ]);
    const dir = dataDir(bytes);
    expect(errorOf(() => loadKaggleCsv(join(dir, 'train.csv')))).toMatch(/train\.csv line 4: not valid UTF-8 \(byte 0xC3 at offset \d+\)/);
  });

  it('keeps UTF-8 BOM, UTF-16LE/BE with BOM and CRLF files working', () => {
    const rows = (content: Buffer) => loadKaggleCsv(join(dataDir(content), 'train.csv')).rows;
    const text = 'id,keyword,location,text,target\r\n1,,,café,1\r\n2,,,"a\r\nb",0\r\n';
    const want = [
      { id: 1, keyword: '', location: '', text: 'café', target: 1 },
      { id: 2, keyword: '', location: '', text: 'a\r\nb', target: 0 },
    ];
    expect(rows(Buffer.from(`\ufeff${text}`))).toEqual(want);
    expect(rows(Buffer.from(`\ufeff${text}`, 'utf16le'))).toEqual(want);
    const be = Buffer.from(`\ufeff${text}`, 'utf16le').swap16();
    expect(rows(be)).toEqual(want);
  });

  it('firstInvalidUtf8 agrees with the platform decoder on random and edge-case bytes', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true });
    const valid = (b: Uint8Array) => {
      try {
        fatal.decode(b);
        return true;
      } catch {
        return false;
      }
    };
    let s = 12345;
    const cases: Uint8Array[] = [
      Uint8Array.from([0xe0, 0x80, 0x80]), // overlong
      Uint8Array.from([0xed, 0xa0, 0x80]), // surrogate
      Uint8Array.from([0xf4, 0x90, 0x80, 0x80]), // > U+10FFFF
      Uint8Array.from([0xf0, 0x9f, 0x98, 0x80]), // 😀
      Uint8Array.from([0xe2, 0x82]), // cut short
    ];
    for (let k = 0; k < 2000; k++) {
      const b = new Uint8Array(1 + (k % 9));
      for (let i = 0; i < b.length; i++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        b[i] = k % 2 ? s >>> 24 : 0x80 + ((s >>> 24) % 0x80);
      }
      cases.push(b);
    }
    for (const b of cases) {
      const at = firstInvalidUtf8(b);
      expect(at === -1, Buffer.from(b).toString('hex')).toBe(valid(b));
      if (at >= 0) {
        expect(valid(b.subarray(0, at))).toBe(true); // everything before it is valid
      }
    }
    expect(decodeCsvBytes('x.csv', latin1('caf\xe9'), 'latin1')).toBe('café');
  });
});
