#!/usr/bin/env node
// Consumer test: the packed packages used from outside the repository, with plain Node.
//
//   node tools/consumer-test.mjs [--no-pack] [--keep]      (npm run consumer-test; .ci/run after npm test)
//
// Packs (npm run pack → nx run tangent:pack, cached) unless --no-pack, then in an empty temporary project:
// `npm install dist/packages/*.tgz --offline` (dependencies from the npm cache that `npm ci`
// filled), removes tsx from its node_modules (the packed code must not need it), and checks:
//   1. embedTexts(['a fire downtown', 'I love pizza'], { model: 'use-lite' }) → two 512-d unit vectors;
//   2. ntkGram + kernelRidgeFit (and the worker-thread ntkGramAsync) match the in-repo run from sources;
//   3. `npx tangent embed --input any.csv --out vectors.arrow` on a 20-row CSV, read back with apache-arrow;
//   4. `tsc --noEmit` on a consumer .ts file importing these APIs (the .d.ts files ship).
// Exits non-zero on the first failure; --keep leaves the temporary project for inspection.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const here = join(root, 'tools/consumer');
const args = new Set(process.argv.slice(2));
const t0 = Date.now();
const secs = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
const say = (msg) => process.stdout.write(`consumer-test [${secs()}]: ${msg}\n`);

// Child processes must not see the npm_* variables of an enclosing `npm run` (npm_config_local_prefix
// would point `npm install` back at the repository).
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
// onnxruntime-node's postinstall otherwise downloads CUDA binaries from GitHub on linux-x64.
env.ONNXRUNTIME_NODE_INSTALL_CUDA = 'skip';
env.TANGENT_QUIET = '1';

function run(cmd, argv, cwd, extra = {}) {
  return execFileSync(cmd, argv, {
    cwd,
    env: { ...env, ...extra },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 28,
  });
}

function check(ok, what) {
  if (!ok) throw new Error(`consumer-test: FAILED: ${what}`);
  say(`ok: ${what}`);
}

if (!args.has('--no-pack')) {
  say('packing (npm run pack: nx run tangent:pack, cached)');
  execFileSync('npm', ['run', '--silent', 'pack'], {
    cwd: root,
    env: { ...env, NX_DAEMON: 'false' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}
const dist = join(root, 'dist/packages');
const tarballs = readdirSync(dist)
  .filter((f) => f.endsWith('.tgz'))
  .map((f) => join(dist, f));
check(tarballs.length > 0, `${tarballs.length} tarballs in dist/packages`);

/**
 * package.json + package-lock.json of a project that depends on the tarballs only. The npm cache
 * holds tarballs, not registry metadata, so `npm install <tgz>` cannot resolve ranges offline:
 * the lock pins every external dependency to the node the repository's own lock installs at
 * the same place (workspace folders become node_modules/<name>), keeping only what the
 * tarballs reach. `npm ci --offline` then installs it from the cache.
 */
export function consumerProject(dir, tarballs) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages;
  const manifests = tarballs.map((tgz) => ({
    tgz,
    pkg: JSON.parse(execFileSync('tar', ['-xzOf', tgz, 'package/package.json'], { encoding: 'utf8' })),
  }));
  const ours = new Set(manifests.map((m) => m.pkg.name));
  // Workspace folder (packages/x) ↔ its place in the consumer (node_modules/@tangent/x).
  const moved = new Map();
  for (const [key, v] of Object.entries(lock)) if (v.link && ours.has(key.slice('node_modules/'.length))) moved.set(v.resolved, key);
  const toConsumer = (key) => {
    for (const [from, to] of moved) if (key === from || key.startsWith(`${from}/`)) return to + key.slice(from.length);
    return key;
  };
  const parent = (loc) => {
    const i = loc.lastIndexOf('node_modules/');
    return i <= 0 ? '' : loc.slice(0, i - 1);
  };
  const packages = {};
  const seen = new Set();
  const visit = (loc, deps) => {
    for (const name of Object.keys(deps ?? {})) {
      if (ours.has(name)) continue;
      let at = loc,
        key = null;
      for (;;) {
        const cand = `${at ? `${at}/` : ''}node_modules/${name}`;
        if (lock[cand]) {
          key = cand;
          break;
        }
        if (!at) break;
        at = parent(at);
      }
      if (!key || seen.has(key) || lock[key].link) continue; // absent: an optional dependency for another platform
      seen.add(key);
      const { dev: _dev, devOptional: _devOptional, ...entry } = lock[key];
      packages[toConsumer(key)] = entry;
      visit(key, { ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies });
    }
  };
  const rootDeps = {};
  for (const { tgz, pkg } of manifests) {
    const spec = `file:${relative(dir, tgz)}`;
    rootDeps[pkg.name] = spec;
    const { name, version, dependencies, optionalDependencies, peerDependencies, bin, engines, license } = pkg;
    packages[`node_modules/${name}`] = {
      version,
      resolved: spec,
      license,
      dependencies,
      optionalDependencies,
      peerDependencies,
      bin,
      engines,
    };
    const ws = [...moved].find(([, to]) => to === `node_modules/${name}`)?.[0];
    if (!ws) throw new Error(`consumer-test: ${name} is not a workspace in package-lock.json; run npm install`);
    visit(ws, { ...dependencies, ...optionalDependencies, ...peerDependencies });
  }
  // The repository's install-script policy (README: none runs), so the scratch install runs none either.
  const { allowScripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const project = { name: 'tangent-consumer', version: '0.0.0', private: true, type: 'module', dependencies: rootDeps, allowScripts };
  packages[''] = { name: project.name, version: project.version, dependencies: rootDeps };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(project, null, 2)}\n`);
  const sorted = Object.fromEntries(
    Object.keys(packages)
      .sort()
      .map((k) => [k, packages[k]]),
  );
  writeFileSync(
    join(dir, 'package-lock.json'),
    `${JSON.stringify({ name: project.name, version: project.version, lockfileVersion: 3, requires: true, packages: sorted }, null, 2)}\n`,
  );
  return Object.keys(sorted).length - 1;
}

const dir = mkdtempSync(join(tmpdir(), 'tangent-consumer-'));
try {
  const n = consumerProject(dir, tarballs);
  say(`npm ci --offline: ${tarballs.length} tarballs + ${n - tarballs.length} dependencies from the npm cache, in ${dir}`);
  run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], dir);
  rmSync(join(dir, 'node_modules/tsx'), { recursive: true, force: true });
  rmSync(join(dir, 'node_modules/.bin/tsx'), { force: true });
  for (const f of readdirSync(here)) copyFileSync(join(here, f), join(dir, f));

  // 1. embedTexts, USE-lite, offline.
  const e = JSON.parse(run(process.execPath, ['embed-check.mjs'], dir));
  check(e.length === 1024 && e.dim === 512, `embedTexts → 2 × ${e.dim}`);
  check(
    e.norms.every((x) => Math.abs(x - 1) < 1e-5),
    `unit vectors (norms ${e.norms.map((x) => x.toFixed(6)).join(', ')}; cosine ${e.cosine.toFixed(3)})`,
  );

  // 2. ntkGram + kernelRidgeFit: packed build (plain node) vs the repository's sources (tsx).
  const packed = JSON.parse(run(process.execPath, ['krr-check.mjs'], dir));
  const inRepo = JSON.parse(run(process.execPath, ['--import', 'tsx', join(here, 'krr-check.mjs')], root));
  let maxDiff = 0;
  for (const k of ['K', 'alpha', 'fitted'])
    for (let i = 0; i < inRepo[k].length; i++)
      maxDiff = Math.max(maxDiff, Math.abs(packed[k][i] - inRepo[k][i]) / (1 + Math.abs(inRepo[k][i])));
  check(
    packed.K.length === 144 && maxDiff < 1e-10,
    `ntkGram + kernelRidgeFit match the in-repo result (max rel diff ${maxDiff.toExponential(1)})`,
  );
  check(packed.workerMaxDiff < 1e-12, `ntkGramAsync in worker threads matches ntkGram (max diff ${packed.workerMaxDiff})`);
  // Without OpenBLAS (a library path that does not exist): onnxruntime or TS, said once on stderr.
  const noBlas = spawnSync(process.execPath, ['krr-check.mjs'], {
    cwd: dir,
    env: { ...env, TANGENT_QUIET: '', TANGENT_BLAS_LIB: join(dir, 'no-libopenblas.so') },
    encoding: 'utf8',
  });
  const said = noBlas.stderr.split('\n').filter((l) => l.startsWith('linalg: backend'));
  const fallback = noBlas.status === 0 ? JSON.parse(noBlas.stdout) : null;
  const close = fallback?.alpha.every((a, i) => Math.abs(a - inRepo.alpha[i]) <= 1e-8 * (1 + Math.abs(a)));
  check(
    noBlas.status === 0 && said.length === 1 && /backend (ort|ts) /.test(said[0]) && close,
    `without OpenBLAS: "${said.join(' | ')}", same fit`,
  );

  // 3. The packed CLI, without tsx.
  const rows = [
    'id,text',
    ...Array.from({ length: 20 }, (_, i) => `${i},"tweet number ${i}: ${i % 2 ? 'forest fire near the town' : 'what a lovely day'}"`),
  ];
  writeFileSync(join(dir, 'any.csv'), `${rows.join('\n')}\n`);
  run('npx', ['--no', 'tangent', 'embed', '--input', 'any.csv', '--out', 'vectors.arrow'], dir);
  const arrow = createRequire(join(dir, 'package.json'))('apache-arrow');
  const table = arrow.tableFromIPC(readFileSync(join(dir, 'vectors.arrow')));
  const vecField = table.schema.fields.find((f) => arrow.DataType.isFixedSizeList(f.type));
  check(
    table.numRows === 20 && vecField?.type.listSize === 512,
    `tangent embed → vectors.arrow: ${table.numRows} rows, ${vecField?.name} [${vecField?.type.listSize}]`,
  );

  // 4. The types ship: tsc --noEmit on a consumer .ts file (Node's own module resolution).
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ['node'],
        typeRoots: [join(root, 'node_modules/@types')],
      },
      files: ['consumer.ts'],
    }),
  );
  run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], dir);
  check(true, 'tsc --noEmit consumer.ts against the packed .d.ts files');
  say(`PASS in ${secs()}`);
} finally {
  if (args.has('--keep')) say(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
