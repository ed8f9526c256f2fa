#!/usr/bin/env node
// Build and pack every workspace package (packages/*, apps/*) for use outside this repository.
//
//   node tools/pack.mjs            (npm run pack → nx run tangent:pack, cached)
//
// 1. One `tsc -p tsconfig.build.json` compiles every package's src/ (tests excluded) to ESM
//    JavaScript + .d.ts + source maps under dist/build/ (`.ts` import specifiers → `.js`).
// 2. Per package, a staging folder dist/stage/<dir>/ gets: dist/ (the compiled src/ plus any
//    non-TypeScript files of src/, e.g. worker boot .mjs files), src/ (the sources the maps point
//    at), README.md, LICENSE and a rewritten package.json: one version for all (root package.json
//    `version`), `exports` → `{ types, import }` of dist/, workspace deps → that exact version,
//    external `"*"` deps → `^<installed version>`, tsx dropped, `private`/`nx`/`scripts`/`devDependencies`
//    dropped, `files`, `license`, `repository`, `engines` from the root. Export conditions and
//    subpaths keep their shape, each `./src/x.ts` target mapped (embed's `browser` condition →
//    dist/browser.js); `main`/`types` come from the `.` target Node picks. A `bin` that loads
//    `../src/<main>.ts` through tsx becomes dist/bin/<name>.js importing the compiled main.
// 3. `npm pack` writes one tarball per package to dist/packages/.
// In-repo package.json files are not touched: development keeps running from the sources.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const rootPkg = readJson(join(root, 'package.json'));
const version = rootPkg.version;
const BUILD = join(root, 'dist/build');
const STAGE = join(root, 'dist/stage');
const OUT = join(root, 'dist/packages');

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Every workspace package: { dir (relative to root), pkg }. */
export function workspacePackages() {
  const out = [];
  for (const pattern of rootPkg.workspaces ?? []) {
    if (!pattern.endsWith('/*')) throw new Error(`workspaces: unsupported pattern ${pattern}`);
    const parent = pattern.slice(0, -2);
    if (!existsSync(join(root, parent))) continue;
    for (const name of readdirSync(join(root, parent)).sort()) {
      const file = join(root, parent, name, 'package.json');
      if (existsSync(file)) out.push({ dir: `${parent}/${name}`, pkg: readJson(file) });
    }
  }
  return out;
}

function walk(dir, rel = '') {
  const files = [];
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    if (statSync(join(dir, r)).isDirectory()) files.push(...walk(dir, r));
    else files.push(r);
  }
  return files;
}

const isTest = (f) => /\.test\.[cm]?[jt]s$/.test(f) || f.split('/').includes('test-fixtures');

/** './x.ts' → './x.js' in relative specifiers of declaration files (tsc keeps `.ts` there). */
export function rewriteDtsSpecifiers(text) {
  return text.replace(/((?:from|import)\s*\(?\s*)(['"])(\.\.?\/[^'"]*?)\.([cm]?)ts\2/g, (_m, pre, q, p, m) => `${pre}${q}${p}.${m}js${q}`);
}

/** './src/a/b.ts' → { types: './dist/a/b.d.ts', import: './dist/a/b.js', default: … }. */
export function mapExportTarget(v) {
  if (typeof v === 'string') {
    const m = /^\.\/src\/(.*)\.([cm]?)ts$/.exec(v);
    if (!m) return v;
    const base = `./dist/${m[1]}`;
    return { types: `${base}.d.${m[2]}ts`, import: `${base}.${m[2]}js`, default: `${base}.${m[2]}js` };
  }
  if (Array.isArray(v)) return v.map(mapExportTarget);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapExportTarget(x)]));
  return v;
}

function installedVersion(dir, name) {
  try {
    const req = createRequire(join(root, dir, 'package.json'));
    return readJson(req.resolve(`${name}/package.json`)).version;
  } catch {
    // Packages whose exports hide package.json: find it on disk.
    for (const base of [join(root, dir, 'node_modules'), join(root, 'node_modules')]) {
      const f = join(base, name, 'package.json');
      if (existsSync(f)) return readJson(f).version;
    }
    return null;
  }
}

/** The manifest that ships: see the header. */
export function packedManifest(dir, pkg, workspaceNames) {
  const out = {};
  for (const [k, v] of Object.entries(pkg)) {
    if (['private', 'nx', 'scripts', 'devDependencies', 'workspaces'].includes(k)) continue;
    out[k] = v;
  }
  out.version = version;
  out.license ??= rootPkg.license ?? 'MIT';
  if (rootPkg.repository && !out.repository)
    out.repository =
      typeof rootPkg.repository === 'string'
        ? { type: 'git', url: rootPkg.repository, directory: dir }
        : { ...rootPkg.repository, directory: dir };
  if (rootPkg.engines && !out.engines) out.engines = rootPkg.engines;
  out.files = ['dist', 'src', '!**/*.test.ts', '!**/test-fixtures', 'README.md', 'LICENSE'];
  if (pkg.exports) {
    const exp = mapExportTarget(pkg.exports);
    out.exports = typeof exp === 'object' && !('types' in exp) ? { ...exp, './package.json': './package.json' } : exp;
    let dot = typeof exp === 'object' && '.' in exp ? exp['.'] : exp;
    // Conditions above the targets (`{ browser: …, default: … }`): main/types follow Node's pick.
    if (dot && typeof dot === 'object' && !dot.import) dot = dot.node ?? dot.default;
    if (dot && typeof dot === 'object' && dot.import) {
      out.main = dot.import;
      out.types = dot.types;
    }
  }
  for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
    if (!pkg[field]) continue;
    out[field] = Object.fromEntries(
      Object.entries(pkg[field])
        // tsx runs the sources in the repository; the build never loads it.
        .filter(([name]) => name !== 'tsx')
        .map(([name, range]) => {
          if (workspaceNames.has(name)) return [name, version];
          if (range === '*' || range === 'latest') {
            const v = installedVersion(dir, name);
            return [name, v ? `^${v}` : range];
          }
          return [name, range];
        }),
    );
  }
  return out;
}

/** A bin script that registers tsx and imports '../src/<x>.ts' → dist/bin/<name>.js importing ../<x>.js. */
function buildBins(dir, pkg, stageDir) {
  if (!pkg.bin) return undefined;
  const bins = typeof pkg.bin === 'string' ? { [pkg.name.split('/').pop()]: pkg.bin } : pkg.bin;
  const out = {};
  for (const [name, file] of Object.entries(bins)) {
    const text = readFileSync(join(root, dir, file), 'utf8');
    const m = /import\(\s*['"]\.\.\/src\/(.*)\.ts['"]\s*\)/.exec(text);
    if (!m) throw new Error(`${dir}/${file}: bin does not import '../src/<main>.ts'; cannot map it to the build`);
    const target = join(stageDir, 'dist/bin', `${name}.js`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, `#!/usr/bin/env node\n// Built entry: plain Node, no tsx.\nimport '../${m[1]}.js';\n`, { mode: 0o755 });
    out[name] = `./dist/bin/${name}.js`;
  }
  return out;
}

function stagePackage({ dir, pkg }, workspaceNames) {
  const stageDir = join(STAGE, dir.replace(/\//g, '-'));
  const srcDir = join(root, dir, 'src');
  const builtDir = join(BUILD, dir, 'src');
  mkdirSync(join(stageDir, 'dist'), { recursive: true });
  if (existsSync(srcDir)) {
    for (const f of walk(srcDir)) {
      if (isTest(f)) continue;
      const from = join(srcDir, f);
      mkdirSync(dirname(join(stageDir, 'src', f)), { recursive: true });
      cpSync(from, join(stageDir, 'src', f));
      if (!/\.[cm]?ts$/.test(f) || f.endsWith('.d.ts')) cpSync(from, join(stageDir, 'dist', f)); // workers, assets
    }
  }
  if (existsSync(builtDir)) {
    for (const f of walk(builtDir)) {
      const to = join(stageDir, 'dist', f);
      mkdirSync(dirname(to), { recursive: true });
      let text = readFileSync(join(builtDir, f), 'utf8');
      if (/\.d\.[cm]?ts$/.test(f)) text = rewriteDtsSpecifiers(text);
      if (f.endsWith('.map')) {
        // Point the maps at the shipped src/ (the original layout sits four levels up).
        const map = JSON.parse(text);
        map.sources = map.sources.map((s) =>
          relative(dirname(to), join(stageDir, relative(join(root, dir), resolve(dirname(join(builtDir, f)), s)))),
        );
        text = JSON.stringify(map);
      }
      writeFileSync(to, text);
    }
  }
  const manifest = packedManifest(dir, pkg, workspaceNames);
  const bin = buildBins(dir, pkg, stageDir);
  if (bin) manifest.bin = bin;
  writeFileSync(join(stageDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const readme = join(root, dir, 'README.md');
  if (existsSync(readme)) cpSync(readme, join(stageDir, 'README.md'));
  else {
    process.stderr.write(`pack: ${dir}/README.md missing; shipping a stub\n`);
    writeFileSync(join(stageDir, 'README.md'), `# ${pkg.name}\n\n${pkg.description ?? ''}\n\n## Licence\n\nMIT\n`);
  }
  cpSync(join(root, 'LICENSE'), join(stageDir, 'LICENSE'));
  return stageDir;
}

function main() {
  const t0 = Date.now();
  const packages = workspacePackages();
  for (const { dir, pkg } of packages)
    if (pkg.version !== version)
      process.stderr.write(
        `pack: ${dir} has version ${pkg.version}, packing as ${version} (npm run release -- <version> keeps them in step)\n`,
      );
  const workspaceNames = new Set(packages.map((p) => p.pkg.name));
  for (const d of [BUILD, STAGE, OUT]) rmSync(d, { recursive: true, force: true });
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], {
    cwd: root,
    stdio: 'inherit',
  });
  const stageDirs = packages.map((p) => stagePackage(p, workspaceNames));
  mkdirSync(OUT, { recursive: true });
  const npm = process.env.npm_execpath;
  const [cmd, pre] = npm && npm.endsWith('.js') ? [process.execPath, [npm]] : ['npm', []];
  execFileSync(cmd, [...pre, 'pack', '--silent', '--pack-destination', OUT, ...stageDirs], {
    cwd: STAGE,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const tarballs = readdirSync(OUT).filter((f) => f.endsWith('.tgz'));
  for (const f of tarballs) process.stdout.write(`dist/packages/${f} (${(statSync(join(OUT, f)).size / 1024).toFixed(0)} KiB)\n`);
  process.stdout.write(`pack: ${tarballs.length} packages at ${version} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
