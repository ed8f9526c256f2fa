/**
 * The folders the environment names must be folders. With TANGENT_ARTIFACTS_DIR pointing at a
 * regular file, a reading stage would only say "…/train.arrow: not found" and a writing one fail
 * with ENOTDIR; so every command checks them once, before it runs. A folder that does not exist
 * yet is fine: the stages create the artifacts folder, and the readers name a missing data file.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { paths } from '@tangent/arrow-io';
import { fail } from '@tangent/base';

interface EnvFolder {
  name: string;
  /** The folder in use (the variable's value resolved, or the default). */
  path: () => string | undefined;
  /** What the default is, in the words of the README. */
  fallback: string;
  role: string;
}

const FOLDERS: EnvFolder[] = [
  {
    name: 'TANGENT_ARTIFACTS_DIR',
    path: () => paths.artifacts(),
    fallback: './data',
    role: 'the stages write and read their artifacts there',
  },
  { name: 'TANGENT_DATA_DIR', path: () => paths.rawData(), fallback: './data/raw', role: 'the raw data sets are read from there' },
  {
    name: 'TANGENT_MODELS_DIR',
    path: () => paths.models(),
    fallback: 'downloads from the Hugging Face Hub',
    role: 'the embedding models are read from there',
  },
];

/** The first existing component of `p` (p itself or an ancestor) that is not a directory, or null. */
export function fileInTheWay(p: string): string | null {
  for (let q = resolve(p); ; q = dirname(q)) {
    if (existsSync(q)) return statSync(q).isDirectory() ? null : q;
    if (q === dirname(q)) return null;
  }
}

/** Refuse, with one line naming the variable and the fix, a folder variable that names a file (or lies under one). */
export function checkEnvironmentFolders(env: NodeJS.ProcessEnv = process.env): void {
  for (const f of FOLDERS) {
    const folder = f.path();
    const file = folder === undefined ? null : fileInTheWay(folder);
    if (!folder || !file) continue;
    const what =
      file === folder ? `${folder} is a regular file, not a directory` : `${file} is a regular file, so ${folder} cannot be a directory`;
    const set = env[f.name] !== undefined && env[f.name] !== '';
    fail(
      set
        ? `${f.name}=${env[f.name]}: ${what} (${f.role}); point ${f.name} at a directory${f.name === 'TANGENT_ARTIFACTS_DIR' ? ' (created if missing)' : ''}, or unset it to use ${f.fallback}`
        : `${what}, and ${f.name} is unset, so ${f.role} by default; move that file away or set ${f.name} to a directory`,
    );
  }
}
