/**
 * The fixed "tracked" subset on which the empirical NTK is followed during training: a seeded
 * stratified sample (each class in proportion to its share of the labels), sorted by index so
 * the subset is the same whatever the network width or seed.
 */
import { fail } from '@tangent/base';
import { rng } from '@tangent/linalg';

export function stratifiedSubset(labels: ArrayLike<number>, size: number, seed: number): Int32Array {
  const n = labels.length;
  if (!Number.isInteger(size) || size < 1) fail(`tracked subset size must be a positive integer, got ${size}`);
  if (size >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const classes = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    if (!classes.has(c)) classes.set(c, []);
    classes.get(c)!.push(i);
  }
  const r = rng(seed);
  const keys = [...classes.keys()].sort((a, b) => a - b);
  // Largest-remainder apportionment of `size` over the classes.
  const quota = keys.map((k) => (classes.get(k)!.length * size) / n);
  const take = quota.map(Math.floor);
  const order = quota.map((q, i) => [q - Math.floor(q), i] as const).sort((a, b) => b[0] - a[0]);
  for (let j = 0; j < size - take.reduce((s, t) => s + t, 0); j++) take[order[j][1]]++;
  const out: number[] = [];
  keys.forEach((k, ci) => {
    const idx = classes.get(k)!;
    const perm = r.permutation(idx.length);
    for (let j = 0; j < take[ci]; j++) out.push(idx[perm[j]]);
  });
  return Int32Array.from(out.sort((a, b) => a - b));
}
