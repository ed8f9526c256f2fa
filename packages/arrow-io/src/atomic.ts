import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Write via a temp file in the same directory, then rename: a reader (or a crash) never sees
 * a half-written file, and a previous good file survives a failed run.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Write several files as one unit: all temp files first, renames only once every write
 * succeeded, so a stage never leaves a mix of new and old outputs behind a failure.
 */
export function writeFilesAtomic(files: Array<{ path: string; data: string | Uint8Array }>): void {
  const tmps: string[] = [];
  try {
    for (const f of files) {
      mkdirSync(dirname(f.path), { recursive: true });
      const tmp = `${f.path}.${process.pid}.${Date.now()}.tmp`;
      tmps.push(tmp);
      writeFileSync(tmp, f.data);
    }
    files.forEach((f, i) => renameSync(tmps[i], f.path));
  } catch (e) {
    for (const t of tmps) rmSync(t, { force: true });
    throw e;
  }
}
