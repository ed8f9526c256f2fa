import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { paths } from '@tangent/arrow-io';
import { errorOf } from '@tangent/base/testing';
import { describe, expect, it } from 'vitest';
import { holdOut, numericMatrix, readLabelledCsv, type CsvDataset } from './dataset-csv.ts';
import { datasetSchema } from './datasets.ts';

const W = 'datasets.toy';

/** A folder holding `files` (name → contents), standing in for $TANGENT_DATA_DIR. */
function dataDir(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dataset-csv-'));
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return dir;
}

const spec = (s: Record<string, unknown>) => datasetSchema.parse(s) as CsvDataset;
const textSpec = (s: Record<string, unknown> = {}) =>
  spec({ kind: 'text-csv', path: 'a.csv', columns: { text: 'text', label: 'label' }, ...s });

/** 10 'a' rows and 5 'b' rows; 'b' every third row. */
const TOY = `text,label\n${Array.from({ length: 15 }, (_, i) => `row ${i},${i % 3 === 2 ? 'b' : 'a'}`).join('\n')}\n`;

describe('readLabelledCsv: a text-csv file with a header and a seeded stratified split', () => {
  const dir = dataDir({ 'a.csv': TOY });
  const r = readLabelledCsv(textSpec({ testFraction: 0.2 }), dir, W);

  it('holds out round(0.2 · n_c) of each class, ids = data row numbers, rows in file order', () => {
    expect(r.classes).toEqual(['a', 'b']);
    expect(r.columns).toEqual(['text']);
    expect(r.files).toEqual([join(dir, 'a.csv')]);
    // round(0.2 · 10) = 2 'a', round(0.2 · 5) = 1 'b'.
    expect([...r.test.labels].sort()).toEqual([0, 0, 1]);
    expect(r.train.labels.length).toBe(12);
    expect([...r.train.ids, ...r.test.ids].sort((x, y) => x - y)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    for (const s of [r.train, r.test]) {
      expect([...s.ids]).toEqual([...s.ids].sort((x, y) => x - y));
      s.ids.forEach((id, k) => {
        expect(s.rows[k]).toEqual([`row ${id}`]);
        expect(s.labels[k]).toBe(id % 3 === 2 ? 1 : 0);
        expect(s.lines[k]).toBe(id + 2); // line 1 is the header
      });
    }
  });

  it('is a function of the labels, fraction and seed alone', () => {
    const again = readLabelledCsv(textSpec({ testFraction: 0.2 }), dir, W);
    expect(again.test.ids).toEqual(r.test.ids);
    const other = readLabelledCsv(textSpec({ testFraction: 0.2, seed: 5 }), dir, W);
    expect(other.test.ids).not.toEqual(r.test.ids);
    const flags = holdOut(
      Array.from({ length: 15 }, (_, i) => (i % 3 === 2 ? 'b' : 'a')),
      0.2,
      0,
    );
    expect([...flags].flatMap((f, i) => (f ? [i] : []))).toEqual([...r.test.ids]);
  });

  it('keeps one train row in a class that rounding would hold out whole', () => {
    const flags = holdOut(['x', 'y', 'y', 'y'], 0.6, 0);
    expect(flags[0]).toBe(0); // round(0.6 · 1) = 1, capped at n_c − 1 = 0
    expect(flags.reduce((s, f) => s + f, 0)).toBe(2); // round(0.6 · 3) = 2
  });
});

describe('readLabelledCsv: TAB, no header, column indices, a test file', () => {
  const train = '10\t"quoted" at the start\n2\tplain\n10\tagain "x\n';
  const test = '2\tt0\n10\tt1\n';
  const dir = dataDir({ 'train.tsv': train, 'test.tsv': test });
  const s = spec({ kind: 'text-csv', path: 'train.tsv', test: 'test.tsv', delimiter: '\t', header: false, columns: { label: 0, text: 1 } });
  const r = readLabelledCsv(s, dir, W);

  it('reads quotes as text, sorts numeric classes by value, numbers test ids after train', () => {
    expect(r.classes).toEqual(['2', '10']);
    expect(r.columns).toEqual(['column 1']);
    expect(r.train.rows).toEqual([['"quoted" at the start'], ['plain'], ['again "x']]);
    expect([...r.train.labels]).toEqual([1, 0, 1]);
    expect([...r.train.ids]).toEqual([0, 1, 2]);
    expect([...r.test.labels]).toEqual([0, 1]);
    expect([...r.test.ids]).toEqual([3, 4]);
    expect([...r.test.lines]).toEqual([1, 2]);
    expect(r.files).toEqual([join(dir, 'train.tsv'), join(dir, 'test.tsv')]);
  });
});

describe('readLabelledCsv: ids, quoting and line numbers', () => {
  it('takes ids from the id column and counts a quoted newline in the line numbers', () => {
    const dir = dataDir({ 'a.csv': 'id,text,label\n7,"two\nlines, one cell",x\n\n9,b,y\n3,c,x\n' });
    const r = readLabelledCsv(textSpec({ columns: { id: 'id', text: 'text', label: 'label' }, testFraction: 0.4 }), dir, W);
    const all = new Map([...r.train.ids, ...r.test.ids].map((id, k) => [id, k]));
    expect([...all.keys()].sort((a, b) => a - b)).toEqual([3, 7, 9]);
    const at = (id: number) => {
      const s = r.train.ids.includes(id) ? r.train : r.test;
      const k = s.ids.indexOf(id);
      return { row: s.rows[k], line: s.lines[k] };
    };
    expect(at(7)).toEqual({ row: ['two\nlines, one cell'], line: 2 });
    expect(at(9).line).toBe(5);
    expect(at(3).line).toBe(6);
  });
});

describe('readLabelledCsv: one-line errors', () => {
  const err = (files: Record<string, string>, s: Record<string, unknown> = {}) =>
    errorOf(() => readLabelledCsv(textSpec(s), dataDir(files), W));

  it('a missing file names the path, the field and $TANGENT_DATA_DIR', () => {
    const dir = dataDir({});
    expect(errorOf(() => readLabelledCsv(textSpec(), dir, W))).toBe(
      `${process.cwd()}/a.csv: file not found (datasets.toy.path: 'a.csv'; a relative path resolves against $TANGENT_DATA_DIR, here ${dir}, then the working directory); fix datasets.toy.path or put the file there`,
    );
    expect(err({ 'a.csv': TOY }, { test: 'nope.csv' })).toMatch(/nope\.csv: file not found \(datasets\.toy\.test: 'nope\.csv'; /);
  });

  it('a missing column lists the header, or the row width for an index', () => {
    expect(err({ 'a.csv': TOY }, { columns: { text: 'body', label: 'label' } })).toMatch(
      /a\.csv: no column 'body' \(datasets\.toy\.columns\.text\); its header has 'text', 'label'$/,
    );
    expect(err({ 'a.csv': TOY }, { columns: { text: 0, label: 2 } })).toMatch(
      /a\.csv: datasets\.toy\.columns\.label is column 2, but its rows have 2 fields \(0\.\.1\); fix datasets\.toy\.columns\.label$/,
    );
    expect(err({ 'a.csv': 'x,a\ny,b\n' }, { header: false })).toMatch(
      /a\.csv: datasets\.toy\.columns\.label names column 'label', but the file has no header \(header: false\); give its 0-based index$/,
    );
  });

  it('a ragged row names its line and width', () => {
    expect(err({ 'a.csv': 'text,label\nok,a\nok,b\nso, many, fields,a\n' })).toMatch(
      /a\.csv line 4: 4 fields, expected 2 \(the header's width\); check the delimiter \(","\) and quoting$/,
    );
  });

  it('an empty label, one class, too many classes', () => {
    expect(err({ 'a.csv': 'text,label\nok,a\nok, \nok,b\n' })).toMatch(
      /a\.csv line 3: empty label in column 'label' \(datasets\.toy\.columns\.label\); fill it in or drop the row$/,
    );
    expect(err({ 'a.csv': 'text,label\nx,a\ny,a\nz,a\n' })).toMatch(
      /a\.csv: the label column 'label' has one class \('a'\) in its 3 rows; a classifier needs two or more — check datasets\.toy\.columns\.label$/,
    );
    const many = `text,label\n${Array.from({ length: 300 }, (_, i) => `t,${i % 150}`).join('\n')}\n`;
    expect(err({ 'a.csv': many })).toMatch(/has 150 distinct values, more than 127 classes/);
  });

  it('test labels not in train are named', () => {
    expect(err({ 'a.csv': TOY, 't.csv': 'text,label\nu,a\nv,c\nw,d\nx,c\n' }, { test: 't.csv' })).toMatch(
      /t\.csv: test labels 'c', 'd' do not occur in train \(.*a\.csv, classes a, b\); fix the labels or drop those rows$/,
    );
  });

  it('an empty split: a fraction too small, a file with only a header', () => {
    expect(err({ 'a.csv': TOY }, { testFraction: 0.01 })).toMatch(
      /a\.csv: testFraction 0\.01 holds out no row \(round\(testFraction × class size\) is 0 for every class of 15 rows\); raise datasets\.toy\.testFraction or give datasets\.toy\.test$/,
    );
    expect(err({ 'a.csv': TOY, 't.csv': 'text,label\n' }, { test: 't.csv' })).toMatch(/t\.csv: no data rows \(only the header line\); /);
  });

  it('duplicate or non-integer ids', () => {
    const cols = { columns: { id: 'id', text: 'text', label: 'label' } };
    expect(err({ 'a.csv': 'id,text,label\n1,x,a\n2,y,b\n', 't.csv': 'id,text,label\n3,x,a\n1,y,b\n' }, { ...cols, test: 't.csv' })).toMatch(
      /t\.csv line 3: duplicate id 1 \(first at .*a\.csv line 2\); ids must be unique over train and test$/,
    );
    expect(err({ 'a.csv': 'id,text,label\n1,x,a\n2.5,y,b\n' }, cols)).toMatch(
      /a\.csv line 3: id '2\.5' in column 'id' is not an int32 integer; fix the row or drop columns\.id to number rows$/,
    );
  });
});

describe('table-csv and numericMatrix', () => {
  const csv = 'f0,f1,y\n1,2,0\n3,4.5,1\n-1,0,0\n2,2,1\n5,1e1,0\n';
  const dir = dataDir({ 't.csv.gz': gzipSync(csv) });
  const s = spec({ kind: 'table-csv', path: 't.csv.gz', columns: { label: 'y' }, testFraction: 0.4 });

  it('gunzips, takes every other column as a feature, parses the cells', () => {
    const r = readLabelledCsv(s, dir, W);
    expect(r.columns).toEqual(['f0', 'f1']);
    expect(r.classes).toEqual(['0', '1']);
    const m = numericMatrix(r.train.rows, r.columns, r.train.file, r.train.lines);
    const byId: number[][] = [
      [1, 2],
      [3, 4.5],
      [-1, 0],
      [2, 2],
      [5, 10],
    ];
    expect(Array.from(m)).toEqual([...r.train.ids].flatMap((id) => byId[id]));
  });

  it('a non-numeric cell names the file, line and column', () => {
    expect(
      errorOf(() =>
        numericMatrix(
          [
            ['1', '2'],
            ['3', 'x'],
          ],
          ['f0', 'f1'],
          'f.csv',
          [2, 3],
        ),
      ),
    ).toBe("f.csv line 3: column 'f1' is 'x', not a number; fix the cell or leave the column out of columns.features");
    expect(errorOf(() => numericMatrix([['']], ['f0'], 'f.csv'))).toMatch(/^f\.csv row 0: column 'f0' is '', not a number/);
  });

  it('refuses a feature that is also the label', () => {
    const bad = spec({ kind: 'table-csv', path: 't.csv.gz', columns: { label: 'y', features: ['f0', 'y'] } });
    expect(errorOf(() => readLabelledCsv(bad, dir, W))).toMatch(
      /column 'y' is both a feature column and the label or id; fix datasets\.toy\.columns$/,
    );
  });
});

describe('the real files under $TANGENT_DATA_DIR', () => {
  it('SMSSpamCollection: 5574 rows, 4827 ham / 747 spam; testFraction 0.2 holds out round(0.2 · n_c) of each', () => {
    const s = spec({
      kind: 'text-csv',
      path: 'sms-spam/SMSSpamCollection',
      delimiter: '\t',
      header: false,
      columns: { label: 0, text: 1 },
    });
    const r = readLabelledCsv(s, paths.rawData(), 'datasets.sms-spam');
    expect(r.classes).toEqual(['ham', 'spam']);
    const count = (l: Int8Array, k: number) => l.filter((x) => x === k).length;
    expect([count(r.train.labels, 0), count(r.train.labels, 1)]).toEqual([3862, 598]);
    expect([count(r.test.labels, 0), count(r.test.labels, 1)]).toEqual([965, 149]); // 965.4 → 965, 149.4 → 149
    expect(new Set([...r.train.ids, ...r.test.ids]).size).toBe(5574);
    expect(Math.max(...r.train.ids, ...r.test.ids)).toBe(5573);
    const first = r.train.ids[0] === 0 ? r.train : r.test;
    expect(first.rows[0][0]).toMatch(/^Go until jurong point, crazy\.\./);
    // A text that opens with a bare quote stays one row with its quotes.
    const all = [...r.train.rows, ...r.test.rows].map((x) => x[0]);
    expect(all).toContain('"Pete can you please ring meive hardly gotany credit"');
  });

  it('digits.csv.gz: 1797 rows, classes 0..9, 64 numeric features', () => {
    const s = spec({ kind: 'table-csv', path: 'sklearn/digits.csv.gz', header: false, columns: { label: 64 } });
    const r = readLabelledCsv(s, paths.rawData(), 'datasets.digits');
    expect(r.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(r.columns.length).toBe(64);
    expect(r.train.rows.length + r.test.rows.length).toBe(1797);
    const m = numericMatrix(r.test.rows, r.columns, r.test.file, r.test.lines);
    expect(m.length).toBe(r.test.rows.length * 64);
    expect(Math.max(...m)).toBe(16);
  });
});
