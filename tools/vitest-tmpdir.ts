/**
 * Vitest global setup: every test file's temporary folders (os.tmpdir(), which reads $TMPDIR)
 * go under one folder per `npm test`, removed when the run ends, so a test that creates a
 * temporary folder need not remember to delete it and repeated runs leave nothing in /tmp.
 * The forked test workers start after this and inherit the variable.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'tangent-test-'));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(dir, { recursive: true, force: true });
  };
}
