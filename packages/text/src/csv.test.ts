import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paths } from '@tangent/arrow-io';
import { describe, expect, it } from 'vitest';
import { findKaggleFile, loadKaggleCsv } from './csv.ts';
import { errorOf } from '@tangent/base/testing';

const HEADER = 'id,keyword,location,text,target\n';

function tmpCsv(content: string, name = 'train.csv'): string {
  const dir = mkdtempSync(join(tmpdir(), 'text-csv-'));
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

describe('loadKaggleCsv on the real files', () => {
  const train = loadKaggleCsv(findKaggleFile(paths.rawData(), 'train.csv'));
  const test = loadKaggleCsv(findKaggleFile(paths.rawData(), 'test.csv'));

  it('reads every row with the known counts', () => {
    expect(train.rows.length).toBe(7613);
    expect(test.rows.length).toBe(3263);
    expect(train.hasTarget).toBe(true);
    expect(test.hasTarget).toBe(false);
    expect(train.rows.filter((r) => r.target === 0).length).toBe(4342);
    expect(train.rows.filter((r) => r.target === 1).length).toBe(3271);
    expect(test.rows.every((r) => r.target === null)).toBe(true);
    expect(new Set(train.rows.map((r) => r.id)).size).toBe(7613);
    expect(new Set(test.rows.map((r) => r.id)).size).toBe(3263);
  });

  it('keeps CSV order and the first/last rows intact', () => {
    expect(train.rows[0]).toEqual({
      id: 1,
      keyword: '',
      location: '',
      text: 'Our Deeds are the Reason of this #earthquake May ALLAH Forgive us all',
      target: 1,
    });
    expect(train.rows[train.rows.length - 1].id).toBe(10873);
    expect(test.rows[0].id).toBe(0);
  });

  it('keeps quoted newlines and commas inside a field', () => {
    const r61 = train.rows.find((r) => r.id === 61)!;
    expect(r61.text).toBe("on the outside you're ablaze and alive\nbut you're dead inside");
    expect(r61.keyword).toBe('ablaze');
    expect(train.rows.find((r) => r.id === 6)!.text).toBe('13,000 people receive #wildfires evacuation orders in California ');
    // A line-based reader would see more rows than records.
    expect(train.rows.filter((r) => r.text.includes('\n')).length).toBeGreaterThan(100);
  });
});

describe('findKaggleFile', () => {
  it('finds the files directly in the data dir or in nlp-getting-started/', () => {
    const real = findKaggleFile(paths.rawData(), 'train.csv');
    expect(real.endsWith(join('nlp-getting-started', 'train.csv'))).toBe(true);
    const flat = mkdtempSync(join(tmpdir(), 'text-flat-'));
    symlinkSync(real, join(flat, 'train.csv'));
    expect(findKaggleFile(flat, 'train.csv')).toBe(join(flat, 'train.csv'));
  });

  it('fails with one line naming the missing data dir and how to fix it', () => {
    const msg = errorOf(() => findKaggleFile('/nonexistent/tangent-data', 'train.csv'));
    expect(msg).toMatch(
      /^\/nonexistent\/tangent-data: data directory not found; set TANGENT_DATA_DIR .*kaggle\.com\/competitions\/nlp-getting-started/,
    );
  });

  it('fails with one line when the dir lacks the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'text-empty-'));
    mkdirSync(join(dir, 'nlp-getting-started'));
    expect(errorOf(() => findKaggleFile(dir, 'test.csv'))).toMatch(
      /nlp-getting-started\/test\.csv: test\.csv not found .*TANGENT_DATA_DIR/,
    );
  });
});

describe('loadKaggleCsv errors', () => {
  it('names the missing text column', () => {
    const p = tmpCsv('id,keyword,location,tweet,target\n1,,,hello,0\n');
    expect(errorOf(() => loadKaggleCsv(p))).toMatch(
      new RegExp(`^${p}: no 'text' column \\(header is 'id,keyword,location,tweet,target'\\); expected id,keyword,location,text`),
    );
  });

  it('names file, row and line of a bad target', () => {
    const p = tmpCsv(`${HEADER}1,,,"two\nlines",0\n4,,,fine,2\n`);
    expect(errorOf(() => loadKaggleCsv(p))).toBe(`${p} row 2 (line 4): target '2' is not 0 or 1; fix the row or re-download the file`);
  });

  it('rejects non-integer, out-of-range and duplicate ids', () => {
    expect(errorOf(() => loadKaggleCsv(tmpCsv(`${HEADER}1.5,,,a,0\n`)))).toMatch(/row 1 \(line 2\): id '1\.5' is not an int32 integer/);
    expect(errorOf(() => loadKaggleCsv(tmpCsv(`${HEADER}2147483648,,,a,0\n`)))).toMatch(/id '2147483648' is not an int32/);
    expect(errorOf(() => loadKaggleCsv(tmpCsv(`${HEADER}7,,,a,0\n7,,,b,1\n`)))).toMatch(
      /row 2 \(line 3\): duplicate id 7 \(first at row 1\)/,
    );
  });

  it('rejects a row with the wrong number of fields and broken quoting', () => {
    expect(errorOf(() => loadKaggleCsv(tmpCsv(`${HEADER}1,,,a,b,0\n`)))).toMatch(/row 1 \(line 2\): 6 fields, header has 5/);
    expect(errorOf(() => loadKaggleCsv(tmpCsv(`${HEADER}1,,,"unterminated,0\n`)))).toMatch(/train\.csv.*: not valid CSV \(/);
  });

  it('accepts a BOM and a test file without target', () => {
    const { rows, hasTarget } = loadKaggleCsv(tmpCsv('\ufeffid,keyword,location,text\n3,fire%20truck,Paris,"a, b"\n', 'test.csv'));
    expect(hasTarget).toBe(false);
    expect(rows).toEqual([{ id: 3, keyword: 'fire%20truck', location: 'Paris', text: 'a, b', target: null }]);
  });
});
