/**
 * Content checksums: CRC-32 (the zlib/ISO-HDLC polynomial 0xEDB88320, as in gzip and PNG) over an
 * artifact's data bytes, recorded in its provenance and verified on every read, so that damage
 * confined to the data (a flipped label, a negated row, XOR-ed body bytes), which leaves the
 * Arrow framing and the metadata intact, is caught before a stage computes with it.
 *
 * Why CRC-32 and not the sha256 used for provenance inputs: a read of the 7613 × 512 embedding
 * table takes ~15 ms, and the check must stay under 5 % of that. sha256 runs at ~1.5 GB/s here
 * (10 ms for the table's 15.6 MB); a carry-less-multiply CRC-32 runs at ~20 GB/s (< 1 ms). A
 * CRC detects every burst of ≤ 32 flipped bits and all but 2⁻³² of other damage, which is what
 * a checksum is for; sha256 still identifies the files a stage read.
 *
 * Implementations, all giving the same value: the @node-rs/crc32 native module (SIMD, a prebuilt
 * binary per platform), else Node's zlib.crc32 (Node ≥ 20.15), else a table-driven loop (slow,
 * but correct everywhere). A test checks each against the others.
 */
import { createRequire } from 'node:module';
import zlib from 'node:zlib';

type Crc32 = (bytes: Uint8Array, initial: number) => number;

let TABLE: Uint32Array | undefined;
/** The byte-at-a-time CRC-32 (reflected, polynomial 0xEDB88320): the reference the fast ones must match. */
export function crc32Reference(bytes: Uint8Array, initial = 0): number {
  if (!TABLE) {
    TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      TABLE[n] = c >>> 0;
    }
  }
  let c = ~initial >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

function loadNative(): Crc32 | null {
  try {
    const m = createRequire(import.meta.url)('@node-rs/crc32') as { crc32(b: Buffer, initial?: number): number };
    return (b, initial) => m.crc32(Buffer.from(b.buffer, b.byteOffset, b.byteLength), initial) >>> 0;
  } catch {
    return null; // no prebuilt binary for this platform
  }
}

let impl: Crc32 | undefined;
/** The implementations this platform has, fastest first (exported for the test that compares them). */
export function crc32Implementations(): Array<[string, Crc32]> {
  const out: Array<[string, Crc32]> = [];
  const native = loadNative();
  if (native) out.push(['@node-rs/crc32', native]);
  const z = (zlib as unknown as { crc32?: (b: Uint8Array, v?: number) => number }).crc32;
  if (z) out.push(['zlib.crc32', (b, v) => z(b, v) >>> 0]);
  out.push(['reference', crc32Reference]);
  return out;
}

function crc32Impl(): Crc32 {
  if (impl) return impl;
  // The SIMD module first: zlib's crc32 (Node ≥ 20.15) is ~4× slower here (2.7 vs 0.6 ms on 15.6 MB).
  const z = (zlib as unknown as { crc32?: (b: Uint8Array, v?: number) => number }).crc32;
  impl = loadNative() ?? (z ? (b, v) => z(b, v) >>> 0 : crc32Reference);
  return impl;
}

/** CRC-32 of `bytes`, continuing from `initial` (the CRC of what came before), as an unsigned 32-bit number. */
export function crc32(bytes: Uint8Array, initial = 0): number {
  return crc32Impl()(bytes, initial);
}

/** A content checksum as provenance records it: the CRC-32 as 8 hex digits, and how many bytes it covers. */
export interface ContentChecksum {
  crc32: string;
  bytes: number;
}

/** The content checksum of the concatenation of the byte ranges `[start, end)` of `bytes` (default: all of it). */
export function contentChecksum(
  bytes: Uint8Array,
  ranges: ReadonlyArray<readonly [number, number]> = [[0, bytes.length]],
): ContentChecksum {
  let c = 0,
    n = 0;
  for (const [start, end] of ranges) ((c = crc32(bytes.subarray(start, end), c)), (n += end - start));
  return { crc32: c.toString(16).padStart(8, '0'), bytes: n };
}

/** Whether two content checksums agree (value and length). */
export const sameChecksum = (a: ContentChecksum, b: ContentChecksum): boolean => a.crc32 === b.crc32 && a.bytes === b.bytes;
