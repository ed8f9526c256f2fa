import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment, parseExperiment } from './config.ts';

const base = { experiment: 'x', data: { kind: 'wine' }, sgd: { lr: 0.05, epochs: 10 } };
const withPatch = (patch: Record<string, unknown>) => ({ ...base, ...patch });

describe('experiment config', () => {
  it('fills defaults', () => {
    const c = parseExperiment(base);
    expect(c.seeds).toEqual([0]);
    expect(c.model.hidden).toEqual([100, 100]);
    expect(c.ntk.methods).toEqual(['linearised-descent', 'functional-evolution', 'integrated-flow']);
    expect(c.switch.paramNorm.enabled).toBe(true);
    expect(c.data).toMatchObject({ kind: 'wine', variant: 'red', testFraction: 0.2 });
  });

  it('loads the shipped configs', () => {
    for (const f of ['wine_quality', 'fashion_mnist', 'template']) {
      const c = loadExperiment(join(import.meta.dirname, '../../../configs', `${f}.yaml`));
      expect(c.sgd.epochs).toBeGreaterThan(0);
    }
  });

  it.each([
    [withPatch({ sgd: { lr: -1, epochs: 10 } }), /field 'sgd.lr'/],
    [withPatch({ sgd: { lr: 0.1, epochs: 10, momentum: 0.9 } }), /field 'sgd'.*momentum/],
    [withPatch({ data: { kind: 'mnist' } }), /field 'data.kind'.*'wine', 'fashion_mnist', 'csv'/],
    [withPatch({ data: { kind: 'wine', variant: 'rose' } }), /field 'data.variant'/],
    [withPatch({ data: { kind: 'csv', path: 'a.csv' } }), /field 'data.target'/],
    [withPatch({ data: { kind: 'wine', testFraction: 1.5 } }), /field 'data.testFraction': must be in \(0, 1\)/],
    [withPatch({ experiment: 'a b' }), /field 'experiment': a folder name: letters/],
    [withPatch({ experiment: '..' }), /field 'experiment': a folder name: .*not starting with a dot/], // would write into the artifacts root
    [withPatch({ switch: { maxEpoch: 10 } }), /field 'switch.maxEpoch': 10 must be below sgd.epochs \(10\)/],
    [withPatch({ switch: { fixedEpoch: { enabled: true, epoch: 12 } } }), /field 'switch.fixedEpoch.epoch'/],
    [withPatch({ switch: { paramNorm: { enabled: false }, ntkStability: { enabled: false } } }), /every heuristic is disabled/],
    [withPatch({ sgd: { lr: 0.1, epochs: 5, loss: 'cross_entropy' } }), /field 'sgd.loss': cross_entropy needs a classification task/],
    [
      withPatch({ data: { kind: 'fashion_mnist' }, sgd: { lr: 0.1, epochs: 5, loss: 'cross_entropy' } }),
      /field 'ntk.methods': functional-evolution, integrated-flow are closed-form .* need sgd.loss: mse/,
    ],
    [withPatch({ ntk: { methods: ['ntk1'] } }), /field 'ntk.methods.0'/], // the old numbered names are gone
    [withPatch({ seeds: [1, 1] }), /field 'seeds': duplicate/],
  ])('rejects bad input with one line naming the field (%#)', (raw, msg) => {
    expect(() => parseExperiment(raw, 'cfg.yaml')).toThrowError(msg);
    try {
      parseExperiment(raw, 'cfg.yaml');
    } catch (e) {
      expect((e as Error).message).toMatch(/^cfg\.yaml: /);
      expect((e as Error).message).not.toContain('\n');
    }
  });

  it('names the file for YAML errors and missing files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const p = join(dir, 'bad.yaml');
    writeFileSync(p, 'experiment: [unclosed\n');
    expect(() => loadExperiment(p)).toThrowError(/bad\.yaml: not valid YAML/);
    expect(() => loadExperiment(join(dir, 'none.yaml'))).toThrowError(/config file not found/);
  });
});
