// Nx runtime input: prints the sizes and mtimes of files a stage reads from outside the Nx
// task graph, so the cache notices when they change.
//   node tools/hash-raw.mjs <subdir>              raw data under $TANGENT_DATA_DIR (default data/raw)
//   node tools/hash-raw.mjs --artifacts <subdir>  artifacts under $TANGENT_ARTIFACTS_DIR (default data)
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const args = process.argv.slice(2);
const artifacts = args[0] === '--artifacts';
const sub = (artifacts ? args[1] : args[0]) ?? '';
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

// Raw data may sit directly in the root or in the named subfolder (Kaggle's download layout).
const out = artifacts ? list(join(root, sub), 3) : [...list(join(root, sub), 0), ...list(root, 0)];
// Relative, so two clones (or machines) with the same data hash alike.
console.log(out.join('\n') || `missing:${sub}`);
