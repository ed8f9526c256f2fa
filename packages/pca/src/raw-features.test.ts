import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetSchema } from '@tangent/contracts';
import { readFeatureRows, standardize, subset } from './raw-features.ts';

describe('a table or image dataset as features', () => {
  it("standardize: the train columns get mean 0 and sd 1; test rows take train's shift and scale; a constant column is 0", () => {
    // columns: (1, 2, 3) → mean 2, population sd √(2/3); (5, 5, 5) → constant
    const train = Float64Array.from([1, 5, 2, 5, 3, 5]);
    const test = Float64Array.from([4, 7]);
    standardize(train, test, 2);
    const s = Math.sqrt(2 / 3);
    expect(Array.from(train)).toEqual([-1 / s, 0, 0, 0, 1 / s, 0].map((v) => expect.closeTo(v, 12)));
    expect(test[0]).toBeCloseTo(2 / s, 12);
    expect(test[1]).toBe(0);
  });

  it('subset: a seeded stratified share, every class in proportion, in file order; all rows when not smaller', () => {
    const labels = Array.from({ length: 1000 }, (_, i) => (i < 700 ? 0 : i < 900 ? 1 : 2));
    const rows = subset(labels, 100, 3);
    expect(rows).toHaveLength(100);
    expect([0, 1, 2].map((c) => rows.filter((r) => labels[r] === c).length)).toEqual([70, 20, 10]);
    expect(rows).toEqual([...rows].sort((a, b) => a - b));
    expect(subset(labels, 100, 3)).toEqual(rows);
    expect(subset(labels, 100, 4)).not.toEqual(rows);
    expect(subset(labels, undefined, 0)).toHaveLength(1000);
  });

  it('a table-csv file: feature columns by name, labels as classes, a seeded test split, standardised on train', () => {
    const dir = mkdtempSync(join(tmpdir(), 'table-'));
    const lines = ['x1,x2,kind'];
    for (let i = 0; i < 40; i++) lines.push(`${i},${(i * 7) % 11},${i % 4 === 0 ? 'b' : 'a'}`);
    writeFileSync(join(dir, 't.csv'), lines.join('\n') + '\n');
    const spec = datasetSchema.parse({ kind: 'table-csv', path: 't.csv', columns: { label: 'kind' }, testFraction: 0.25 });
    if (spec.kind !== 'table-csv') throw new Error('kind');
    const rows = readFeatureRows(spec, dir, 'datasets.t');
    expect(rows.classes).toEqual(['a', 'b']);
    expect(rows.train.X.cols).toBe(2);
    expect(rows.train.ids.length + rows.test.ids.length).toBe(40);
    // 30 'a' and 10 'b': a quarter of each held out
    expect(Array.from(rows.test.target).filter((t) => t === 1)).toHaveLength(3);
    const col0 = Array.from({ length: rows.train.X.rows }, (_, i) => rows.train.X.data[i * 2]);
    const mean = col0.reduce((a, b) => a + b, 0) / col0.length;
    expect(mean).toBeCloseTo(0, 5);
    expect(Math.sqrt(col0.reduce((a, b) => a + (b - mean) ** 2, 0) / col0.length)).toBeCloseTo(1, 5);
    // the test rows: the raw id column value (x1 = row number) standardised with train's statistics
    const rawTrain = Array.from(rows.train.ids, (id) => id);
    const mu = rawTrain.reduce((a, b) => a + b, 0) / rawTrain.length;
    const sd = Math.sqrt(rawTrain.reduce((a, b) => a + (b - mu) ** 2, 0) / rawTrain.length);
    expect(rows.test.X.data[0]).toBeCloseTo((rows.test.ids[0] - mu) / sd, 5);
  });

  it('a non-numeric cell is one line naming the file, line and column', () => {
    const dir = mkdtempSync(join(tmpdir(), 'table-'));
    writeFileSync(join(dir, 't.csv'), 'x,y\n1,a\n2,b\nfoo,a\n4,b\n5,a\n6,b\n7,a\n8,b\n9,a\n10,b\n');
    const spec = datasetSchema.parse({ kind: 'table-csv', path: 't.csv', columns: { label: 'y' }, testFraction: 0.2 });
    if (spec.kind !== 'table-csv') throw new Error('kind');
    expect(() => readFeatureRows(spec, dir, 'datasets.t')).toThrow(/t\.csv line 4: column 'x' is 'foo', not a number/);
  });
});
