import { describe, expect, it } from 'vitest';
import { rng } from '@tangent/linalg';
import { stratifiedSplit } from './stratified-split.ts';

const r = rng(4);
const target = Int8Array.from({ length: 1003 }, () => (r.uniform() < 0.43 ? 1 : 0));

describe('stratifiedSplit', () => {
  it('is reproducible from its seed and changes with it', () => {
    const a = stratifiedSplit(target, { evalFraction: 0.2, folds: 5, seed: 7 });
    const b = stratifiedSplit(target, { evalFraction: 0.2, folds: 5, seed: 7 });
    const c = stratifiedSplit(target, { evalFraction: 0.2, folds: 5, seed: 8 });
    expect(b).toEqual(a);
    expect(Array.from(c.fold)).not.toEqual(Array.from(a.fold));
  });

  it('stratifies the eval part and every fold by class; fold sizes differ by at most one', () => {
    const s = stratifiedSplit(target, { evalFraction: 0.2, folds: 5, seed: 7 });
    for (const cls of [0, 1]) {
      const nc = target.filter((v) => v === cls).length;
      const ev = target.filter((v, i) => v === cls && s.isEval[i]).length;
      expect(ev).toBe(Math.round(0.2 * nc));
      const perFold = [0, 1, 2, 3, 4].map((f) => target.filter((v, i) => v === cls && s.fold[i] === f).length);
      expect(Math.max(...perFold) - Math.min(...perFold)).toBeLessThanOrEqual(1);
    }
    const sizes = [0, 1, 2, 3, 4].map((f) => s.fold.filter((v) => v === f).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    for (let i = 0; i < target.length; i++) expect(s.isEval[i] === 1).toBe(s.fold[i] === -1);
  });

  it('stratifies K > 2 classes the same way, and leaves a binary split as it was', () => {
    const r3 = rng(9);
    const t3 = Int8Array.from({ length: 611 }, () => Math.floor(r3.uniform() * 3.6) % 3); // classes 0, 1, 2 unevenly
    const s = stratifiedSplit(t3, { evalFraction: 0.25, folds: 4, seed: 2 });
    for (const cls of [0, 1, 2]) {
      const nc = t3.filter((v) => v === cls).length;
      expect(t3.filter((v, i) => v === cls && s.isEval[i]).length).toBe(Math.round(0.25 * nc));
      const perFold = [0, 1, 2, 3].map((f) => t3.filter((v, i) => v === cls && s.fold[i] === f).length);
      expect(Math.max(...perFold) - Math.min(...perFold)).toBeLessThanOrEqual(1);
    }
    const sizes = [0, 1, 2, 3].map((f) => s.fold.filter((v) => v === f).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    // The binary split is a function of the 0/1 targets only: relabelling 0/1 as other values in the same order changes nothing.
    const a = stratifiedSplit(target, { evalFraction: 0.2, folds: 5, seed: 7 });
    const b = stratifiedSplit(
      Int8Array.from(target, (v) => 5 + 3 * v),
      { evalFraction: 0.2, folds: 5, seed: 7 },
    );
    expect(b).toEqual(a);
  });

  it('rejects bad settings', () => {
    expect(() => stratifiedSplit(target, { evalFraction: 1, folds: 5, seed: 1 })).toThrow(/evalFraction/);
    expect(() => stratifiedSplit([0, 1, 0], { evalFraction: 0.2, folds: 5, seed: 1 })).toThrow(/only 3 fit rows for 5 folds/);
  });
});
