#!/usr/bin/env node
// One version for every package: `npm run release -- <semver>` writes it to the root
// package.json, every workspace package.json (packages/*, apps/*) and package-lock.json, then
// packs (npm run pack → dist/packages/*-<semver>.tgz). Commit and tag are left to you.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workspacePackages } from './pack.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const version = process.argv[2];
if (!version || !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(version)) {
  process.stderr.write('usage: npm run release -- <version>   (semver, e.g. 0.2.0 or 1.0.0-rc.1)\n');
  process.exit(1);
}

/** Replace the top-level "version" only, keeping the file's formatting (and other people's edits). */
function setVersion(file) {
  const text = readFileSync(file, 'utf8');
  const next = text.replace(/^(\s{2}"version":\s*)"[^"]*"/m, `$1"${version}"`);
  if (next === text && !text.includes(`"version": "${version}"`)) throw new Error(`${file}: no top-level "version" field`);
  writeFileSync(file, next);
}

setVersion(join(root, 'package.json'));
const dirs = workspacePackages().map((p) => p.dir);
for (const dir of dirs) setVersion(join(root, dir, 'package.json'));
const lockFile = join(root, 'package-lock.json');
const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
lock.version = version;
for (const key of ['', ...dirs]) if (lock.packages[key]) lock.packages[key].version = version;
writeFileSync(lockFile, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(`release: ${version} in package.json, ${dirs.length} workspace packages and package-lock.json\n`);
execFileSync('npm', ['run', 'pack'], { cwd: root, stdio: 'inherit' });
