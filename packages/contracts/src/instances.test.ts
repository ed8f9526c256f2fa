import { describe, expect, it } from 'vitest';
import { runPoints } from './grid.ts';
import { instanceDir, instanceId, pipelineInstances, projectName, type Instance } from './instances.ts';
import { resolveManifest } from './manifest.ts';

const ids = (xs: Instance[]) => new Map(xs.map((i) => [`${i.stage}:${i.key}`, i.identity]));
const base = { grid: { d: [16, 32], widths: [8, 64], seeds: [0, 1], lrs: [1], lrSweep: { widths: [8], lrs: [0.5] } } };

describe('stage instances of a manifest', () => {
  it('one per grid point, in dependency order, with folders derived from the keys', () => {
    const inst = pipelineInstances(resolveManifest(base));
    const count = (s: string) => inst.filter((i) => i.stage === s).length;
    // per d: width 8 × lrs {0.5, 1} × 2 seeds + width 64 × lr 1 × 2 seeds = 6 runs
    expect([count('text'), count('embed'), count('pca'), count('ntk'), count('mlp'), count('mlp-submit')]).toEqual([1, 1, 2, 2, 12, 4]);
    const pos = new Map(inst.map((i, k) => [instanceId(i.stage, i.key), k]));
    for (const i of inst) for (const d of i.deps) expect(pos.get(d)!).toBeLessThan(pos.get(instanceId(i.stage, i.key))!);
    expect(inst.find((i) => i.stage === 'mlp' && i.key === 'use-lite-d16/w8-s1-lr0.5')!.dir).toBe('mlp/use-lite-d16/w8-s1-lr0.5');
    expect(instanceDir('pca', 'use-lite-d32')).toBe('pca/use-lite-d32');
    expect(instanceDir('ntk', 'use-lite-d32')).toBe('ntk/use-lite-d32');
    expect(projectName({ stage: 'mlp', key: 'use-lite-d16/w8-s1-lr0.5' }, 'quick')).toBe('mlp.use-lite-d16.w8-s1-lr0.5@quick');
    expect(runPoints(resolveManifest(base).grid).map((r) => `${r.width}/${r.lr}/${r.seed}`)).toEqual([
      '8/0.5/0',
      '8/0.5/1',
      '8/1/0',
      '8/1/1',
      '64/1/0',
      '64/1/1',
    ]);
  });

  it('lrSweep.seeds and lrSweep.d restrict only the extra rates; the other runs keep their keys and identities', () => {
    const before = ids(pipelineInstances(resolveManifest(base)));
    const sweep = { widths: [8, 64], lrs: [0.5, 2.5], seeds: [1], d: [32] };
    const after = pipelineInstances(resolveManifest({ grid: { ...base.grid, lrSweep: sweep } }));
    const runs = after.filter((i) => i.stage === 'mlp').map((i) => i.key);
    // d16: only the main rate (2 widths × 2 seeds); d32: that plus 2 extra rates × 2 widths at seed 1
    expect(runs.filter((k) => k.startsWith('use-lite-d16/'))).toEqual([
      'use-lite-d16/w8-s0-lr1',
      'use-lite-d16/w8-s1-lr1',
      'use-lite-d16/w64-s0-lr1',
      'use-lite-d16/w64-s1-lr1',
    ]);
    expect(runs.filter((k) => k.startsWith('use-lite-d32/')).sort()).toEqual(
      [
        'use-lite-d32/w8-s0-lr1',
        'use-lite-d32/w8-s1-lr0.5',
        'use-lite-d32/w8-s1-lr1',
        'use-lite-d32/w8-s1-lr2.5',
        'use-lite-d32/w64-s0-lr1',
        'use-lite-d32/w64-s1-lr0.5',
        'use-lite-d32/w64-s1-lr1',
        'use-lite-d32/w64-s1-lr2.5',
      ].sort(),
    );
    // at d32 mlp-submit chooses among rates by the runs' fit-rows score, so there (only there) the runs
    // also score fold 0 (train.validation); a run whose width runs one rate before and after keeps its identity
    for (const i of after)
      if (i.stage === 'mlp') {
        const choosing = i.key.startsWith('use-lite-d32/');
        expect((i.config as { train?: { validation?: string } }).train?.validation, i.key).toBe(choosing ? 'score' : undefined);
        if (i.key.startsWith('use-lite-d16/w64-')) expect(before.get(`mlp:${i.key}`)).toBe(i.identity);
      }
  });

  it('adding a width adds instances and re-keys only the ones that gather (analysis, submissions)', () => {
    const before = ids(pipelineInstances(resolveManifest(base)));
    const after = ids(pipelineInstances(resolveManifest({ grid: { ...base.grid, widths: [8, 64, 256] } })));
    const changed = [...before].filter(([k, v]) => after.get(k) !== v).map(([k]) => k);
    expect(changed.sort()).toEqual(['analysis:', 'submissions:']);
    expect([...after.keys()].filter((k) => !before.has(k)).sort()).toEqual([
      'mlp-submit:use-lite-d16/submit-w256',
      'mlp-submit:use-lite-d32/submit-w256',
      'mlp:use-lite-d16/w256-s0-lr1',
      'mlp:use-lite-d16/w256-s1-lr1',
      'mlp:use-lite-d32/w256-s0-lr1',
      'mlp:use-lite-d32/w256-s1-lr1',
    ]);
  });

  it('a stage section change re-keys that stage and everything downstream, nothing upstream', () => {
    const before = ids(pipelineInstances(resolveManifest(base)));
    const after = ids(pipelineInstances(resolveManifest({ ...base, ntk: { folds: 3 } })));
    const changed = new Set([...before].filter(([k, v]) => after.get(k) !== v).map(([k]) => k.split(':')[0]));
    expect([...changed].sort()).toEqual(['analysis', 'mlp', 'mlp-submit', 'ntk', 'submissions']);
  });

  it("a width's submission waits for that width's runs only where it chooses among learning rates", () => {
    const m = resolveManifest(base); // lr sweep at width 8 only
    const inst = pipelineInstances(m);
    const deps = (w: number) => inst.find((i) => i.stage === 'mlp-submit' && i.key === `use-lite-d16/submit-w${w}`)!.deps;
    expect(
      deps(8)
        .filter((d) => d.startsWith('mlp:'))
        .sort(),
    ).toEqual(['w8-s0-lr0.5', 'w8-s0-lr1', 'w8-s1-lr0.5', 'w8-s1-lr1'].map((r) => `mlp:use-lite-d16/${r}`));
    expect(deps(64)).toEqual(['pca:use-lite-d16']); // trained on all of train: not the ntk stage, no run
    const changed = (raw: object) => {
      const a = ids(inst),
        b = ids(pipelineInstances(resolveManifest(raw)));
      return [...a].filter(([k, v]) => b.get(k) !== v).map(([k]) => k);
    };
    expect(changed({ ...base, ntk: { folds: 3 } })).not.toContain('mlp-submit:use-lite-d16/submit-w64');
    expect(changed({ ...base, ntk: { folds: 3 } })).toContain('mlp-submit:use-lite-d16/submit-w8');
  });

  it('d is one edit: every pca, ntk and mlp key follows it', () => {
    const inst = pipelineInstances(resolveManifest({ grid: { d: [64] } }));
    const keys = inst.filter((i) => ['pca', 'ntk', 'mlp', 'mlp-submit'].includes(i.stage)).map((i) => i.key);
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(k.startsWith('use-lite-d64')).toBe(true);
    expect(inst.find((i) => i.stage === 'pca')!.config).toMatchObject({ embedder: 'use-lite', d: 64 });
  });

  it('profiles override the grid and sections; unknown profiles and bad grids are one-line errors', () => {
    const raw = { ...base, profiles: { small: { grid: { widths: [8] }, mlp: { train: { epochs: 5 } } } } };
    const m = resolveManifest(raw, 'small');
    expect(m.grid.widths).toEqual([8]);
    expect(m.grid.d).toEqual([16, 32]);
    expect(m.sections.mlp).toEqual({ train: { epochs: 5 } });
    expect(() => resolveManifest(raw, 'nope')).toThrowError(/no profile 'nope'; defined: default, small/);
    expect(() => resolveManifest({ grid: { d: [0] } })).toThrowError(/field 'd\.0'/);
    expect(() => resolveManifest({ stages: {} })).toThrowError(/Unrecognized key/);
  });

  it('submission.enabled: false drops the per-width submissions', () => {
    const inst = pipelineInstances(resolveManifest({ ...base, mlp: { submission: { enabled: false } } }));
    expect(inst.filter((i) => i.stage === 'mlp-submit')).toHaveLength(0);
  });

  it('regimes add their own runs under <input>/<regime>/ and re-key none of the grid runs', () => {
    const plain = { ...base, mlp: { train: { epochs: 7 } } };
    const before = ids(pipelineInstances(resolveManifest(plain)));
    const raw = {
      ...plain,
      profiles: {
        fl: {
          regimes: {
            mup: { widths: [64], seeds: [0, 1, 2], mlp: { model: { parameterization: 'mup' } } },
            catapult: { widths: [8], lrs: [2.5, 0.5], seeds: [0] },
          },
        },
      },
    };
    const inst = pipelineInstances(resolveManifest(raw, 'fl'));
    const after = ids(inst);
    const changed = [...before].filter(([k, v]) => after.get(k) !== v).map(([k]) => k);
    expect(changed).toEqual(['analysis:']); // it reads the new runs; submissions reads no runs
    const added = [...after.keys()].filter((k) => !before.has(k));
    // per d: mup 1 width × 1 lr × 3 seeds, catapult 1 width × 2 lrs × 1 seed; no mlp-submit for regimes
    expect(added).toHaveLength(2 * (3 + 2));
    expect(added.filter((k) => k.startsWith('mlp:use-lite-d16/')).sort()).toEqual([
      'mlp:use-lite-d16/catapult/w8-s0-lr0.5',
      'mlp:use-lite-d16/catapult/w8-s0-lr2.5',
      'mlp:use-lite-d16/mup/w64-s0-lr1',
      'mlp:use-lite-d16/mup/w64-s1-lr1',
      'mlp:use-lite-d16/mup/w64-s2-lr1',
    ]);
    const mup = inst.find((i) => i.key === 'use-lite-d16/mup/w64-s1-lr1')!;
    expect(mup.dir).toBe('mlp/use-lite-d16/mup/w64-s1-lr1@fl'); // no default instance: the profile's own folder
    expect(mup.point).toEqual({ dataset: 'tweets', embedder: 'use-lite', d: 16, width: 64, seed: 1, lr: 1, regime: 'mup' });
    expect(mup.config).toEqual({
      train: { epochs: 7 },
      model: { parameterization: 'mup' },
      input: 'use-lite-d16',
      run: { width: 64, seed: 1, lr: 1 },
    });
    expect(projectName(mup, 'fl')).toBe('mlp.use-lite-d16.mup.w64-s1-lr1@fl');
    // the catapult regime inherits the section untouched: same config as a grid run but its own key, so its own identity
    const cat = inst.find((i) => i.key === 'use-lite-d16/catapult/w8-s0-lr0.5')!;
    const grid = inst.find((i) => i.key === 'use-lite-d16/w8-s0-lr0.5')!;
    expect(cat.config).toEqual({ ...grid.config, train: { epochs: 7 } });
    expect(grid.config.train).toEqual({ epochs: 7, validation: 'score' }); // the grid's w8 runs two rates: mlp-submit chooses by fold 0
    expect(cat.identity).not.toBe(grid.identity);
    expect(inst.find((i) => i.stage === 'analysis')!.deps).toContain('mlp:use-lite-d32/mup/w64-s2-lr1');
  });

  it('two profiles live side by side: a folder is shared with the default only by the same instance', () => {
    const raw = { ...base, profiles: { small: { mlp: { train: { epochs: 5 } } }, wide: { grid: { widths: [8, 64, 512] } } } };
    const dirs = (p: string) => new Map(pipelineInstances(resolveManifest(raw, p)).map((i) => [instanceId(i.stage, i.key), i.dir]));
    const [def, small, wide] = [dirs('default'), dirs('small'), dirs('wide')];
    // small trains fewer epochs: its runs, their submissions and the gatherers are its own; the inputs are shared
    expect(small.get('pca:use-lite-d16')).toBe('pca/use-lite-d16');
    expect(small.get('ntk:use-lite-d16')).toBe('ntk/use-lite-d16');
    expect(small.get('mlp:use-lite-d16/w8-s0-lr1')).toBe('mlp/use-lite-d16/w8-s0-lr1@small');
    expect(small.get('mlp-submit:use-lite-d16/submit-w64')).toBe('mlp/use-lite-d16/submit-w64@small');
    expect(small.get('analysis')).toBe('analysis@small');
    expect(small.get('submissions')).toBe('submissions@small');
    // wide adds width 512: the default's runs keep their folders, the gatherers move
    expect(wide.get('mlp:use-lite-d16/w64-s1-lr1')).toBe('mlp/use-lite-d16/w64-s1-lr1');
    expect(wide.get('mlp:use-lite-d16/w512-s1-lr1')).toBe('mlp/use-lite-d16/w512-s1-lr1@wide');
    expect(wide.get('analysis')).toBe('analysis@wide');
    expect(def.get('analysis')).toBe('analysis');
    const all = [...def.values(), ...small.values(), ...wide.values()];
    // one folder, one identity: the profiles' folders collide only where the instance is the same
    const owner = new Map<string, string>();
    for (const p of ['default', 'small', 'wide'])
      for (const i of pipelineInstances(resolveManifest(raw, p))) {
        expect(owner.get(i.dir) ?? i.identity).toBe(i.identity);
        owner.set(i.dir, i.identity);
      }
    expect(new Set(all).size).toBeGreaterThan(def.size);
  });

  it('a regime name that could collide with a run folder, or a bad regime field, is one line', () => {
    expect(() => resolveManifest({ regimes: { w64: {} } })).toThrowError(/regime 'w64': must not start like a run folder/);
    expect(() => resolveManifest({ regimes: { 'Big LR': {} } })).toThrowError(/regime 'Big LR': a regime name/);
    expect(() => resolveManifest({ regimes: { ensemble: {} } })).toThrowError(/regime 'ensemble': is a row of the feature-learning table/);
    expect(() => resolveManifest({ regimes: { sgd: { width: [8] } } })).toThrowError(/regimes\.sgd.*Unrecognized key/);
  });

  it('analysis.featureLearning.enabled makes submissions read the analysis (its chosen submissions); off, nothing changes', () => {
    const off = pipelineInstances(resolveManifest(base)).find((i) => i.stage === 'submissions')!;
    const on = pipelineInstances(resolveManifest({ ...base, analysis: { featureLearning: { enabled: true } } })).find(
      (i) => i.stage === 'submissions',
    )!;
    expect(off.deps).not.toContain('analysis');
    expect(off.config).toEqual({});
    expect(on.deps).toContain('analysis');
    expect(on.config).toEqual({ featureLearning: true });
  });
});
