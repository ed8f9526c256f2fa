/**
 * Structural check of an Arrow IPC *file* before apache-arrow decodes it. apache-arrow trusts
 * the footer and message headers: garbage there can make `tableFromIPC` loop for minutes over
 * bogus vector lengths. Everything here is bounds-checked against the file, so a corrupt file
 * is rejected in milliseconds with a description of the first problem.
 *
 * Layout (format/File.fbs, Message.fbs, Schema.fbs; apache-arrow src/ipc/metadata/file.ts):
 *   "ARROW1" 0 0 | schema message | dictionary / record batch messages | Footer | int32 footer length | "ARROW1"
 *   message  = 0xFFFFFFFF, int32 metadata length, Message flatbuffer (padded to 8), body
 *   Footer   = table { version: short, schema: Schema, dictionaries: [Block], recordBatches: [Block] }
 *   Block    = struct { offset: int64, metaDataLength: int32, (pad 4), bodyLength: int64 }  (24 bytes)
 *   Message  = table { version: short, header_type: ubyte, header: union, bodyLength: int64 }
 *   RecordBatch = table { length: int64, nodes: [FieldNode 16 B], buffers: [Buffer {offset, length: int64}] }
 *   DictionaryBatch = table { id: int64, data: RecordBatch, isDelta: bool }
 */

export const ARROW_MAGIC = 'ARROW1';
const CONTINUATION = 0xffffffff;
const HEADER_SCHEMA = 1;
const HEADER_DICTIONARY = 2;
const HEADER_RECORD_BATCH = 3;
/** Deepest nested type (list of struct of list ...) accepted in a schema. */
const MAX_FIELD_DEPTH = 64;

/** One message of the file, as the footer records it. */
export interface IpcBlock {
  offset: number;
  metaDataLength: number;
  bodyLength: number;
}

export interface IpcFileLayout {
  /** Footer metadata version (0 = V1 ... 4 = V5). */
  version: number;
  footerOffset: number;
  footerLength: number;
  dictionaries: IpcBlock[];
  recordBatches: IpcBlock[];
  /** Sum of the record batches' `length`: the row count the file's own metadata declares. */
  rows: number;
}

/** A structural defect in an Arrow IPC file; the message says what and where. */
export class IpcFramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IpcFramingError';
  }
}

function bad(message: string): never {
  throw new IpcFramingError(message);
}

/** A bounds-checked flatbuffer reader over bytes[start, end). Positions are absolute. */
class Flat {
  private readonly dv: DataView;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly start: number,
    private readonly end: number,
    private readonly what: string,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(pos: number, size: number): void {
    if (!Number.isInteger(pos) || pos < this.start || pos + size > this.end)
      bad(`${this.what}: reference to byte ${pos} outside its ${this.end - this.start}-byte region at ${this.start}`);
  }
  u8(pos: number): number {
    this.need(pos, 1);
    return this.dv.getUint8(pos);
  }
  i16(pos: number): number {
    this.need(pos, 2);
    return this.dv.getInt16(pos, true);
  }
  u16(pos: number): number {
    this.need(pos, 2);
    return this.dv.getUint16(pos, true);
  }
  i32(pos: number): number {
    this.need(pos, 4);
    return this.dv.getInt32(pos, true);
  }
  u32(pos: number): number {
    this.need(pos, 4);
    return this.dv.getUint32(pos, true);
  }
  i64(pos: number): number {
    this.need(pos, 8);
    const v = this.dv.getBigInt64(pos, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER))
      bad(`${this.what}: 64-bit value ${v} at byte ${pos} is out of range`);
    return Number(v);
  }
  /** The root table of a flatbuffer starting at `this.start`. */
  root(): FlatTable {
    return this.table(this.start + this.u32(this.start));
  }
  table(pos: number): FlatTable {
    const vt = pos - this.i32(pos);
    const vtSize = this.u16(vt);
    const tableSize = this.u16(vt + 2);
    if (vtSize < 4 || vtSize % 2 !== 0) bad(`${this.what}: invalid vtable size ${vtSize} at byte ${vt}`);
    this.need(vt, vtSize);
    if (tableSize < 4) bad(`${this.what}: invalid table size ${tableSize} at byte ${pos}`);
    this.need(pos, tableSize);
    return new FlatTable(this, pos, vt, vtSize, tableSize);
  }
  /** Follow a uoffset stored at `pos`. */
  deref(pos: number): number {
    const target = pos + this.u32(pos);
    this.need(target, 4);
    return target;
  }
  /** A vector at the uoffset stored at `pos`: [first element position, length]. */
  vector(pos: number, elemSize: number, name: string): { at: number; length: number } {
    const v = this.deref(pos);
    const length = this.u32(v);
    if (length * elemSize > this.end - v - 4)
      bad(`${this.what}: ${name} claims ${length} entries, more than fit in ${this.end - v - 4} bytes`);
    return { at: v + 4, length };
  }
  string(pos: number, name: string): void {
    const { at, length } = this.vector(pos, 1, name);
    this.need(at, length + 1); // flatbuffer strings are NUL-terminated
  }
}

class FlatTable {
  constructor(
    readonly fb: Flat,
    readonly pos: number,
    private readonly vt: number,
    private readonly vtSize: number,
    private readonly tableSize: number,
  ) {}
  /** Absolute position of field `i`, or null when absent (default value). */
  field(i: number, size: number): number | null {
    const o = 4 + 2 * i;
    if (o >= this.vtSize) return null;
    const v = this.fb.u16(this.vt + o);
    if (v === 0) return null;
    if (v + size > this.tableSize) bad(`table at byte ${this.pos}: field ${i} lies outside the table`);
    return this.pos + v;
  }
  i16(i: number, dflt: number): number {
    const p = this.field(i, 2);
    return p === null ? dflt : this.fb.i16(p);
  }
  u8(i: number, dflt: number): number {
    const p = this.field(i, 1);
    return p === null ? dflt : this.fb.u8(p);
  }
  i64(i: number, dflt: number): number {
    const p = this.field(i, 8);
    return p === null ? dflt : this.fb.i64(p);
  }
  table(i: number): FlatTable | null {
    const p = this.field(i, 4);
    return p === null ? null : this.fb.table(this.fb.deref(p));
  }
  vector(i: number, elemSize: number, name: string): { at: number; length: number } | null {
    const p = this.field(i, 4);
    return p === null ? null : this.fb.vector(p, elemSize, name);
  }
  string(i: number, name: string): void {
    const p = this.field(i, 4);
    if (p !== null) this.fb.string(p, name);
  }
  /** The tables of a vector of tables. */
  tables(i: number, name: string): FlatTable[] {
    const v = this.vector(i, 4, name);
    if (!v) return [];
    const out: FlatTable[] = [];
    for (let k = 0; k < v.length; k++) out.push(this.fb.table(this.fb.deref(v.at + 4 * k)));
    return out;
  }
}

function checkKeyValues(t: FlatTable, i: number, what: string): void {
  for (const kv of t.tables(i, `${what} custom_metadata`)) {
    kv.string(0, `${what} metadata key`);
    kv.string(1, `${what} metadata value`);
  }
}

/** Schema { endianness, fields: [Field], custom_metadata: [KeyValue] }; Field { name, nullable, type_type, type, dictionary, children, custom_metadata }. */
function checkSchema(schema: FlatTable): void {
  const checkField = (f: FlatTable, depth: number): void => {
    if (depth > MAX_FIELD_DEPTH) bad(`schema nests fields more than ${MAX_FIELD_DEPTH} deep`);
    f.string(0, 'field name');
    f.u8(2, 0);
    f.table(3);
    const dict = f.table(4);
    if (dict) dict.table(1); // DictionaryEncoding.indexType
    for (const c of f.tables(5, 'field children')) checkField(c, depth + 1);
    checkKeyValues(f, 6, 'field');
  };
  for (const f of schema.tables(1, 'schema fields')) checkField(f, 0);
  checkKeyValues(schema, 2, 'schema');
}

/** RecordBatch { length, nodes: [FieldNode], buffers: [Buffer] }: counts sane, buffers inside the body. */
function checkRecordBatch(rb: FlatTable, bodyLength: number, where: string): number {
  const length = rb.i64(0, 0);
  if (length < 0) bad(`${where}: negative row count ${length}`);
  const nodes = rb.vector(1, 16, 'field nodes');
  if (nodes)
    for (let k = 0; k < nodes.length; k++) {
      const n = rb.fb.i64(nodes.at + 16 * k);
      const nulls = rb.fb.i64(nodes.at + 16 * k + 8);
      if (n < 0 || nulls < 0 || nulls > n) bad(`${where}: field node ${k} has length ${n} with ${nulls} nulls`);
    }
  const buffers = rb.vector(2, 16, 'buffers');
  if (buffers)
    for (let k = 0; k < buffers.length; k++) {
      const off = rb.fb.i64(buffers.at + 16 * k);
      const len = rb.fb.i64(buffers.at + 16 * k + 8);
      if (off < 0 || len < 0 || off + len > bodyLength)
        bad(`${where}: buffer ${k} (offset ${off}, length ${len}) lies outside the ${bodyLength}-byte message body`);
    }
  return length;
}

/** Check the 8-byte prefix and the Message flatbuffer at `offset`; returns the Message table. */
function readMessage(
  bytes: Uint8Array,
  dv: DataView,
  offset: number,
  limit: number,
  where: string,
): { msg: FlatTable; metaDataLength: number } {
  if (offset + 8 > limit) bad(`${where}: message header at byte ${offset} runs past byte ${limit}`);
  const marker = dv.getUint32(offset, true);
  if (marker !== CONTINUATION)
    bad(`${where}: no continuation marker 0xFFFFFFFF at byte ${offset} (found 0x${marker.toString(16).padStart(8, '0')})`);
  const len = dv.getInt32(offset + 4, true);
  if (len <= 0 || offset + 8 + len > limit) bad(`${where}: metadata length ${len} at byte ${offset + 4} does not fit before byte ${limit}`);
  const fb = new Flat(bytes, offset + 8, offset + 8 + len, where);
  const msg = fb.root();
  const version = msg.i16(0, 0);
  if (version < 0 || version > 4) bad(`${where}: unknown metadata version ${version}`);
  return { msg, metaDataLength: len + 8 };
}

/**
 * Validate the framing of Arrow IPC file bytes and return its layout. Throws IpcFramingError
 * describing the first defect: bad magic or padding, a footer length that does not fit, a
 * footer or message flatbuffer whose references leave their region, blocks outside the data
 * area or overlapping, a message without its continuation marker or whose lengths disagree
 * with the footer's block, or a record batch buffer outside its body.
 */
export function checkIpcFile(bytes: Uint8Array): IpcFileLayout {
  const size = bytes.length;
  const latin1 = (a: number, b: number) => String.fromCharCode(...bytes.subarray(a, b));
  if (size < 8 + 8 + 4 + 6) bad(`${size} bytes, too short to hold a schema, a footer and the magic markers`);
  if (latin1(0, 6) !== ARROW_MAGIC) bad(`no ${ARROW_MAGIC} magic at the start`);
  if (bytes[6] !== 0 || bytes[7] !== 0) bad(`bytes 6-7 after the leading ${ARROW_MAGIC} should be zero padding`);
  if (latin1(size - 6, size) !== ARROW_MAGIC) bad(`no ${ARROW_MAGIC} magic at the end`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const footerLength = dv.getInt32(size - 10, true);
  const footerOffset = size - 10 - footerLength;
  if (footerLength <= 0 || footerOffset < 8) bad(`footer length ${footerLength} does not fit in a ${size}-byte file`);

  const footer = new Flat(bytes, footerOffset, footerOffset + footerLength, 'footer').root();
  const version = footer.i16(0, 0);
  if (version < 0 || version > 4) bad(`footer: unknown metadata version ${version}`);
  const schema = footer.table(1);
  if (!schema) bad('footer: no schema');
  checkSchema(schema);
  const blocks = (i: number, name: string): IpcBlock[] => {
    const v = footer.vector(i, 24, name);
    if (!v) return [];
    const out: IpcBlock[] = [];
    for (let k = 0; k < v.length; k++) {
      const at = v.at + 24 * k;
      out.push({ offset: footer.fb.i64(at), metaDataLength: footer.fb.i32(at + 8), bodyLength: footer.fb.i64(at + 16) });
    }
    return out;
  };
  const dictionaries = blocks(2, 'dictionary blocks');
  const recordBatches = blocks(3, 'record batch blocks');

  // A schema message may open the data area (pyarrow, C++ write one; apache-arrow's file
  // writer keeps the schema in the footer only): when no block starts at byte 8, one must.
  let dataStart = 8;
  const firstOffset = Math.min(footerOffset, ...dictionaries.map((b) => b.offset), ...recordBatches.map((b) => b.offset));
  if (firstOffset > 8) {
    const schemaMsg = readMessage(bytes, dv, 8, firstOffset, 'schema message');
    const type = schemaMsg.msg.u8(1, 0);
    if (type !== HEADER_SCHEMA) bad(`schema message: header type ${type}, expected Schema`);
    if (schemaMsg.msg.i64(3, 0) !== 0) bad('schema message: non-zero body length');
    dataStart = 8 + schemaMsg.metaDataLength;
  }

  const all = [
    ...dictionaries.map((b, k) => ({ ...b, name: `dictionary batch ${k}`, type: HEADER_DICTIONARY })),
    ...recordBatches.map((b, k) => ({ ...b, name: `record batch ${k}`, type: HEADER_RECORD_BATCH })),
  ];
  for (const b of all) {
    if (
      b.offset < dataStart ||
      b.offset % 8 !== 0 ||
      b.metaDataLength <= 8 ||
      b.bodyLength < 0 ||
      b.offset + b.metaDataLength + b.bodyLength > footerOffset
    )
      bad(
        `${b.name}: block (offset ${b.offset}, metadata ${b.metaDataLength}, body ${b.bodyLength}) lies outside the data area (bytes ${dataStart}-${footerOffset})`,
      );
  }
  const sorted = [...all].sort((a, b) => a.offset - b.offset);
  for (let k = 1; k < sorted.length; k++) {
    const prev = sorted[k - 1];
    if (prev.offset + prev.metaDataLength + prev.bodyLength > sorted[k].offset) bad(`${prev.name} overlaps ${sorted[k].name}`);
  }
  let rows = 0;
  for (const b of all) {
    const { msg, metaDataLength } = readMessage(bytes, dv, b.offset, b.offset + b.metaDataLength, b.name);
    if (metaDataLength !== b.metaDataLength)
      bad(`${b.name}: metadata length ${metaDataLength} at byte ${b.offset}, the footer says ${b.metaDataLength}`);
    const type = msg.u8(1, 0);
    if (type !== b.type)
      bad(`${b.name}: message header type ${type}, expected ${b.type === HEADER_RECORD_BATCH ? 'RecordBatch' : 'DictionaryBatch'}`);
    const bodyLength = msg.i64(3, 0);
    if (bodyLength !== b.bodyLength) bad(`${b.name}: message body length ${bodyLength}, the footer says ${b.bodyLength}`);
    const header = msg.table(2);
    if (!header) bad(`${b.name}: message has no header`);
    if (b.type === HEADER_RECORD_BATCH) rows += checkRecordBatch(header, bodyLength, b.name);
    else {
      const data = header.table(1);
      if (!data) bad(`${b.name}: no data`);
      checkRecordBatch(data, bodyLength, b.name);
    }
  }
  return { version, footerOffset, footerLength, dictionaries, recordBatches, rows };
}
