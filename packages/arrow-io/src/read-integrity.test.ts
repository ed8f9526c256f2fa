import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Field, Int32, Schema, Table, tableFromArrays, tableFromIPC, tableToIPC, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  buildTable,
  defineSchema,
  embeddingType,
  fixedSizeListVector,
  readArtifact,
  readFixedSizeList,
  bodyChecksum,
  writeArtifact,
} from './artifact.ts';
import { checkIpcFile } from './ipc-framing.ts';
import { assertFinite } from './read-integrity.ts';
import { errorOf } from '@tangent/base/testing';

const root = resolve(import.meta.dirname, '../../..');
const DIM = 16;
const ROWS = 200;
const schema = defineSchema('demo', [
  new Field('id', new Int32(), false),
  new Field('text', new Utf8(), false),
  new Field('embedding', embeddingType(DIM), false),
]);
const meta = { stage: 'embed', stageVersion: '1', configHash: 'abc', config: { a: 1 }, inputs: {}, dtype: 'float32', seed: 7 };

/** A deterministic pseudo-random byte stream (LCG), so every run corrupts the same way. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  };
}

function table(rows = ROWS, values?: Float32Array): Table {
  return buildTable(schema, {
    id: Int32Array.from({ length: rows }, (_, i) => 1000 + i),
    text: Array.from({ length: rows }, (_, i) => `tweet ${i}: café über #${'x'.repeat(i % 17)}`),
    embedding: fixedSizeListVector(values ?? Float32Array.from({ length: rows * DIM }, (_, i) => Math.sin(i)), DIM),
  });
}

/** A realistic artifact (200 rows, text + 16-d embeddings, ~20 KB) in a fresh directory. */
function goodFile(extraMeta: Record<string, unknown> = {}, t = table()): string {
  const path = join(mkdtempSync(join(tmpdir(), 'read-integrity-')), 'train.arrow');
  writeArtifact(path, schema, t, { ...meta, ...extraMeta });
  return path;
}

function corrupt(path: string, edit: (b: Buffer) => Buffer | void): string {
  const b = readFileSync(path);
  const out = edit(b) ?? b;
  const p = path.replace(/\.arrow$/, '-bad.arrow');
  writeFileSync(p, out);
  return p;
}

/** The same file with the `tangent` metadata replaced by `raw` (bypassing writeArtifact's checks). */
/** The file with `raw` as its provenance; a JSON object gets the data's true checksum unless it names one. */
function withRawMeta(raw: string, t = table()): string {
  const path = join(mkdtempSync(join(tmpdir(), 'read-integrity-')), 'train.arrow');
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // invalid JSON stays as it is
  }
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && !('checksum' in parsed)) {
    const plain = tableToIPC(t, 'file');
    raw = JSON.stringify({ ...parsed, checksum: bodyChecksum(plain, checkIpcFile(plain)) });
  }
  const md = new Map([['tangent', raw]]);
  writeFileSync(path, tableToIPC(new Table(new Schema(t.schema.fields, md), t.batches), 'file'));
  return path;
}

/**
 * Read files in a child process that is killed after `timeoutMs`: a decoder that spins forever
 * fails the test instead of hanging the suite. Returns per file the error (or 'ok') and ms.
 */
function readInChild(files: string[], timeoutMs = 20_000): Array<{ name: string; message: string; ms: number }> {
  const script = join(mkdtempSync(join(tmpdir(), 'read-child-')), 'read.mts');
  writeFileSync(
    script,
    `import { readArtifact } from ${JSON.stringify(join(root, 'packages/arrow-io/src/artifact.ts'))};
const out = [];
for (const f of process.argv.slice(2)) {
  const t0 = performance.now();
  try { readArtifact(f, { name: 'demo', fields: [] }).table.toArray(); out.push({ name: 'ok', message: '', ms: performance.now() - t0 }); }
  catch (e) { out.push({ name: e.name, message: e.message, ms: performance.now() - t0 }); }
}
process.stdout.write(JSON.stringify(out));
`,
  );
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...files], { cwd: root, encoding: 'utf8', timeout: timeoutMs });
  expect(r.error?.message ?? '', 'the reader hung (killed by the timeout)').toBe('');
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('readArtifact on corrupt Arrow files', () => {
  it('F1: garbage in bytes 8-599 (markers intact) fails in well under a second, in a killable child', () => {
    const good = goodFile();
    expect(readFileSync(good).length).toBeGreaterThan(10_000);
    const rnd = lcg(9);
    const bad = corrupt(good, (b) => {
      for (let i = 8; i < 600; i++) b[i] = rnd();
    });
    // Without the framing check apache-arrow's tableFromIPC spins forever on this file.
    const [r] = readInChild([bad]);
    expect(r.name).toBe('TangentError');
    expect(r.message).toMatch(
      /^.*train-bad\.arrow: corrupt Arrow file \(record batch 0: .*\); delete it and rerun the stage that writes it$/,
    );
    expect(r.ms).toBeLessThan(1000);
    const t0 = performance.now();
    expect(errorOf(() => readArtifact(bad, schema, 'run `tangent embed` first'))).toMatch(
      /corrupt Arrow file.*\(run `tangent embed` first\)$/,
    );
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('F2-F4: random overwrites anywhere either read cleanly or fail with one line, each in < 1 s', () => {
    const good = goodFile();
    const bytes = readFileSync(good);
    const rnd = lcg(42);
    const dir = mkdtempSync(join(tmpdir(), 'read-fuzz-'));
    const files: string[] = [];
    for (let k = 0; k < 150; k++) {
      const b = Buffer.from(bytes);
      // Most cases hit the footer and message headers (where a decoder can be misled), some the body.
      const start = k % 3 === 0 ? (rnd() << 8) % b.length : k % 3 === 1 ? b.length - 10 - (rnd() << 2) : 8 + rnd();
      const len = 1 + (rnd() % (k % 2 ? 8 : 64));
      for (let i = start; i < Math.min(b.length - 6, start + len); i++) b[i] = rnd();
      files.push(join(dir, `f${k}.arrow`));
      writeFileSync(files[k], b);
    }
    const results = readInChild(files);
    for (const r of results) {
      expect(['ok', 'TangentError']).toContain(r.name);
      expect(r.message).not.toContain('\n');
      expect(r.ms).toBeLessThan(1000);
    }
    expect(results.filter((r) => /corrupt Arrow file/.test(r.message)).length).toBeGreaterThan(40);
  });

  it('F5: first 4 KB zeroed (torn write) is a corrupt file, not 0 rows', () => {
    const bad = corrupt(goodFile(), (b) => void b.fill(0, 0, 4096));
    expect(errorOf(() => readArtifact(bad, schema))).toMatch(
      /train-bad\.arrow: corrupt Arrow file \(its start is overwritten: no ARROW1 header, but an Arrow footer at the end\); delete it and rerun/,
    );
  });

  it('F6: zeroed 4 KB in the middle of the data (markers intact) fails or reads the declared rows', () => {
    const bad = corrupt(goodFile(), (b) => void b.fill(0, 4096, 8192));
    // Either the framing catches it or the content checksum does: never a clean read.
    expect(errorOf(() => readArtifact(bad, schema))).toMatch(/train-bad\.arrow: corrupt (Arrow file|data \(content checksum)/);
  });

  describe('damage confined to the data bytes (framing and provenance intact) fails on the content checksum', () => {
    const dataBlock = (path: string) => {
      const b = readFileSync(path);
      const block = checkIpcFile(b).recordBatches[0];
      return { start: block.offset + block.metaDataLength, end: block.offset + block.metaDataLength + block.bodyLength };
    };
    const expectCaught = (bad: string) =>
      expect(errorOf(() => readArtifact(bad, schema))).toMatch(
        /train-bad\.arrow: corrupt data \(content checksum crc32 [0-9a-f]{8} over \d+ bytes, its provenance records [0-9a-f]{8} over \d+ bytes\); delete it and rerun/,
      );
    it('one id changed (a label flip in a label column is the same kind of edit)', () => {
      const good = goodFile();
      const { start } = dataBlock(good);
      // the id column is the first buffer of the body: 1000 -> 1001 in row 0
      expectCaught(corrupt(good, (b) => void b.writeInt32LE(b.readInt32LE(start) + 1, start)));
    });
    it('one embedding row negated', () => {
      const good = goodFile();
      const values = readFixedSizeList(readArtifact(good, schema).table, 'embedding').values;
      const b = readFileSync(good);
      const row = Buffer.from(new Float32Array(values.subarray(5 * DIM, 6 * DIM)).buffer);
      const at = b.indexOf(row, dataBlock(good).start);
      expect(at).toBeGreaterThan(0);
      expectCaught(
        corrupt(good, (x) => {
          for (let k = 0; k < DIM; k++) x.writeFloatLE(-x.readFloatLE(at + 4 * k), at + 4 * k);
        }),
      );
    });
    it('64 body bytes XOR-ed, anywhere in the body', () => {
      const good = goodFile();
      const { start, end } = dataBlock(good);
      const next = lcg(11);
      for (let trial = 0; trial < 8; trial++) {
        const at = start + Math.floor(((end - start - 64) * trial) / 8);
        expectCaught(
          corrupt(good, (b) => {
            for (let k = 0; k < 64; k++) b[at + k] ^= 1 + (next() % 255);
          }),
        );
      }
    });
    it('a file whose provenance records no checksum is refused', () => {
      const t = table();
      const path = join(mkdtempSync(join(tmpdir(), 'read-integrity-')), 'train.arrow');
      writeFileSync(
        path,
        tableToIPC(
          new Table(new Schema(t.schema.fields, new Map([['tangent', JSON.stringify({ ...meta, rows: ROWS })]])), t.batches),
          'file',
        ),
      );
      expect(errorOf(() => readArtifact(path, schema))).toMatch(/train\.arrow: its provenance records no content checksum/);
    });
  });

  it('F7: a truncated file (cut at 2/3) names the truncation', () => {
    const bad = corrupt(goodFile(), (b) => b.subarray(0, Math.floor((b.length * 2) / 3)));
    expect(errorOf(() => readArtifact(bad, schema))).toMatch(/train-bad\.arrow: truncated Arrow file \(\d+ bytes, no ARROW1 footer\)/);
  });

  it('F8: a garbled footer is "corrupt Arrow file", not "wrong schema ... found columns []"', () => {
    const bad = corrupt(goodFile(), (b) => {
      const footerLength = b.readInt32LE(b.length - 10);
      b.fill(0xab, b.length - 10 - footerLength, b.length - 10);
    });
    const msg = errorOf(() => readArtifact(bad, schema));
    expect(msg).toMatch(/train-bad\.arrow: corrupt Arrow file \(footer: /);
    expect(msg).not.toMatch(/found columns/);
  });

  it('F9: a footer length that does not fit the file', () => {
    const bad = corrupt(goodFile(), (b) => void b.writeInt32LE(0x7fff0000, b.length - 10));
    expect(errorOf(() => readArtifact(bad, schema))).toMatch(
      /corrupt Arrow file \(footer length 2147418112 does not fit in a \d+-byte file\)/,
    );
  });

  it('F10: a footer block pointing past the data area', () => {
    const good = goodFile();
    const b = readFileSync(good);
    const [block] = checkIpcFile(b).recordBatches;
    // Find the Block struct (offset i64, metaDataLength i32, pad, bodyLength i64) in the footer.
    const pattern = Buffer.alloc(24);
    pattern.writeBigInt64LE(BigInt(block.offset), 0);
    pattern.writeInt32LE(block.metaDataLength, 8);
    pattern.writeBigInt64LE(BigInt(block.bodyLength), 16);
    const at = b.lastIndexOf(pattern);
    expect(at).toBeGreaterThan(0);
    const bad = corrupt(good, (x) => void x.writeBigInt64LE(BigInt(block.bodyLength * 4), at + 16));
    expect(errorOf(() => readArtifact(bad, schema))).toMatch(
      /corrupt Arrow file \(record batch 0: block \(offset 8, .*\) lies outside the data area/,
    );
  });

  it('F11: a message whose metadata length disagrees with its footer block', () => {
    const bad = corrupt(goodFile(), (b) => void b.writeInt32LE(b.readInt32LE(12) - 8, 12));
    expect(errorOf(() => readArtifact(bad, schema))).toMatch(
      /corrupt Arrow file \(record batch 0: metadata length \d+ at byte 8, the footer says \d+\)/,
    );
  });

  it('F12: no continuation marker before a message', () => {
    const bad = corrupt(goodFile(), (b) => void b.writeUInt32LE(0, 8));
    expect(errorOf(() => readArtifact(bad, schema))).toMatch(
      /corrupt Arrow file \(record batch 0: no continuation marker 0xFFFFFFFF at byte 8/,
    );
  });

  it('accepts a good file quickly, with its layout, and the old (path, schema, hint) call', () => {
    const good = goodFile();
    const layout = checkIpcFile(readFileSync(good));
    expect(layout.rows).toBe(ROWS);
    expect(layout.recordBatches.length).toBe(1);
    const { table: t, meta: m } = readArtifact(good, schema, 'run `tangent embed` first');
    expect(t.numRows).toBe(ROWS);
    expect(m.rows).toBe(ROWS);
    // Tables written by apache-arrow directly (several batches, dictionaries, none) pass too.
    const two = table().concat(table(5));
    expect(checkIpcFile(tableToIPC(two, 'file')).rows).toBe(ROWS + 5);
    const dict = tableFromArrays({ s: ['a', 'b', 'a'], x: Int32Array.from([1, 2, 3]) });
    const dictLayout = checkIpcFile(tableToIPC(dict.concat(dict), 'file'));
    expect(dictLayout.dictionaries.length).toBeGreaterThan(0);
    expect(dictLayout.rows).toBe(6);
    expect(tableFromIPC(tableToIPC(dict, 'file')).getChild('s')!.get(1)).toBe('b');
    expect(checkIpcFile(tableToIPC(new Table({}), 'file')).rows).toBe(0);
  });
});

describe('readArtifact: what the file records vs what the reader expects', () => {
  it("F13: another stage's artifact (embed output where pca output belongs)", () => {
    const path = goodFile();
    expect(errorOf(() => readArtifact(path, schema, { stage: 'pca', hint: 'run `tangent pca` first' }))).toBe(
      `${path}: written by the 'embed' stage, expected output of the 'pca' stage; this file was copied or misplaced — delete it and rerun the 'pca' stage; run \`tangent pca\` first`,
    );
    expect(readArtifact(path, schema, { stage: ['pca', 'embed'] }).meta.stage).toBe('embed');
  });

  it('F14: a different artifact kind (meta.kind, or extra.artifact in older files)', () => {
    const k = goodFile({ kind: 'cv' });
    expect(errorOf(() => readArtifact(k, schema, { kind: 'predictions' }))).toMatch(
      /train\.arrow: holds a 'cv' artifact, expected 'predictions'; this file was copied or misplaced — delete it and rerun the 'embed' stage$/,
    );
    const e = goodFile({ extra: { artifact: 'history' } });
    expect(errorOf(() => readArtifact(e, schema, { stage: 'embed', kind: 'summary' }))).toMatch(
      /holds a 'history' artifact, expected 'summary'/,
    );
    // A file that records no kind cannot be judged on it.
    expect(readArtifact(goodFile(), schema, { kind: 'predictions' }).table.numRows).toBe(ROWS);
  });

  it('F15: a different grid key', () => {
    const path = goodFile({ key: 'use-lite-d16' });
    expect(errorOf(() => readArtifact(path, schema, { key: 'use-lite-d128' }))).toMatch(
      /made for 'use-lite-d16', expected 'use-lite-d128'; this file was copied or misplaced/,
    );
    expect(readArtifact(path, schema, { key: 'use-lite-d16' }).meta.key).toBe('use-lite-d16');
  });

  it('F16: row count differs from the provenance', () => {
    const path = withRawMeta(JSON.stringify({ ...meta, rows: 80, createdAt: 'x' }));
    expect(errorOf(() => readArtifact(path, schema))).toMatch(
      /train\.arrow: corrupt Arrow file \(200 rows decoded, its provenance records 80\); delete it and rerun the 'embed' stage$/,
    );
  });

  it('F17: invalid JSON in the tangent metadata', () => {
    const path = withRawMeta('{"stage": "embed", "rows": 2');
    expect(errorOf(() => readArtifact(path, schema))).toMatch(
      /train\.arrow: 'tangent' provenance metadata is not valid JSON \(.*\); delete the file and rerun the stage that writes it$/,
    );
    expect(errorOf(() => readArtifact(withRawMeta('[1,2]'), schema))).toMatch(/provenance metadata is not a JSON object/);
    expect(errorOf(() => readArtifact(withRawMeta('{"rows": 200}'), schema))).toMatch(/provenance metadata has no 'stage'/);
  });

  it('F18: 0 rows where rows are required', () => {
    const path = goodFile({}, table(0));
    expect(readArtifact(path, schema).table.numRows).toBe(0);
    expect(errorOf(() => readArtifact(path, schema, { nonEmpty: true, hint: 'run `tangent text` first' }))).toBe(
      `${path}: no rows (a valid artifact with 0 rows); run \`tangent text\` first`,
    );
  });
});

describe('finiteness', () => {
  it('F19: a NaN in a FixedSizeList column names file, row and element', () => {
    const v = Float32Array.from({ length: ROWS * DIM }, (_, i) => i / 7);
    v[3 * DIM + 5] = NaN;
    const path = goodFile({}, table(ROWS, v));
    const { table: t } = readArtifact(path, schema);
    expect(readFixedSizeList(t, 'embedding').values[3 * DIM + 5]).toBeNaN(); // unchecked by default
    expect(errorOf(() => readFixedSizeList(t, 'embedding', { finite: true, file: path }))).toBe(
      `${path}: column 'embedding' row 3 element 5 is NaN; the stage that wrote it produced non-finite values — check its input and rerun it`,
    );
  });

  it('F20: ±Infinity, row offsets and one-value rows', () => {
    expect(errorOf(() => assertFinite([1, 2, 3, -Infinity], 2, { file: 'x.arrow', column: 'e', rowOffset: 10 }))).toMatch(
      /^x\.arrow: column 'e' row 11 element 1 is -Infinity;/,
    );
    expect(errorOf(() => assertFinite(new Float64Array([0, Infinity]), 1, { file: 'y', column: 'loss' }))).toMatch(
      /^y: column 'loss' row 1 is Infinity;/,
    );
    expect(() => assertFinite(new Float64Array([0, -0, 1e308, -1e-308]), 2, { file: 'z', column: 'e' })).not.toThrow();
  });

  it('F21: readFixedSizeList on a column of another type', () => {
    const path = goodFile();
    const { table: t } = readArtifact(path, schema);
    expect(errorOf(() => readFixedSizeList(t, 'text', { file: path }))).toMatch(
      /column 'text' should be FixedSizeList<Float32\|Float64>\[dim\], found Utf8/,
    );
    expect(errorOf(() => readFixedSizeList(t, 'nope', { file: path }))).toMatch(/train\.arrow: column 'nope' not found/);
  });
});
