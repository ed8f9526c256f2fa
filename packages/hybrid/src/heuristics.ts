/**
 * Switch heuristics: when has SGD entered the lazy regime? Pure functions over the per-epoch
 * trace recorded during phase 1, so they can be tested on synthetic traces. Epoch t means
 * "after t epochs" (t = 0 is the initialisation); k is the window.
 *
 *   (a) parameter norm:  ‖θ_t − θ_{t−k}‖ < ε                   (÷ ‖θ_t‖ when relative)
 *   (b) NTK stability:   |‖Θ_t − Θ_0‖_F − ‖Θ_{t−k} − Θ_0‖_F| < δ  (÷ ‖Θ_0‖_F when relative)
 *   (c) fixed epoch:     t = t_fix
 * and a fallback at maxEpoch when none fired.
 */

export interface EpochRecord {
  epoch: number;
  /** ‖θ_t‖₂. */
  paramNorm: number;
  /** ‖θ_t − θ_{t−k}‖₂, null while t < k. */
  paramDelta: number | null;
  /** ‖Θ_t − Θ_0‖_F on the monitor subset, null when not monitored. */
  ntkDist: number | null;
  /** ‖Θ_0‖_F on the monitor subset, null when not monitored. */
  ntkNorm0: number | null;
}

export type HeuristicName = 'param_norm' | 'ntk_stability' | 'fixed_epoch' | 'max_epoch';

export interface SwitchRules {
  window: number;
  minEpoch: number;
  /** Resolved fallback epoch (config maxEpoch ?? epochs − 1). */
  maxEpoch: number;
  paramNorm: { enabled: boolean; epsilon: number; relative: boolean };
  ntkStability: { enabled: boolean; delta: number; relative: boolean };
  fixedEpoch: { enabled: boolean; epoch: number };
}

export interface SwitchDecision {
  epoch: number;
  /** The heuristic that triggered the switch (first in the order a, b, c, fallback). */
  heuristic: HeuristicName;
  /** Every heuristic that held at that epoch. */
  fired: HeuristicName[];
  /** Signal values at that epoch (null where undefined). */
  paramSignal: number | null;
  ntkSignal: number | null;
}

/** ‖θ_t − θ_{t−k}‖₂ for every t, from the list of parameter vectors θ_0, θ_1, ... (null for t < k). */
export function paramWindowDeltas(thetas: ArrayLike<number>[], k: number): Array<number | null> {
  return thetas.map((th, t) => {
    if (t < k) return null;
    const prev = thetas[t - k];
    let s = 0;
    for (let i = 0; i < th.length; i++) s += (th[i] - prev[i]) ** 2;
    return Math.sqrt(s);
  });
}

/** Signal (a) at trace index t: ‖θ_t − θ_{t−k}‖, relative to ‖θ_t‖ if asked. */
export function paramSignal(trace: EpochRecord[], t: number, relative: boolean): number | null {
  const r = trace[t];
  if (!r || r.paramDelta === null) return null;
  return relative ? r.paramDelta / (r.paramNorm || 1) : r.paramDelta;
}

/** Signal (b) at trace index t: |d_t − d_{t−k}| with d = ‖Θ − Θ_0‖_F, relative to ‖Θ_0‖_F if asked. */
export function ntkSignal(trace: EpochRecord[], t: number, k: number, relative: boolean): number | null {
  if (t < k) return null;
  const a = trace[t],
    b = trace[t - k];
  if (!a || !b || a.ntkDist === null || b.ntkDist === null) return null;
  const diff = Math.abs(a.ntkDist - b.ntkDist);
  return relative ? diff / (a.ntkNorm0 || 1) : diff;
}

/**
 * Evaluate the rules at trace index t (the epoch just finished); null means keep training.
 * trace[i].epoch must equal i. (a) and (b) need t ≥ minEpoch and t ≥ k; (c) fires exactly at
 * its epoch; the fallback fires at maxEpoch.
 */
export function switchAt(trace: EpochRecord[], t: number, rules: SwitchRules): SwitchDecision | null {
  const fired: HeuristicName[] = [];
  const ps = paramSignal(trace, t, rules.paramNorm.relative);
  const ns = ntkSignal(trace, t, rules.window, rules.ntkStability.relative);
  const eligible = t >= rules.minEpoch && t >= rules.window;
  if (rules.paramNorm.enabled && eligible && ps !== null && ps < rules.paramNorm.epsilon) fired.push('param_norm');
  if (rules.ntkStability.enabled && eligible && ns !== null && ns < rules.ntkStability.delta) fired.push('ntk_stability');
  if (rules.fixedEpoch.enabled && t === rules.fixedEpoch.epoch) fired.push('fixed_epoch');
  if (fired.length === 0 && t >= rules.maxEpoch) fired.push('max_epoch');
  if (fired.length === 0) return null;
  return { epoch: t, heuristic: fired[0], fired, paramSignal: ps, ntkSignal: ns };
}

/** First switch over a whole recorded trace (the online rule applied epoch by epoch). */
export function decideSwitch(trace: EpochRecord[], rules: SwitchRules): SwitchDecision | null {
  for (let t = 0; t < trace.length; t++) {
    const d = switchAt(trace, t, rules);
    if (d) return d;
  }
  return null;
}

/** For analysis: the first epoch at which each heuristic alone would have fired (null = never in the trace). */
export function firstFiringEpochs(
  trace: EpochRecord[],
  rules: SwitchRules,
): Record<'param_norm' | 'ntk_stability' | 'fixed_epoch', number | null> {
  const only = (which: 'paramNorm' | 'ntkStability' | 'fixedEpoch'): number | null => {
    const r: SwitchRules = {
      ...rules,
      maxEpoch: Number.POSITIVE_INFINITY,
      paramNorm: { ...rules.paramNorm, enabled: which === 'paramNorm' },
      ntkStability: { ...rules.ntkStability, enabled: which === 'ntkStability' },
      fixedEpoch: { ...rules.fixedEpoch, enabled: which === 'fixedEpoch' },
    };
    return decideSwitch(trace, r)?.epoch ?? null;
  };
  return { param_norm: only('paramNorm'), ntk_stability: only('ntkStability'), fixed_epoch: only('fixedEpoch') };
}
