/**
 * One commit per stage instance: a stage writes its whole output set into a fresh staging folder
 * beside its artifact folder, then publishes it with one atomic step, so a reader (or a crash)
 * sees either the previous generation or the new one, never a mix, and a failed run leaves the
 * published folder untouched. On Linux the step is renameat2(RENAME_EXCHANGE), which swaps the
 * two folders atomically; elsewhere two renames with a recovery rule (a crash between them leaves
 * the old generation under `.name.old-*`, and `sweep` puts it back). Leftovers of crashed runs
 * (staging folders of dead processes, old generations) are swept before the next run writes.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fail } from '@tangent/base';
import koffi from 'koffi';

const STAGING = '.staging-';
const OLD = '.old-';

/** Test hook: `TANGENT_FAULT=<point>` kills the process (SIGKILL, no cleanup) at that point. */
export function faultPoint(point: 'before-publish' | 'after-exchange'): void {
  if (process.env.TANGENT_FAULT === point) process.kill(process.pid, 'SIGKILL');
}

let exchangeFn: ((a: string, b: string) => number) | null | undefined;
/** renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) through libc, or null where unavailable. */
function exchange(): ((a: string, b: string) => number) | null {
  if (exchangeFn !== undefined) return exchangeFn;
  exchangeFn = null;
  if (process.platform === 'linux' && !process.env.TANGENT_NO_RENAME_EXCHANGE) {
    try {
      const libc = koffi.load('libc.so.6');
      const renameat2 = libc.func(
        'int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags)',
      );
      const AT_FDCWD = -100,
        RENAME_EXCHANGE = 2;
      exchangeFn = (a, b) => renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) as number;
    } catch {
      exchangeFn = null; // musl or an old glibc: fall back to two renames
    }
  }
  return exchangeFn;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A fresh, empty staging folder beside `dir` (same filesystem, so the publish is a rename). */
export function stagingDir(dir: string): string {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const s = join(parent, `.${basename(dir)}${STAGING}${process.pid}-${Date.now().toString(36)}`);
  rmSync(s, { recursive: true, force: true });
  mkdirSync(s);
  return s;
}

/**
 * Remove what crashed runs left beside `dir`: staging folders whose process is gone and old
 * generations; if `dir` itself is missing (a crash between the two renames of the fallback),
 * the newest old generation is put back first.
 */
export function sweep(dir: string, root?: string): string[] {
  if (root !== undefined) assertStrictlyInside(dir, root);
  const parent = dirname(dir);
  const name = basename(dir);
  if (!existsSync(parent)) return [];
  const removed: string[] = [];
  const entries = readdirSync(parent).filter((e) => e.startsWith(`.${name}.`));
  const olds = entries.filter((e) => e.startsWith(`.${name}${OLD}`)).sort();
  if (!existsSync(dir) && olds.length) renameSync(join(parent, olds.pop()!), dir);
  for (const e of entries) {
    const p = join(parent, e);
    if (!existsSync(p)) continue;
    if (e.startsWith(`.${name}${STAGING}`)) {
      const pid = Number(e.slice(`.${name}${STAGING}`.length).split('-')[0]);
      if (pid !== process.pid && isAlive(pid)) continue; // another run is writing right now
    } else if (!e.startsWith(`.${name}${OLD}`)) continue;
    rmSync(p, { recursive: true, force: true });
    removed.push(p);
  }
  return removed;
}

/** Whether `path` lies strictly inside `root` (not `root` itself, not beside or above it). */
export function isStrictlyInside(path: string, root: string): boolean {
  const rel = relative(resolve(root), resolve(path));
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * Refuse to publish into (or sweep beside) a folder that is not a strict descendant of `root`:
 * the exchange deletes what it swaps out, so a name that resolved to `root` itself or above it
 * (`..`, `.`, an absolute path) would delete the tree. The names are checked where they are
 * read (contracts' path-segment.ts); this is the second line of defence at the one place that
 * deletes.
 */
export function assertStrictlyInside(dir: string, root: string): void {
  if (!isStrictlyInside(dir, root))
    fail(`internal: refusing to publish ${resolve(dir)}: it is not a folder strictly inside ${resolve(root)}`);
}

/**
 * Publish `staging` as `dir` in one atomic step and delete the previous generation; `dir` must be
 * strictly inside `root` (the stage's folder, or the artifacts root for a stage with one folder).
 */
export function publishDir(staging: string, dir: string, root: string): void {
  assertStrictlyInside(dir, root);
  if (dirname(resolve(staging)) !== dirname(resolve(dir))) fail(`internal: staging folder ${staging} is not beside ${dir}`);
  if (existsSync(dir) && !lstatSync(dir).isDirectory())
    fail(`${dir}: a file (or link) where this stage's output folder belongs; move or delete it, then rerun the stage`);
  faultPoint('before-publish');
  if (!existsSync(dir)) {
    renameSync(staging, dir);
    return;
  }
  const swap = exchange();
  if (swap && swap(staging, dir) === 0) {
    faultPoint('after-exchange');
    rmSync(staging, { recursive: true, force: true }); // now holds the previous generation
    return;
  }
  const old = join(dirname(dir), `.${basename(dir)}${OLD}${process.pid}-${Date.now().toString(36)}`);
  renameSync(dir, old);
  faultPoint('after-exchange');
  renameSync(staging, dir);
  rmSync(old, { recursive: true, force: true });
}
