// The install-script policy covers exactly the packages that have one: a dependency that gains an
// install script fails here (and would make `npm ci` warn) until the README's decision is made for it.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const json = (file: string) => JSON.parse(readFileSync(resolve(root, file), 'utf8'));

it('allowScripts in package.json names every locked package with an install script, and nothing else', () => {
  const lock = json('package-lock.json') as { packages: Record<string, { hasInstallScript?: boolean }> };
  const withScripts = new Set(
    Object.entries(lock.packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)),
  );
  const policy = json('package.json').allowScripts as Record<string, boolean>;
  // Keys are "name" or "name@version"; the name of a scoped package starts with '@'.
  const named = new Set(Object.keys(policy).map((k) => k.replace(/(?<=.)@[^@/]*$/, '')));
  expect([...withScripts].sort()).toEqual([...named].sort());
  expect(Object.values(policy).every((v) => typeof v === 'boolean')).toBe(true);
});
