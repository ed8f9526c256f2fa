import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runText } from '@tangent/text';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const TRAIN = 'id,keyword,location,text,target\n1,,,fire in the hills,1\n2,,,a calm day,0\n3,,,flood warning,1\n';
const TEST = 'id,keyword,location,text\n10,,,smoke seen\n11,,,nice weather\n';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `node apps/cli/bin/tangent.mjs ...args` with extra env, killed after 60 s. */
function cli(args: string[], env: Record<string, string>): Promise<Run> {
  const t0 = performance.now();
  return new Promise((done) => {
    const p = spawn(process.execPath, [join(root, 'apps/cli/bin/tangent.mjs'), ...args], {
      cwd: root,
      env: { ...process.env, TANGENT_QUIET: '1', TANGENT_DEBUG: '', ...env },
      timeout: 60_000,
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (status) => done({ status, stdout, stderr, ms: performance.now() - t0 }));
  });
}

function dataDir(train = TRAIN, test = TEST): string {
  const dir = mkdtempSync(join(tmpdir(), 'cli-data-'));
  writeFileSync(join(dir, 'train.csv'), train);
  writeFileSync(join(dir, 'test.csv'), test);
  return dir;
}

/** Every file under dir/sub with its bytes, to compare before/after (temp files included). */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f)).toString('base64')]));
}

/** Exactly one line, `error: ...`, without a stack trace. */
function oneLine(r: Run): string {
  expect(r.status).toBe(1);
  const lines = r.stderr.split('\n');
  expect(lines.length, r.stderr).toBe(2);
  expect(lines[1]).toBe('');
  expect(lines[0]).toMatch(/^error: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return lines[0];
}

describe('tangent: one error line, exit 1, earlier outputs untouched', () => {
  // The spawns run in parallel (each loads every stage through tsx: a few seconds).
  let notDir: Run, notDirDebug: Run, headerOnly: Run, corruptArrow: Run;
  let artifactsFile: string, goodOut: string, corruptOut: string, goodBefore: Record<string, string>, corruptBefore: Record<string, string>;

  beforeAll(async () => {
    const work = mkdtempSync(join(tmpdir(), 'cli-main-'));
    artifactsFile = join(work, 'artifacts');
    writeFileSync(artifactsFile, 'a regular file where a directory belongs\n');
    // Good outputs from an earlier run, made in-process.
    goodOut = join(work, 'good');
    corruptOut = join(work, 'corrupt');
    const prev = process.env.TANGENT_ARTIFACTS_DIR;
    for (const out of [goodOut, corruptOut]) {
      process.env.TANGENT_ARTIFACTS_DIR = out;
      await runText({}, { dataDir: dataDir() });
    }
    process.env.TANGENT_ARTIFACTS_DIR = prev ?? '';
    if (prev === undefined) delete process.env.TANGENT_ARTIFACTS_DIR;
    // Issue 9 item 1: bytes 8-599 of an artifact overwritten, markers intact.
    const train = join(corruptOut, 'text', 'train.arrow');
    const b = readFileSync(train);
    for (let i = 8; i < Math.min(600, b.length - 16); i++) b[i] = (i * 131 + 7) & 0xff;
    writeFileSync(train, b);
    goodBefore = snapshot(join(goodOut, 'text'));
    corruptBefore = snapshot(join(corruptOut, 'text'));
    const data = dataDir();
    [notDir, notDirDebug, headerOnly, corruptArrow] = await Promise.all([
      cli(['text'], { TANGENT_DATA_DIR: data, TANGENT_ARTIFACTS_DIR: artifactsFile }),
      cli(['--debug', 'text'], { TANGENT_DATA_DIR: data, TANGENT_ARTIFACTS_DIR: artifactsFile }),
      cli(['text'], { TANGENT_DATA_DIR: dataDir('id,keyword,location,text,target\n'), TANGENT_ARTIFACTS_DIR: goodOut }),
      cli(['embed'], { TANGENT_ARTIFACTS_DIR: corruptOut }),
    ]);
  }, 120_000);

  it('C1: TANGENT_ARTIFACTS_DIR is a regular file (ENOTDIR): path, code, the variable to check', () => {
    expect(oneLine(notDir)).toBe(
      `error: ${artifactsFile}: not a directory: ${artifactsFile} is a file (ENOTDIR); check TANGENT_ARTIFACTS_DIR (rerun with --debug for the stack trace)`,
    );
    expect(readFileSync(artifactsFile, 'utf8')).toBe('a regular file where a directory belongs\n');
    expect(readdirSync(join(artifactsFile, '..')).sort()).toEqual(['artifacts', 'corrupt', 'good']); // no temp files
  });

  it('C2: --debug adds the stack trace', () => {
    expect(notDirDebug.status).toBe(1);
    const lines = notDirDebug.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`error: ${artifactsFile}: not a directory: ${artifactsFile} is a file (ENOTDIR); check TANGENT_ARTIFACTS_DIR`);
    expect(lines.slice(1).some((l) => /^\s+at /.test(l))).toBe(true);
  });

  it('C3: a header-only train.csv fails before writing; the earlier outputs stay byte-identical', () => {
    expect(oneLine(headerOnly)).toMatch(/^error: \/.*\/train\.csv: no rows \(only the header line\); re-download it from https:/);
    expect(headerOnly.stdout).toBe('');
    expect(snapshot(join(goodOut, 'text'))).toEqual(goodBefore);
  });

  it('C4: a corrupt input artifact (bytes 8-599 garbage) fails in seconds with one line', () => {
    expect(oneLine(corruptArrow)).toMatch(
      /^error: \/.*\/text\/train\.arrow: corrupt Arrow file \(record batch 0: .*\); delete it and rerun the stage that writes it \(rerun its stage: npx tangent text \(or npm start\)\)$/,
    );
    expect(corruptArrow.ms).toBeLessThan(60_000);
    expect(snapshot(join(corruptOut, 'text'))).toEqual(corruptBefore);
    expect(readdirSync(corruptOut)).toEqual(['text']); // no embed output, no temp files
  });
});
