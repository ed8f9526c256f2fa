import { describe, expect, it } from 'vitest';
import { decideSwitch, firstFiringEpochs, paramWindowDeltas, switchAt, type EpochRecord, type SwitchRules } from './heuristics.ts';

const rules = (over: Partial<SwitchRules> = {}): SwitchRules => ({
  window: 2,
  minEpoch: 0,
  maxEpoch: 100,
  paramNorm: { enabled: false, epsilon: 0.1, relative: false },
  ntkStability: { enabled: false, delta: 0.1, relative: false },
  fixedEpoch: { enabled: false, epoch: 5 },
  ...over,
});

/** Trace from per-epoch parameter deltas and NTK distances. */
const trace = (deltas: Array<number | null>, dists: Array<number | null>, norm = 1, norm0 = 1): EpochRecord[] =>
  deltas.map((paramDelta, epoch) => ({ epoch, paramNorm: norm, paramDelta, ntkDist: dists[epoch] ?? null, ntkNorm0: norm0 }));

describe('parameter-norm heuristic (a)', () => {
  it('computes ‖θ_t − θ_{t−k}‖ over the window', () => {
    const thetas = [
      [0, 0],
      [3, 4],
      [3, 4],
      [6, 8],
    ];
    expect(paramWindowDeltas(thetas, 1)).toEqual([null, 5, 0, 5]);
    expect(paramWindowDeltas(thetas, 2)).toEqual([null, null, 5, 5]);
  });

  it('fires at the first epoch with ‖θ_t − θ_{t−k}‖ < ε, strictly', () => {
    const t = trace([null, null, 0.5, 0.2, 0.1, 0.09, 0.01], []);
    const r = rules({ paramNorm: { enabled: true, epsilon: 0.1, relative: false } });
    expect(switchAt(t, 4, r)).toBeNull(); // 0.1 is not < 0.1
    const d = decideSwitch(t, r)!;
    expect(d.epoch).toBe(5);
    expect(d.heuristic).toBe('param_norm');
    expect(d.paramSignal).toBe(0.09);
  });

  it('divides by ‖θ_t‖ when relative', () => {
    const t = trace([null, null, 5, 4, 3], [], 40);
    const r = rules({ paramNorm: { enabled: true, epsilon: 0.1, relative: true } });
    expect(decideSwitch(t, r)!.epoch).toBe(4); // 3/40 = 0.075 < 0.1; 4/40 = 0.1 is not
  });

  it('respects minEpoch and the window', () => {
    const t = trace([null, 0, 0, 0, 0], []);
    expect(decideSwitch(t, rules({ window: 1, minEpoch: 3, paramNorm: { enabled: true, epsilon: 0.1, relative: false } }))!.epoch).toBe(3);
    expect(decideSwitch(t, rules({ window: 4, paramNorm: { enabled: true, epsilon: 0.1, relative: false } }))!.epoch).toBe(4);
  });
});

describe('NTK-stability heuristic (b)', () => {
  it('fires when |d_t − d_{t−k}| < δ with d = ‖Θ_t − Θ_0‖_F', () => {
    // d: 0, 1, 1.8, 2.3, 2.5, 2.55, 2.58 ; k = 2 → |d_t − d_{t−2}| = ., ., 1.8, 1.3, 0.7, 0.25, 0.08
    const d = [0, 1, 1.8, 2.3, 2.5, 2.55, 2.58];
    const t = trace(
      d.map(() => null),
      d,
    );
    const r = rules({ ntkStability: { enabled: true, delta: 0.1, relative: false } });
    const s = decideSwitch(t, r)!;
    expect(s.epoch).toBe(6);
    expect(s.heuristic).toBe('ntk_stability');
    expect(s.ntkSignal).toBeCloseTo(0.08, 12);
  });

  it('divides by ‖Θ_0‖_F when relative, and never fires without monitoring', () => {
    const d = [0, 1, 1.8, 2.3, 2.5, 2.55, 2.58];
    const t = trace(
      d.map(() => null),
      d,
      1,
      10,
    );
    expect(decideSwitch(t, rules({ ntkStability: { enabled: true, delta: 0.1, relative: true } }))!.epoch).toBe(4); // 0.7/10 = 0.07
    const blind = trace(
      d.map(() => null),
      [],
    );
    expect(decideSwitch(blind, rules({ maxEpoch: 6, ntkStability: { enabled: true, delta: 10, relative: false } }))!.heuristic).toBe(
      'max_epoch',
    );
  });
});

describe('fixed epoch (c), fallback and priority', () => {
  it('fires exactly at the fixed epoch, regardless of minEpoch', () => {
    const t = trace(Array(10).fill(1), []);
    const d = decideSwitch(t, rules({ minEpoch: 8, fixedEpoch: { enabled: true, epoch: 3 } }))!;
    expect(d).toMatchObject({ epoch: 3, heuristic: 'fixed_epoch', fired: ['fixed_epoch'] });
  });

  it('falls back to maxEpoch when nothing fires', () => {
    const t = trace(Array(10).fill(1), []);
    expect(decideSwitch(t, rules({ maxEpoch: 7, paramNorm: { enabled: true, epsilon: 0.1, relative: false } }))).toMatchObject({
      epoch: 7,
      heuristic: 'max_epoch',
    });
  });

  it('reports every heuristic that held, the first in order (a), (b), (c)', () => {
    const d = [0, 0, 0, 0];
    const t = trace([null, null, 0.01, 0.01], d);
    const r = rules({
      paramNorm: { enabled: true, epsilon: 0.1, relative: false },
      ntkStability: { enabled: true, delta: 0.1, relative: false },
      fixedEpoch: { enabled: true, epoch: 2 },
    });
    expect(decideSwitch(t, r)).toMatchObject({ epoch: 2, heuristic: 'param_norm', fired: ['param_norm', 'ntk_stability', 'fixed_epoch'] });
  });

  it('lists when each heuristic alone would have fired', () => {
    const d = [0, 1, 1.8, 2.3, 2.5, 2.55, 2.58];
    const t = trace([null, null, 0.5, 0.2, 0.05, 0.04, 0.01], d);
    const r = rules({
      paramNorm: { enabled: true, epsilon: 0.1, relative: false },
      ntkStability: { enabled: true, delta: 0.1, relative: false },
      fixedEpoch: { enabled: true, epoch: 5 },
    });
    expect(firstFiringEpochs(t, r)).toEqual({ param_norm: 4, ntk_stability: 6, fixed_epoch: 5 });
  });
});
