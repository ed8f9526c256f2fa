import { describe, expect, it } from 'vitest';
import { formatBytes } from './format.ts';

describe('formatBytes', () => {
  it('binary units, three significant figures, never "0.00" for a nonzero size', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1000)).toBe('1000 B');
    expect(formatBytes(1024)).toBe('1.00 KiB');
    expect(formatBytes(80_000)).toBe('78.1 KiB'); // 80000 / 1024 = 78.125
    expect(formatBytes(0.0001 * 1024 ** 3)).toBe('105 KiB'); // 104.86
    expect(formatBytes(1.5 * 1024 ** 2)).toBe('1.50 MiB');
    expect(formatBytes(4 * 1024 ** 3)).toBe('4.00 GiB');
    expect(formatBytes(8 * 60_000 ** 2)).toBe('26.8 GiB'); // 2.88e10 / 2^30 = 26.82
    expect(formatBytes(3 * 1024 ** 5)).toBe('3.00 PiB');
    expect(formatBytes(2 * 1024 ** 6)).toBe('2048 PiB'); // past the last unit: no exponent notation
  });
});
