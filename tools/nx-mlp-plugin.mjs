// Nx plugin: one cached task per MLP run of configs/pipeline/mlp.yaml.
//
// On the @tangent/mlp project it adds, for every width W, seed S and learning rate L:
//   train-w<W>-s<S>-lr<L>  one run -> data/mlp/w<W>-s<S>-lr<L>/{history.arrow,metrics.json}
//   train-w<W>             all runs of that width (no-op aggregate)
//   submit-w<W>            best lr on the eval split, trained on all of train -> data/submissions/mlp-w<W>.csv
// plus train-all / submit-all, on which @tangent/mlp:run (package.json; -> data/mlp/summary.json)
// depends. Nx runs independent runs in parallel and caches each one's output folder. A run's
// command carries a hash of the settings every run shares (input, split, model, train, tracking).
// Nx also hashes the project's whole target list, so adding a width re-keys every run task; the
// stage then finds each unchanged run's metrics.json with the same cache key (config, inputs,
// code) and returns at once, so only the new width actually trains.
// Plain .mjs (no transpile). Defaults mirror packages/mlp/src/config.ts.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const CONFIG = 'configs/pipeline/mlp.yaml';
const DEFAULTS = { widths: [16, 64, 256, 1024, 4096], seeds: [0, 1, 2], lrs: [1], lrSweep: { widths: [16, 64], lrs: [0.5, 1.5] } };

function canonical(v) {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(
          Object.keys(x)
            .sort()
            .map((k) => [k, x[k]]),
        )
      : x,
  );
}

export function mlpRuns(raw) {
  const c = raw ?? {};
  const widths = [...new Set(c.widths ?? DEFAULTS.widths)].sort((a, b) => a - b);
  const seeds = c.seeds ?? DEFAULTS.seeds;
  const sweep = { ...DEFAULTS.lrSweep, ...(c.lrSweep ?? {}) };
  const out = new Map();
  for (const width of widths) {
    const lrs = new Set(c.lrs ?? DEFAULTS.lrs);
    if (sweep.widths.includes(width)) for (const l of sweep.lrs) lrs.add(l);
    out.set(
      width,
      [...lrs].sort((a, b) => a - b).flatMap((lr) => seeds.map((seed) => ({ width, seed, lr }))),
    );
  }
  return out;
}

const cli = `node apps/cli/bin/tangent.mjs mlp --config ${CONFIG}`;
const source = [
  '{workspaceRoot}/packages/mlp/src/**/*.ts',
  '!{workspaceRoot}/packages/mlp/src/**/*.test.ts',
  '{workspaceRoot}/packages/mlp/package.json',
];
const env = [{ env: 'TANGENT_ARTIFACTS_DIR' }, { env: 'TANGENT_THREADS' }, { env: 'TANGENT_BLAS' }];

function createNodesFor(configFile, _options, context) {
  let raw;
  try {
    raw = parse(readFileSync(join(context.workspaceRoot, configFile), 'utf8')) ?? {};
  } catch {
    return {}; // an unreadable config fails loudly when the stage runs; keep the graph buildable
  }
  const shared = { input: raw.input, split: raw.split, model: raw.model, train: raw.train, tracking: raw.tracking };
  const key = createHash('sha256').update(canonical(shared)).digest('hex').slice(0, 16);
  const targets = {};
  const allTrain = [];
  const allSubmit = [];
  for (const [width, runs] of mlpRuns(raw)) {
    const trainNames = [];
    for (const r of runs) {
      const id = `w${r.width}-s${r.seed}-lr${r.lr}`;
      const t = `train-${id}`;
      trainNames.push(t);
      targets[t] = {
        command: `${cli} --width ${r.width} --seed ${r.seed} --lr ${r.lr} --continue-on-divergence --cache-key ${key}`,
        cache: true,
        dependsOn: ['^run'],
        inputs: [...source, '^production', 'upstreamArtifacts', ...env],
        outputs: [`{workspaceRoot}/data/mlp/${id}`],
        metadata: { description: `MLP run ${id}: width ${r.width}, seed ${r.seed}, η = ${r.lr}·n/λ_max(Θ̂_0)` },
      };
    }
    targets[`train-w${width}`] = { executor: 'nx:noop', dependsOn: trainNames, cache: false };
    allTrain.push(...trainNames);
    if (raw.submission?.enabled === false) continue;
    targets[`submit-w${width}`] = {
      command: `${cli} --submit ${width} --cache-key ${key}-${createHash('sha256')
        .update(canonical(raw.submission ?? {}))
        .digest('hex')
        .slice(0, 8)}`,
      cache: true,
      dependsOn: ['^run', ...trainNames],
      inputs: [...source, '^production', 'upstreamArtifacts', { dependentTasksOutputFiles: '**/metrics.json' }, ...env],
      outputs: [`{workspaceRoot}/data/submissions/mlp-w${width}.csv`],
    };
    allSubmit.push(`submit-w${width}`);
  }
  targets['train-all'] = { executor: 'nx:noop', dependsOn: allTrain, cache: false };
  targets['submit-all'] = { executor: 'nx:noop', dependsOn: allSubmit, cache: false };
  const projects = { 'packages/mlp': { targets } };
  return { projects };
}

/** Nx ≥ 21 signature: (configFiles, options, context) -> [file, result][] */
export const createNodes = [
  CONFIG,
  async (configFiles, options, context) => configFiles.map((f) => [f, createNodesFor(f, options, context)]),
];
export const createNodesV2 = createNodes;
export const name = 'tangent-mlp-runs';
export default { name, createNodes, createNodesV2 };
