// Nx plugin: one cached task per stage instance of the pipeline manifest (configs/pipeline.yaml).
//
// Every profile of the manifest is expanded by @tangent/contracts (pipelineInstances: the one
// definition of instances, keys, folders and identities). Each instance becomes a small Nx project
// (`text`, `embed.use-lite`, `pca.use-lite-d128`, `ntk.use-lite-d128`, `mlp.use-lite-d128.w16-s0-lr1`,
// `mlp-submit.use-lite-d128.submit-w16`, `analysis`, `submissions`) with one `run` target whose
// command carries the instance's identity (`--expect`): the hash of its slice of the manifest and
// of its inputs' identities. Its inputs: the code of its stage package and the packages that
// imports, its upstream outputs and environment. So a task is re-keyed exactly when its slice, its code, its upstream
// outputs or its environment change; adding a width or a d adds projects and re-keys none of the
// others (only the gathering analysis/submissions instances). Tags `profile:<name>` select a
// profile: `nx run-many -t run -p tag:profile:quick` (what `npm start -- -c quick` runs).
// An instance whose identity differs between profiles gets one project per identity and folder,
// named `<name>@<profile>` after the first; its folder is the profile's own (`<dir>@<profile>`,
// see profileDir in contracts), so profiles live side by side.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { register } from 'tsx/esm/api';
import { parse } from 'yaml';

const MANIFEST = 'configs/pipeline.yaml';

/**
 * Everything stage-specific comes from the stage's node (contracts' stage registry): the package
 * whose code an instance runs (its implicit dependency, for `^production`), whether its instances
 * come in batches that Nx runs several at a time (`batch`: one BLAS thread each instead of one per
 * core each; measured: two concurrent width-1024 runs took 25.9 s with one thread each against
 * 45.9 s with two; a TANGENT_THREADS the user sets wins), and the inputs outside the task graph
 * that it reads (`externalInputs`).
 *
 * nx.json `parallel: 3` on the 2-core development machine: Nx orders tasks of equal rank by its
 * task history, and a machine without one may start the three m = 4096 runs (~210 s each) last;
 * with two slots the last then runs alone on one core for minutes. With three, the long runs
 * share the cores instead: cold `npm start` 725 s with parallel 3 against 801 s with parallel 2
 * for the same task order (and 737–768 s for luckier orders).
 */

/** The workspace packages a package imports, transitively (from package.json dependencies). */
function packageClosure(root, pkg) {
  const dirs = new Map();
  for (const base of ['packages', 'apps'])
    for (const d of readdirSync(join(root, base), { withFileTypes: true }))
      if (d.isDirectory() && existsSync(join(root, base, d.name, 'package.json'))) {
        const j = JSON.parse(readFileSync(join(root, base, d.name, 'package.json'), 'utf8'));
        dirs.set(j.name, { dir: `${base}/${d.name}`, deps: Object.keys(j.dependencies ?? {}) });
      }
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name) || !dirs.has(name)) return;
    seen.add(name);
    for (const d of dirs.get(name).deps) visit(d);
  };
  visit(pkg);
  return [...seen].sort().map((n) => dirs.get(n).dir);
}

/** The code an instance runs: its stage package and every workspace package it imports (tests, docs, benches excluded). */
function codeInputs(root, pkg) {
  return [
    '{workspaceRoot}/tsconfig.base.json',
    ...packageClosure(root, pkg).flatMap((dir) => [
      `{workspaceRoot}/${dir}/package.json`,
      `{workspaceRoot}/${dir}/src/**/*`,
      `!{workspaceRoot}/${dir}/src/**/*.test.ts`,
    ]),
  ];
}

let contracts;
async function loadContracts(root) {
  if (!contracts) {
    register();
    contracts = await import(join(root, 'packages/contracts/src/index.ts'));
  }
  return contracts;
}

async function createNodesFor(file, context) {
  const c = await loadContracts(context.workspaceRoot);
  let raw;
  try {
    raw = parse(readFileSync(join(context.workspaceRoot, file), 'utf8')) ?? {};
  } catch {
    return {}; // a malformed manifest fails with one clear line when a stage reads it; keep the graph buildable
  }
  const projects = new Map(); // identity|folder -> project
  const nameOf = new Map(); // `${profile}|${instanceId}` -> project name
  const taken = new Set();
  for (const profile of c.profileNames(raw)) {
    let m;
    try {
      m = c.resolveManifest(raw, profile, file);
    } catch {
      continue;
    }
    for (const inst of c.pipelineInstances(m)) {
      const id = c.instanceId(inst.stage, inst.key);
      const node = c.stageNode(inst.stage);
      const pkg = node.implementation.package;
      const slot = `${inst.graphIdentity}|${inst.dir}`;
      let p = projects.get(slot);
      if (!p) {
        let name = c.projectName(inst);
        if (taken.has(name)) name = c.projectName(inst, profile);
        taken.add(name);
        const deps = inst.deps.map((d) => nameOf.get(`${profile}|${d}`));
        p = {
          name,
          root: `.pipeline/${name}`,
          tags: ['pipeline', `stage:${inst.stage}`],
          implicitDependencies: [pkg, ...deps],
          metadata: { description: `${inst.stage} ${inst.key || ''} -> data/${inst.dir}`.trim() },
          targets: {
            run: {
              command: `${node.batch ? 'TANGENT_THREADS=${TANGENT_THREADS:-1} ' : ''}node apps/cli/bin/tangent.mjs ${inst.stage} --profile ${profile}${inst.key ? ` --key ${inst.key}` : ''} --expect ${inst.graphIdentity.slice(0, 16)}`,
              cache: true,
              dependsOn: ['^run'],
              inputs: [
                ...codeInputs(context.workspaceRoot, pkg),
                { dependentTasksOutputFiles: '**/*.{arrow,json,csv}', transitive: true },
                { env: 'TANGENT_ARTIFACTS_DIR' },
                { env: 'TANGENT_BLAS' },
                ...c.externalInputsOf(node, inst),
              ],
              outputs: [`{workspaceRoot}/data/${inst.dir}`],
            },
          },
        };
        projects.set(slot, p);
      }
      if (!p.tags.includes(`profile:${profile}`)) p.tags.push(`profile:${profile}`);
      nameOf.set(`${profile}|${id}`, p.name);
    }
  }
  return { projects: Object.fromEntries([...projects.values()].map((p) => [p.root, p])) };
}

export const createNodesV2 = [
  MANIFEST,
  async (files, _options, context) => Promise.all(files.map(async (f) => [f, await createNodesFor(f, context)])),
];
export const name = 'tangent-pipeline';
export default { name, createNodesV2 };
