import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { withPath } from '@tangent/base';

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
    throw withPath(e, path); // a failed write (ENOSPC) carries no path of its own
  }
}
