import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Field, Int32, Int8, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  buildTable,
  defineSchema,
  embeddingType64,
  embeddingType,
  fixedSizeListVector,
  readArtifact,
  readFixedSizeList,
  writeArtifact,
} from './artifact.ts';
import { TangentError } from '@tangent/base';

const schema = defineSchema('demo', [
  new Field('id', new Int32(), false),
  new Field('split', new Utf8(), false),
  new Field('target', new Int8(), true),
  new Field('embedding', embeddingType(3), false),
]);

const meta = { stage: 'demo', stageVersion: '1', configHash: 'abc', config: { a: 1 }, inputs: {}, dtype: 'float32', seed: 7 };

function sample() {
  const emb = new Float32Array([1, 2, 3, 4, 5, 6]);
  return buildTable(schema, {
    id: Int32Array.from([10, 11]),
    split: ['train', 'test'],
    target: [1, null],
    embedding: fixedSizeListVector(emb, 3),
  });
}

describe('artifact round trip', () => {
  it('writes and reads back values, nulls, embeddings and provenance', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arrow-io-'));
    const path = join(dir, 'sub', 'a.arrow');
    writeArtifact(path, schema, sample(), meta);
    const { table, meta: m } = readArtifact(path, schema);
    expect(table.numRows).toBe(2);
    expect(table.getChild('id')!.toArray()).toEqual(Int32Array.from([10, 11]));
    expect(table.getChild('target')!.get(1)).toBeNull();
    expect(table.getChild('split')!.get(1)).toBe('test');
    const e = readFixedSizeList(table, 'embedding');
    expect(e.dim).toBe(3);
    expect(Array.from(e.values)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(m.seed).toBe(7);
    expect(m.rows).toBe(2);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['a.arrow']); // no temp files left behind
  });

  it('reads embeddings correctly from a sliced table (non-zero chunk offsets)', () => {
    const t = sample().slice(1, 2);
    const e = readFixedSizeList(t, 'embedding');
    expect(Array.from(e.values)).toEqual([4, 5, 6]);
  });

  it('a FixedSizeList<Float64> column read back from a file stays float64 (1/3 is not rounded to float32)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arrow-io-'));
    const path = join(dir, 'f64.arrow');
    const s64 = defineSchema('demo64', [new Field('v', embeddingType64(2), false)]);
    writeArtifact(path, s64, buildTable(s64, { v: fixedSizeListVector(Float64Array.from([1 / 3, 2 / 3]), 2) }), meta);
    const e = readFixedSizeList(readArtifact(path, s64).table, 'v');
    expect(e.values).toBeInstanceOf(Float64Array);
    expect(Array.from(e.values)).toEqual([1 / 3, 2 / 3]);
  });

  it('fails with one line on a missing file', () => {
    expect(() => readArtifact('/nonexistent/x.arrow', schema)).toThrowError(/x\.arrow: file not found; expected the 'demo' artifact/);
  });

  it('fails with one line on a truncated file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arrow-io-'));
    const path = join(dir, 'a.arrow');
    writeArtifact(path, schema, sample(), meta);
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    expect(() => readArtifact(path, schema)).toThrowError(TangentError);
    expect(() => readArtifact(path, schema)).toThrowError(/truncated Arrow file/);
  });

  it('fails on a wrong schema, naming the column', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arrow-io-'));
    const path = join(dir, 'a.arrow');
    writeArtifact(path, schema, sample(), meta);
    const other = defineSchema('other', [new Field('id', new Utf8(), false)]);
    expect(() => readArtifact(path, other)).toThrowError(/column 'id' should be Utf8 but is Int32/);
    expect(existsSync(path)).toBe(true);
  });

  it('refuses a table that does not match its schema before writing anything, leaving the previous file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arrow-io-'));
    const a = join(dir, 'a.arrow');
    writeArtifact(a, schema, sample(), { ...meta, seed: 1 });
    const before = readFileSync(a);
    const other = defineSchema('other', [new Field('id', new Utf8(), false)]);
    expect(() => writeArtifact(a, other, sample(), { ...meta, seed: 2 })).toThrowError(/refusing to write .*a\.arrow/);
    expect(readFileSync(a).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['a.arrow']);
  });
});
