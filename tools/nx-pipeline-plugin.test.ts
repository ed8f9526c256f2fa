import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
// @ts-expect-error plain .mjs Nx plugin, no types
import { createNodesV2 } from './nx-pipeline-plugin.mjs';

const root = resolve(import.meta.dirname, '..');

interface Target {
  command: string;
  inputs: unknown[];
  outputs: string[];
}
interface Project {
  name: string;
  tags: string[];
  implicitDependencies: string[];
  targets: { run: Target };
}

/** The projects the plugin infers for a manifest, by name (run in a scratch workspace that links this one's packages). */
async function projectsFor(manifest: unknown): Promise<Map<string, Project>> {
  const ws = mkdtempSync(join(tmpdir(), 'nx-plugin-'));
  mkdirSync(join(ws, 'configs'));
  for (const d of ['packages', 'apps']) symlinkSync(join(root, d), join(ws, d));
  writeFileSync(join(ws, 'configs/pipeline.yaml'), stringify(manifest));
  const [, fn] = createNodesV2 as [
    string,
    (files: string[], o: unknown, ctx: { workspaceRoot: string }) => Promise<Array<[string, { projects: Record<string, Project> }]>>,
  ];
  const [[, result]] = await fn(['configs/pipeline.yaml'], {}, { workspaceRoot: ws });
  return new Map(Object.values(result.projects).map((p) => [p.name, p]));
}

const grid = { d: [16], widths: [8, 64], seeds: [0], lrs: [1], lrSweep: { widths: [], lrs: [] } };

describe('the Nx pipeline plugin', () => {
  it('adding a width adds its tasks and leaves every other task definition (hence its hash) unchanged, except the gatherers', async () => {
    const before = await projectsFor({ grid });
    const after = await projectsFor({ grid: { ...grid, widths: [8, 64, 256] } });
    const changed = [...before.keys()].filter((n) => JSON.stringify(before.get(n)!.targets) !== JSON.stringify(after.get(n)?.targets));
    expect(changed.sort()).toEqual(['analysis', 'submissions']);
    expect([...after.keys()].filter((n) => !before.has(n)).sort()).toEqual([
      'mlp-submit.use-lite-d16.submit-w256',
      'mlp.use-lite-d16.w256-s0-lr1',
    ]);
  });

  it('a task runs one instance, carries its identity, declares its folder, code, upstream outputs and environment', async () => {
    const p = await projectsFor({ grid });
    const run = p.get('mlp.use-lite-d16.w64-s0-lr1')!;
    expect(run.targets.run.command).toMatch(
      /^TANGENT_THREADS=\$\{TANGENT_THREADS:-1\} node apps\/cli\/bin\/tangent\.mjs mlp --profile default --key use-lite-d16\/w64-s0-lr1 --expect [0-9a-f]{16}$/,
    );
    expect(run.targets.run.outputs).toEqual(['{workspaceRoot}/data/mlp/use-lite-d16/w64-s0-lr1']);
    expect(run.implicitDependencies).toEqual(['@tangent/mlp', 'pca.use-lite-d16', 'ntk.use-lite-d16']);
    const inputs = JSON.stringify(run.targets.run.inputs);
    for (const pkg of ['mlp', 'nn', 'linalg', 'kernels', 'contracts', 'arrow-io', 'base'])
      expect(inputs).toContain(`packages/${pkg}/src/**/*`);
    expect(inputs).not.toContain('packages/ntk/src'); // a stage never imports another stage
    expect(inputs).toContain('dependentTasksOutputFiles');
    expect(p.get('text')!.targets.run.inputs).toContainEqual({ env: 'TANGENT_DATA_DIR' });
    expect(p.get('ntk.use-lite-d16')!.targets.run.command).toMatch(/^node /); // a task that runs alone keeps both threads
    expect(run.tags).toEqual(['pipeline', 'stage:mlp', 'profile:default']);
  });

  it('profiles: shared instances are one task tagged with both; a profile that changes an instance gets its own task and folder', async () => {
    const p = await projectsFor({ grid, profiles: { fast: { mlp: { train: { epochs: 3 } } } } });
    expect(p.get('pca.use-lite-d16')!.tags).toEqual(['pipeline', 'stage:pca', 'profile:default', 'profile:fast']);
    expect(p.get('mlp.use-lite-d16.w8-s0-lr1')!.tags).toEqual(['pipeline', 'stage:mlp', 'profile:default']);
    const fast = p.get('mlp.use-lite-d16.w8-s0-lr1@fast')!;
    expect(fast.tags).toEqual(['pipeline', 'stage:mlp', 'profile:fast']);
    expect(p.get('mlp.use-lite-d16.w8-s0-lr1')!.targets.run.outputs).toEqual(['{workspaceRoot}/data/mlp/use-lite-d16/w8-s0-lr1']);
    expect(fast.targets.run.outputs).toEqual(['{workspaceRoot}/data/mlp/use-lite-d16/w8-s0-lr1@fast']);
    expect(p.get('analysis@fast')!.targets.run.outputs).toEqual(['{workspaceRoot}/data/analysis@fast']);
    expect(p.get('pca.use-lite-d16')!.targets.run.outputs).toEqual(['{workspaceRoot}/data/pca/use-lite-d16']);
  });

  it("a profile's regimes are tasks of their own, with their own folders; the grid's runs stay shared with the default profile", async () => {
    const p = await projectsFor({
      grid,
      profiles: { fl: { regimes: { mup: { widths: [64], mlp: { model: { parameterization: 'mup' } } } } } },
    });
    const mup = p.get('mlp.use-lite-d16.mup.w64-s0-lr1')!;
    expect(mup.tags).toEqual(['pipeline', 'stage:mlp', 'profile:fl']);
    expect(mup.targets.run.outputs).toEqual(['{workspaceRoot}/data/mlp/use-lite-d16/mup/w64-s0-lr1@fl']);
    expect(mup.targets.run.command).toMatch(/ mlp --profile fl --key use-lite-d16\/mup\/w64-s0-lr1 --expect /);
    expect(mup.implicitDependencies).toEqual(['@tangent/mlp', 'pca.use-lite-d16', 'ntk.use-lite-d16']);
    expect(p.get('mlp.use-lite-d16.w64-s0-lr1')!.tags).toEqual(['pipeline', 'stage:mlp', 'profile:default', 'profile:fl']);
  });
});
