/**
 * What the backend tests compare linalg's choice with, found without linalg's own search: the
 * BLAS/LAPACK shared libraries on this machine. A library counts only if its file exists, in a
 * library folder or behind a loader-cache entry, so that both ways of lacking OpenBLAS read the
 * same: an empty library folder whose stale `ldconfig` cache still lists it (nothing loads), and
 * a library copied in before the cache was rebuilt (linalg's absolute paths load it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const LIBRARY = /^lib(openblas|mkl_rt)\.so|^lib(blas|lapack)\.so\.3$/;
const FOLDERS = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/lib/x86_64-linux-gnu',
  '/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/usr/local/lib',
];

const list = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

/** Absolute paths of the BLAS/LAPACK libraries present (OpenBLAS, MKL, reference BLAS + LAPACK). */
export function blasLibrariesOnMachine(): string[] {
  const found = new Set<string>();
  const cache = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' }).stdout ?? '';
  for (const [, name, path] of cache.matchAll(/^\s*(\S+) .*=> (\S+)$/gm)) if (LIBRARY.test(name) && existsSync(path)) found.add(path);
  // A folder and its immediate subfolders (Debian keeps OpenBLAS in openblas-pthread/, openblas-openmp/).
  for (const dir of FOLDERS)
    for (const entry of list(dir)) {
      const path = join(dir, entry);
      if (LIBRARY.test(entry) && existsSync(path)) found.add(path);
      else if (/blas|lapack|mkl/.test(entry) && existsSync(path) && statSync(path).isDirectory())
        for (const inner of list(path)) if (LIBRARY.test(inner) && existsSync(join(path, inner))) found.add(join(path, inner));
    }
  return [...found].sort();
}

/** Does this machine have a native BLAS/LAPACK that linalg's 'openblas' backend can load? */
export function nativeBlasInstalled(): boolean {
  if (process.env.TANGENT_BLAS_LIB || process.platform === 'darwin') return true; // macOS always has Accelerate
  const libs = blasLibrariesOnMachine().map((p) => p.slice(p.lastIndexOf('/') + 1));
  return libs.some((l) => /^lib(openblas|mkl_rt)\.so/.test(l)) || (libs.includes('libblas.so.3') && libs.includes('liblapack.so.3'));
}
