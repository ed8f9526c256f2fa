import { describe, expect, it } from 'vitest';
import { availableBackends, setBackend } from './backend.ts';
import { hugeFloat32, hugeFloat64 } from './huge-pages.ts';
import './native.ts';
import './ort.ts';
import { mat32, mat64 } from './matrix.ts';
import { symvLower, syrk } from './ops.ts';
import { rng } from './random.ts';

describe.each(availableBackends())('backend %s', (name) => {
  it('symvLower reads only the lower triangle and equals a brute-force product (float64 and float32)', () => {
    setBackend(name);
    const n = 37,
      r = rng(5);
    const full = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) full[i * n + j] = full[j * n + i] = r.normal();
    const lower = full.slice();
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) lower[i * n + j] = 1e9; // garbage above the diagonal
    const x = r.fillNormal(new Float64Array(n));
    const y0 = r.fillNormal(new Float64Array(n));
    const want = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += full[i * n + j] * x[j];
      want[i] = 2 * s + 0.5 * y0[i];
    }
    const y = symvLower(mat64(n, n, lower), x, { alpha: 2, beta: 0.5, y: y0.slice() });
    for (let i = 0; i < n; i++) expect(y[i]).toBeCloseTo(want[i], 9);
    const y32 = symvLower(mat32(n, n, Float32Array.from(lower)), Float32Array.from(x), { alpha: 2, beta: 0.5, y: Float32Array.from(y0) });
    for (let i = 0; i < n; i++) expect(Math.abs(y32[i] - want[i])).toBeLessThan(1e-3 * (1 + Math.abs(want[i])));
    expect(() => symvLower(mat64(n, n, lower), new Float64Array(n + 1))).toThrow(/x has/);
    setBackend('auto');
  });

  it('syrk into a buffer: lowerOnly fills the lower triangle, else the whole symmetric matrix', () => {
    setBackend(name);
    const A = mat64(9, 4, rng(6).fillNormal(new Float64Array(36)));
    const ref = syrk(A);
    const out = mat64(9, 9, new Float64Array(81).fill(7));
    syrk(A, { out, lowerOnly: true });
    for (let i = 0; i < 9; i++) for (let j = 0; j <= i; j++) expect(out.data[i * 9 + j]).toBeCloseTo(ref.data[i * 9 + j], 12);
    syrk(A, { out });
    for (let k = 0; k < 81; k++) expect(out.data[k]).toBeCloseTo(ref.data[k], 12);
    expect(() => syrk(A, { out: mat64(8, 8) })).toThrow(/out is 8×8/);
    setBackend('auto');
  });
});

describe('huge-page allocation', () => {
  it('gives zeroed typed arrays of the asked length, small or large', () => {
    for (const n of [10, 3 << 20]) {
      const a = hugeFloat64(n),
        b = hugeFloat32(n);
      expect(a).toBeInstanceOf(Float64Array);
      expect(b).toBeInstanceOf(Float32Array);
      expect(a.length).toBe(n);
      expect(b.length).toBe(n);
      expect(a.every((v) => v === 0) && b.every((v) => v === 0)).toBe(true);
    }
  });
});
