/**
 * Seeded random numbers, so every split, initialisation and shuffle is reproducible from a
 * recorded seed. xoshiro128** (Blackman & Vigna) seeded through splitmix32; normals by
 * Box–Muller.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal N(0, 1). */
  normal(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Fill with N(0, std²). */
  fillNormal<T extends Float32Array | Float64Array>(out: T, std?: number): T;
  /** Fisher–Yates shuffle in place. */
  shuffle<T>(a: T[] | Int32Array | Uint32Array): typeof a;
  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function rng(seed: number): Rng {
  const sm = splitmix32(seed);
  const s = new Uint32Array([sm(), sm(), sm(), sm()]);
  const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;
  const next = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  };
  let spare: number | null = null;
  const self: Rng = {
    // 53 random bits: two draws, so float64 consumers get full resolution.
    uniform: () => ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992,
    normal() {
      if (spare !== null) {
        const v = spare;
        spare = null;
        return v;
      }
      let u = 0;
      while (u === 0) u = self.uniform();
      const v = self.uniform();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    int: (n: number) => Math.floor(self.uniform() * n),
    fillNormal(out, std = 1) {
      for (let i = 0; i < out.length; i++) out[i] = std * self.normal();
      return out;
    },
    shuffle(a) {
      for (let i = a.length - 1; i > 0; i--) {
        const j = self.int(i + 1);
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
      }
      return a;
    },
    permutation(n) {
      const p = new Int32Array(n);
      for (let i = 0; i < n; i++) p[i] = i;
      self.shuffle(p);
      return p;
    },
  };
  return self;
}
