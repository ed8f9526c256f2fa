import { describe, expect, it } from 'vitest';
import { contentChecksum, crc32, crc32Implementations, crc32Reference } from './checksum.ts';

describe('CRC-32 (zlib polynomial)', () => {
  it('has the standard check value and agrees across implementations, chained or not', () => {
    const ascii = new TextEncoder().encode('123456789');
    expect(crc32Reference(ascii)).toBe(0xcbf43926); // the catalogue's check value for CRC-32/ISO-HDLC
    const bytes = Uint8Array.from({ length: 100_003 }, (_, i) => (i * 2654435761) >>> 24);
    const want = crc32Reference(bytes);
    const impls = crc32Implementations();
    expect(impls.length).toBeGreaterThanOrEqual(1);
    for (const [name, f] of impls) {
      expect(f(ascii, 0), name).toBe(0xcbf43926);
      expect(f(bytes, 0), name).toBe(want);
      expect(f(bytes.subarray(40_000), f(bytes.subarray(0, 40_000), 0)), `${name} chained`).toBe(want);
    }
    expect(crc32(bytes)).toBe(want);
    const hex = want.toString(16).padStart(8, '0');
    expect(contentChecksum(bytes)).toEqual({ crc32: hex, bytes: bytes.length });
    expect(
      contentChecksum(bytes, [
        [0, 10],
        [10, bytes.length],
      ]),
    ).toEqual({ crc32: hex, bytes: bytes.length });
  });
});
