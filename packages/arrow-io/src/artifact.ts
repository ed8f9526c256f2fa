import { existsSync, readFileSync, statSync } from 'node:fs';
import {
  Field,
  FixedSizeList,
  Float32,
  Float64,
  RecordBatch,
  Struct,
  Schema,
  Table,
  Vector,
  makeData,
  makeVector,
  vectorFromArray,
  tableFromIPC,
  tableToIPC,
  DataType,
  Precision,
  type Float,
} from 'apache-arrow';
import { writeFileAtomic } from './atomic.ts';
import { fail } from '@tangent/base';
import { contentChecksum, sameChecksum, type ContentChecksum } from './checksum.ts';
import { ARROW_MAGIC, checkIpcFile, IpcFramingError, type IpcFileLayout } from './ipc-framing.ts';
import { assertFinite, checkArtifactExpectations, parseArtifactMeta, type ReadArtifactOptions } from './read-integrity.ts';

/** Provenance carried by every artifact, stored as JSON under the schema metadata key `tangent`. */
export interface ArtifactMeta {
  stage: string;
  stageVersion: string;
  /** sha256 of the canonical JSON of the stage config that produced this file. */
  configHash: string;
  config: unknown;
  /** Input file path -> sha256 of its bytes. */
  inputs: Record<string, string>;
  dtype: string;
  seed: number | null;
  rows: number;
  createdAt: string;
  /** Stage-specific figures (counts, explained variance, ...). */
  extra?: Record<string, unknown>;
  /** What the file holds within its stage (e.g. "embeddings", "cv"); readers may insist on it. */
  kind?: string;
  /** The pipeline grid key the file was made for, e.g. "use-lite-d128". */
  key?: string;
  /** CRC-32 of the data (every dictionary and record batch message, header and body), verified on read. */
  checksum?: ContentChecksum;
}

/**
 * The checksum of the data blocks of Arrow IPC file `bytes` whose framing `layout` describes: the
 * dictionary and record batch messages in file order. They do not depend on the schema's
 * metadata (where the checksum itself is stored), so the value is the same before and after it
 * is recorded.
 */
export function bodyChecksum(bytes: Uint8Array, layout: Pick<IpcFileLayout, 'dictionaries' | 'recordBatches'>): ContentChecksum {
  const ranges = [...layout.dictionaries, ...layout.recordBatches].map(
    (b) => [b.offset, b.offset + b.metaDataLength + b.bodyLength] as const,
  );
  return contentChecksum(bytes, ranges);
}

export const META_KEY = 'tangent';

/** A declared artifact schema: the exact columns (name, Arrow type, nullability) a file must have. */
export interface ArtifactSchema {
  name: string;
  fields: Field[];
}

export function defineSchema(name: string, fields: Field[]): ArtifactSchema {
  return { name, fields };
}

/** A FixedSizeList<Float32>[dim] column type: one embedding per row, a standard Arrow type. */
export function embeddingType(dim: number): FixedSizeList<Float32> {
  return new FixedSizeList(dim, new Field('item', new Float32(), false));
}
export function embeddingType64(dim: number): FixedSizeList<Float64> {
  return new FixedSizeList(dim, new Field('item', new Float64(), false));
}

/** Wrap row-major values (n × dim) as a FixedSizeList column without copying. */
export function fixedSizeListVector(values: Float32Array | Float64Array, dim: number): Vector {
  if (dim <= 0 || values.length % dim !== 0) fail(`fixedSizeListVector: ${values.length} values do not split into rows of ${dim}`);
  const length = values.length / dim;
  const childType = values instanceof Float64Array ? new Float64() : new Float32();
  const child = makeData({ type: childType, length: values.length, nullCount: 0, data: values as Float32Array });
  const type = new FixedSizeList(dim, new Field('item', childType, false));
  return new Vector([makeData({ type, length, nullCount: 0, child })]);
}

/**
 * Read a FixedSizeList<Float32|Float64> column back as one contiguous row-major array. With
 * `finite: true` a NaN or ±Infinity fails with one line naming `file` (default "table"), the
 * row and the column.
 */
export function readFixedSizeList(
  table: Table,
  column: string,
  opts: { finite?: boolean; file?: string } = {},
): { values: Float32Array | Float64Array; dim: number; rows: number } {
  const file = opts.file ?? 'table';
  const col = table.getChild(column);
  if (!col) fail(`${file}: column '${column}' not found`);
  // Type ids, not instanceof: the table may come from another copy of apache-arrow.
  if (!DataType.isFixedSizeList(col.type) || !DataType.isFloat((col.type as FixedSizeList).children[0].type))
    fail(`${file}: column '${column}' should be FixedSizeList<Float32|Float64>[dim], found ${col.type}`);
  const type = col.type as FixedSizeList;
  const dim = type.listSize;
  const rows = col.length;
  // the precision, not `instanceof Float64`: a type read back from a file is Float(DOUBLE)
  const isF64 = (type.children[0].type as Float).precision === Precision.DOUBLE;
  const out = isF64 ? new Float64Array(rows * dim) : new Float32Array(rows * dim);
  let offset = 0;
  for (const chunk of col.data) {
    // Arrow JS slices a FixedSizeList's child together with the parent, so the child's
    // logical elements 0..length*dim are exactly this chunk's rows.
    const child = new Vector([chunk.children[0]]).toArray() as Float32Array | Float64Array;
    const vals = child.subarray(0, chunk.length * dim);
    out.set(vals, offset);
    offset += chunk.length * dim;
  }
  if (opts.finite) assertFinite(out, dim, { file, column });
  return { values: out, dim, rows };
}

/** Build a Table from plain column arrays against a declared schema (type-checked on write). */
export function buildTable(schema: ArtifactSchema, columns: Record<string, Vector | ArrayLike<unknown>>): Table {
  let length = -1;
  const children = schema.fields.map((f) => {
    const c = columns[f.name];
    if (c === undefined) fail(`artifact '${schema.name}': column '${f.name}' missing when writing`);
    let v: Vector =
      c instanceof Vector
        ? c
        : ArrayBuffer.isView(c)
          ? makeVector(c as Int32Array)
          : vectorFromArray(Array.from(c as ArrayLike<unknown>) as never, f.type as DataType);
    if (String(v.type) !== String(f.type)) fail(`artifact '${schema.name}': column '${f.name}' is ${v.type}, declared ${f.type}`);
    if (v.data.length !== 1) v = vectorFromArray(v.toArray() as never, f.type as DataType);
    if (length >= 0 && v.length !== length) fail(`artifact '${schema.name}': column '${f.name}' has ${v.length} rows, expected ${length}`);
    length = v.length;
    return v.data[0];
  });
  const arrowSchema = new Schema(schema.fields);
  const data = makeData({ type: new Struct(schema.fields), length: Math.max(length, 0), nullCount: 0, children });
  return new Table(arrowSchema, [new RecordBatch(arrowSchema, data)]);
}

function typeName(t: DataType): string {
  return String(t);
}

/** Check a table's schema against the declared one; returns a description of the first mismatch. */
export function schemaMismatch(expected: ArtifactSchema, actual: Schema): string | null {
  for (const f of expected.fields) {
    const a = actual.fields.find((x) => x.name === f.name);
    if (!a) return `column '${f.name}' (${typeName(f.type)}) is missing; found columns [${actual.fields.map((x) => x.name).join(', ')}]`;
    if (typeName(a.type) !== typeName(f.type)) return `column '${f.name}' should be ${typeName(f.type)} but is ${typeName(a.type)}`;
    if (!f.nullable && a.nullable) return `column '${f.name}' should be non-nullable`;
  }
  return null;
}

export type ArtifactMetaInput = Omit<ArtifactMeta, 'rows' | 'createdAt'> & { createdAt?: string };

/** Serialise `table` with its provenance to Arrow IPC file bytes (schema-checked). */
export function encodeArtifact(
  path: string,
  schema: ArtifactSchema,
  table: Table,
  meta: ArtifactMetaInput,
): { bytes: Uint8Array; meta: ArtifactMeta } {
  const mismatch = schemaMismatch(schema, table.schema);
  if (mismatch) fail(`refusing to write ${path}: ${mismatch}`);
  const plain = tableToIPC(new Table(new Schema(table.schema.fields), table.batches), 'file');
  const checksum = bodyChecksum(plain, checkIpcFile(plain));
  const full: ArtifactMeta = { ...meta, rows: table.numRows, createdAt: meta.createdAt ?? new Date().toISOString(), checksum };
  const metadata = new Map(table.schema.metadata);
  metadata.set(META_KEY, JSON.stringify(full));
  metadata.set('tangent.stage', full.stage);
  metadata.set('tangent.config_hash', full.configHash);
  const withMeta = new Table(new Schema(table.schema.fields, metadata), table.batches);
  return { bytes: tableToIPC(withMeta, 'file'), meta: full };
}

/** Compare the data's checksum with the one its provenance records (a file without one is refused). */
function verifyChecksum(path: string, bytes: Uint8Array, layout: IpcFileLayout, meta: ArtifactMeta, rerun: string): void {
  const recorded = meta.checksum;
  if (!recorded || typeof recorded.crc32 !== 'string')
    fail(`${path}: its provenance records no content checksum (written by an older tangent, or not by tangent); ${rerun}`);
  const actual = bodyChecksum(bytes, layout);
  if (!sameChecksum(actual, recorded))
    fail(
      `${path}: corrupt data (content checksum crc32 ${actual.crc32} over ${actual.bytes} bytes, its provenance records ${recorded.crc32} over ${recorded.bytes} bytes); ${rerun}`,
    );
}

/** Write one artifact atomically (temp file + rename). */
export function writeArtifact(path: string, schema: ArtifactSchema, table: Table, meta: ArtifactMetaInput): ArtifactMeta {
  const { bytes, meta: full } = encodeArtifact(path, schema, table, meta);
  writeFileAtomic(path, bytes);
  return full;
}

/**
 * Read an artifact and check it against its declared schema and the reader's expectations.
 * Before decoding, the Arrow IPC file framing is validated (magic markers, footer, every
 * block and message header) so that a corrupt file fails in milliseconds instead of sending
 * the decoder into a loop; after decoding, the rows are compared with the provenance's `rows`
 * and, per `opts`, the recorded stage / kind / key. Every problem is one line naming the file,
 * what was expected, what was found and how to fix it. The third argument may be a plain
 * string: the hint (how to make the file), as in `readArtifact(path, schema, 'run X first')`.
 */
export function readArtifact(
  path: string,
  schema: ArtifactSchema,
  hintOrOpts: string | ReadArtifactOptions = {},
): { table: Table; meta: ArtifactMeta; bytes: Uint8Array } {
  const opts: ReadArtifactOptions = typeof hintOrOpts === 'string' ? { hint: hintOrOpts } : hintOrOpts;
  const how = opts.hint ? ` (${opts.hint})` : '';
  const rerun = `delete it and rerun the stage that writes it${how}`;
  if (!existsSync(path)) fail(`${path}: file not found; expected the '${schema.name}' artifact${how}`);
  if (!statSync(path).isFile()) fail(`${path}: not a regular file; expected the '${schema.name}' artifact${how}`);
  const bytes = readFileSync(path);
  const size = bytes.length;
  const head = bytes.subarray(0, 6).toString('latin1');
  const tail = size >= 12 ? bytes.subarray(size - 6).toString('latin1') : '';
  if (head !== ARROW_MAGIC) {
    if (tail === ARROW_MAGIC)
      fail(`${path}: corrupt Arrow file (its start is overwritten: no ${ARROW_MAGIC} header, but an Arrow footer at the end); ${rerun}`);
    fail(`${path}: not an Arrow IPC file (no ${ARROW_MAGIC} header); expected the '${schema.name}' artifact${how}`);
  }
  if (tail !== ARROW_MAGIC) fail(`${path}: truncated Arrow file (${size} bytes, no ${ARROW_MAGIC} footer); ${rerun}`);
  let layout: IpcFileLayout;
  try {
    layout = checkIpcFile(bytes);
  } catch (e) {
    if (e instanceof IpcFramingError) fail(`${path}: corrupt Arrow file (${e.message}); ${rerun}`);
    throw e;
  }
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (e) {
    fail(`${path}: corrupt Arrow file (${(e as Error).message.split('\n')[0]}); ${rerun}`);
  }
  if (table.numRows !== layout.rows)
    fail(`${path}: corrupt Arrow file (${table.numRows} rows decoded, its record batches declare ${layout.rows}); ${rerun}`);
  const mismatch = schemaMismatch(schema, table.schema);
  if (mismatch) fail(`${path}: wrong schema for '${schema.name}': ${mismatch}`);
  const rawMeta = table.schema.metadata.get(META_KEY);
  if (!rawMeta) fail(`${path}: no '${META_KEY}' provenance metadata; was it written by tangent?`);
  const meta = parseArtifactMeta<ArtifactMeta>(path, rawMeta, META_KEY);
  verifyChecksum(path, bytes, layout, meta, rerun);
  checkArtifactExpectations(path, meta, table.numRows, opts);
  return { table, meta, bytes };
}
