// Nx runtime input: prints the sizes and mtimes of files a stage reads from outside the Nx
// task graph, so the cache notices when they change.
//   node tools/hash-raw.mjs <subdir>              raw data under $TANGENT_DATA_DIR (default data/raw)
//   node tools/hash-raw.mjs --artifacts <subdir>  artifacts under $TANGENT_ARTIFACTS_DIR (default data)
//   node tools/hash-raw.mjs --dataset <name>      one dataset's files: the Kaggle tweets' or
//                                                 Fashion-MNIST's folder by kind, or the paths that
//                                                 configs/pipeline.yaml's `datasets.<name>` (or a profile's) names
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parse } from 'yaml';

const args = process.argv.slice(2);
const artifacts = args[0] === '--artifacts';
const dataset = args[0] === '--dataset' ? args[1] : null;
const sub = (artifacts ? args[1] : dataset ? '' : args[0]) ?? '';
const root = resolve(artifacts ? (process.env.TANGENT_ARTIFACTS_DIR ?? 'data') : (process.env.TANGENT_DATA_DIR ?? 'data/raw'));

function list(dir, depth) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      const s = statSync(p);
      if (s.isFile()) return [`${relative(root, p)}:${s.size}:${s.mtimeMs}`];
      return s.isDirectory() && depth > 0 ? list(p, depth - 1) : [];
    });
}

/**
 * The files of dataset `name` (packages/contracts/src/datasets.ts): the kind's folder, or the
 * paths it names, resolved as the contract does (under the data folder, else the working directory).
 */
function datasetFiles(name) {
  let raw = {};
  try {
    raw = parse(readFileSync('configs/pipeline.yaml', 'utf8')) ?? {};
  } catch {
    return [];
  }
  const specs = [raw.datasets, ...Object.values(raw.profiles ?? {}).map((p) => p?.datasets)].map((d) => d?.[name]).filter(Boolean);
  if (name === 'tweets' && specs.length === 0) specs.push({ kind: 'kaggle-tweets' });
  const folders = { 'kaggle-tweets': 'nlp-getting-started', 'fashion-mnist': 'fashion-mnist' };
  const inFolders = [...new Set(specs.map((s) => folders[s.kind]).filter(Boolean))].flatMap((f) => [
    ...list(join(root, f), 0),
    ...list(root, 0),
  ]);
  const named = specs.flatMap((s) => [s?.path, s?.test]).filter((p) => typeof p === 'string');
  return [...new Set(named)]
    .sort()
    .flatMap((p) => {
      const at = isAbsolute(p) || existsSync(join(root, p)) ? resolve(root, p) : resolve(p);
      return existsSync(at) && statSync(at).isFile() ? [`${p}:${statSync(at).size}:${statSync(at).mtimeMs}`] : [`missing:${p}`];
    })
    .concat(inFolders);
}

// Raw data may sit directly in the root or in the named subfolder (Kaggle's download layout).
const out = artifacts ? list(join(root, sub), 3) : dataset ? datasetFiles(dataset) : [...list(join(root, sub), 0), ...list(root, 0)];
// Relative, so two clones (or machines) with the same data hash alike.
console.log(out.join('\n') || `missing:${sub}`);
