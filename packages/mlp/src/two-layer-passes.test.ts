import { describe, expect, it } from 'vitest';
import { rng } from '@tangent/linalg';
import { FactorBuffer, ReadoutBuffer } from './two-layer-passes.ts';

const fill = (n: number, seed: number) => rng(seed).fillNormal(new Float32Array(n));

// TANGENT_SIMD=0 turns the SIMD passes off (the JavaScript paths then run everywhere): nothing to test here.
describe.skipIf(process.env.TANGENT_SIMD === '0')('two-layer-passes (WebAssembly SIMD)', () => {
  // m = 1, 3 (tail only), 8 (no tail), 37 (both); with and without the bias term
  for (const m of [1, 3, 8, 37])
    for (const bias of [false, true])
      it(`readout and mask = the loop over rows (m = ${m}, bias ${bias})`, () => {
        const rows = 11,
          U0 = fill(rows * m, m),
          w2 = fill(m, 100 + m),
          cb = bias ? fill(m, 200 + m) : null;
        const b = ReadoutBuffer.create(rows, m, false)!;
        for (const mask of [false, true]) {
          b.U.set(U0);
          const out = b.readout(w2, cb, 0.7, -0.2, mask, new Float32Array(rows));
          for (let i = 0; i < rows; i++) {
            let s = 0;
            for (let k = 0; k < m; k++) {
              const u = Math.fround(U0[i * m + k] + (cb ? cb[k] : 0));
              s += Math.max(u, 0) * w2[k];
              expect(b.U[i * m + k]).toBe(mask ? +(u > 0) : U0[i * m + k]);
            }
            expect(out[i]).toBe(Math.fround(0.7 * s - 0.2));
          }
        }
      });

  it('a layout past wasm32 4 GiB is refused (the caller keeps its JavaScript loop)', () => {
    expect(ReadoutBuffer.create(2 ** 20, 1025, false)).toBeNull();
    expect(ReadoutBuffer.create(2 ** 20, 1022, false)).not.toBeNull(); // 4.29e9 bytes with its vectors: fits
  });

  it('a NaN pre-activation gives a NaN output (a blow-up is not masked away)', () => {
    const b = ReadoutBuffer.create(2, 5, false)!;
    b.U.set([1, 2, NaN, 3, 4, 1, 1, 1, 1, 1]);
    const out = b.readout(Float32Array.of(1, 1, 1, 1, 1), null, 1, 0, false, new Float32Array(2));
    expect(Number.isNaN(out[0])).toBe(true);
    expect(out[1]).toBe(5);
  });

  for (const m of [3, 37])
    it(`factors H = relu(u), D = dk ⊙ 1[u > 0] (m = ${m})`, () => {
      const rows = 9,
        U0 = fill(rows * m, 3),
        dk = fill(m, 4),
        cb = fill(m, 5);
      const b = FactorBuffer.create(rows, m, false)!;
      b.U.set(U0);
      b.factors(dk, cb);
      for (let i = 0; i < rows * m; i++) {
        const u = Math.fround(U0[i] + cb[i % m]);
        expect(b.H[i]).toBe(Math.max(u, 0));
        expect(b.D[i]).toBe(u > 0 ? dk[i % m] : 0);
      }
      // the float64 variant: the same values, promoted (exact)
      const b64 = FactorBuffer.create(rows, m, false, true)!;
      b64.U.set(U0);
      b64.factors(dk, cb);
      expect(b64.H).toBeInstanceOf(Float64Array);
      expect(Array.from(b64.H)).toEqual(Array.from(b.H));
      expect(Array.from(b64.D)).toEqual(Array.from(b.D));
    });
});
