import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildTable, fixedSizeListVector } from '@tangent/arrow-io';
import { embeddingSchema, findInstance, pipelineInstances, publishOutputs, resolveManifest } from '@tangent/contracts';
import { rng } from '@tangent/linalg';
import { runText } from '@tangent/text';
import { beforeAll, describe, expect, it } from 'vitest';
import { publishToyEmbeddings } from '@tangent/contracts/testing';

const root = resolve(import.meta.dirname, '../../..');
const TRAIN = 'id,keyword,location,text,target\n1,,,fire in the hills,1\n2,,,a calm day,0\n3,,,flood warning,1\n';
const TEST = 'id,keyword,location,text\n10,,,smoke seen\n11,,,nice weather\n';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `node [...nodeArgs] apps/cli/bin/tangent.mjs ...args` with extra env, killed after 60 s. */
function cli(args: string[], env: Record<string, string>, nodeArgs: string[] = []): Promise<Run> {
  const t0 = performance.now();
  return new Promise((done) => {
    const p = spawn(process.execPath, [...nodeArgs, join(root, 'apps/cli/bin/tangent.mjs'), ...args], {
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

  it('C1: TANGENT_ARTIFACTS_DIR is a regular file: the variable, the file and the fix, before anything runs', () => {
    expect(oneLine(notDir)).toBe(
      `error: TANGENT_ARTIFACTS_DIR=${artifactsFile}: ${artifactsFile} is a regular file, not a directory (the stages write and read their artifacts there); point TANGENT_ARTIFACTS_DIR at a directory (created if missing), or unset it to use ./data`,
    );
    expect(readFileSync(artifactsFile, 'utf8')).toBe('a regular file where a directory belongs\n');
    expect(readdirSync(join(artifactsFile, '..')).sort()).toEqual(['artifacts', 'corrupt', 'good']); // no temp files
  });

  it('C2: --debug adds the stack trace', () => {
    expect(notDirDebug.status).toBe(1);
    const lines = notDirDebug.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^error: TANGENT_ARTIFACTS_DIR=.* is a regular file, not a directory /);
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

// Issue 22 item 4: every message names the file or field and the fix, through `tangent` itself.
describe('tangent: the messages that were vague', () => {
  let work = '';
  const runs: Record<string, Run> = {};
  const A = { pca: '', krr: '', clash: '' };
  let pcaBefore: Record<string, string> = {};
  const manifestFile = () => join(work, 'pipeline.yaml');
  const twoInputs = () => join(work, 'two.yaml');

  const publishEmbed = (manifest: Record<string, unknown>) => publishToyEmbeddings(manifest);

  /** A pca train.arrow of n unit-norm rows of width d (optionally a NaN at row 5, column 1), as krr reads it. */
  async function publishPca(manifest: Record<string, unknown>, d: number, n: number, nan = false) {
    const r = rng(d);
    const X = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) ((X[i * d + k] = r.normal()), (s += X[i * d + k] ** 2));
      for (let k = 0; k < d; k++) X[i * d + k] /= Math.sqrt(s);
    }
    if (nan) X[5 * d + 1] = NaN;
    const schema = embeddingSchema(d);
    const table = buildTable(schema, {
      id: Int32Array.from({ length: n }, (_, i) => i),
      split: new Array(n).fill('train'),
      target: Array.from({ length: n }, (_, i) => (X[i * d] > 0 ? 1 : 0)),
      embedding: fixedSizeListVector(X, d),
    });
    const m = resolveManifest(manifest);
    await publishOutputs(
      { name: 'pca', version: '1', outputs: ['train.arrow', 'test.arrow'] },
      m,
      findInstance(pipelineInstances(m), 'pca', `toy-d${d}`)!,
      {
        files: [{ name: 'train.arrow', schema, table, dtype: 'float32', seed: null }],
      },
    );
  }

  /** A YAML config (JSON is YAML) in the work folder. */
  const config = (name: string, body: Record<string, unknown>) => {
    const file = join(work, name);
    writeFileSync(file, JSON.stringify(body));
    return file;
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'cli-messages-'));
    const one = { grid: { embedders: ['toy'], d: [3] } };
    const two = { grid: { embedders: ['toy'], d: [3, 4] } };
    writeFileSync(manifestFile(), JSON.stringify(one));
    writeFileSync(twoInputs(), JSON.stringify(two));
    const prev = process.env.TANGENT_ARTIFACTS_DIR;
    try {
      // A.pca: an embed output and a first pca generation (the ENOSPC run must leave it as it was).
      process.env.TANGENT_ARTIFACTS_DIR = A.pca = join(work, 'a-pca');
      await publishEmbed(one);
      const { runStage } = await import('@tangent/contracts');
      const { pcaStage } = await import('@tangent/pca');
      await runStage(pcaStage, { manifest: one, key: 'toy-d3' });
      pcaBefore = snapshot(join(A.pca, 'pca', 'toy-d3'));
      // A.krr: pca outputs for krr, toy-d3 with a NaN at row 5, column 1; toy-d4 with 800 good rows.
      process.env.TANGENT_ARTIFACTS_DIR = A.krr = join(work, 'a-krr');
      await publishPca(two, 3, 40, true);
      await publishPca(two, 4, 800);
      // A.clash: a regular file where the pca stage's folder belongs.
      process.env.TANGENT_ARTIFACTS_DIR = A.clash = join(work, 'a-clash');
      await publishEmbed(one);
      writeFileSync(join(A.clash, 'pca'), 'not a folder\n');
    } finally {
      if (prev === undefined) delete process.env.TANGENT_ARTIFACTS_DIR;
      else process.env.TANGENT_ARTIFACTS_DIR = prev;
    }
    const artifactsFile = join(work, 'artifacts-file');
    writeFileSync(artifactsFile, 'a regular file\n');
    // ENOSPC without filling a disk: the stage's Arrow files are opened on /dev/full, whose writes fail with ENOSPC.
    const full = join(work, 'dev-full.mjs');
    writeFileSync(
      full,
      `import fs from 'node:fs';\nimport { syncBuiltinESMExports } from 'node:module';\nconst open = fs.openSync;\n` +
        `fs.openSync = (p, ...rest) => (/\\.staging-.*\\.arrow$/.test(String(p)) ? open('/dev/full', 'w') : open(p, ...rest));\nsyncBuiltinESMExports();\n`,
    );
    // Hybrid: a 3-row CSV, and 3000 rows of 10 classes whose Θ0 (24000×24000 float64) is over the 4 GiB limit.
    const three = join(work, 'three.csv');
    writeFileSync(three, 'x1,x2,y\n0.1,0.2,1\n0.3,0.1,2\n0.5,0.9,3\n');
    const wide = join(work, 'wide.csv');
    const r = rng(3);
    writeFileSync(wide, `x1,x2,c\n${Array.from({ length: 3000 }, (_, i) => `${r.normal()},${r.normal()},k${i % 10}`).join('\n')}\n`);
    const sgd = { lr: 0.05, epochs: 1_000_000 }; // a guard that fired after SGD would never be reached in 60 s
    // a krr run reads its pca input by key from a manifest's instances (identity-checked): the one the pca files were made for
    const krr = (name: string, body: Record<string, unknown>) => [
      'krr',
      '--manifest',
      twoInputs(),
      '--config',
      config(`${name}.yaml`, { name, lambdas: [0.1], ...body }),
    ];
    const exp = (name: string, data: Record<string, unknown>) => [
      'experiment',
      '--config',
      config(`${name}.yaml`, { experiment: name, data, sgd }),
    ];
    const jobs: Array<[string, Promise<Run>]> = [
      ['krrNan', cli(krr('nan', { data: { kind: 'pca', input: 'toy-d3' }, solver: 'exact' }), { TANGENT_ARTIFACTS_DIR: A.krr })],
      ['krrNoRoom', cli(krr('noroom', { data: { kind: 'pca', input: 'toy-d4' }, maxMemoryGb: 0.5 }), { TANGENT_ARTIFACTS_DIR: A.krr })],
      [
        'krrCentres',
        cli(
          krr('centres', {
            data: { kind: 'pca', input: 'toy-d4', trainSubset: 600 },
            solver: 'falkon',
            centres: [5000],
            maxMemoryGb: 0.76,
          }),
          {
            TANGENT_ARTIFACTS_DIR: A.krr,
          },
        ),
      ],
      ['enospc', cli(['pca', '--manifest', manifestFile()], { TANGENT_ARTIFACTS_DIR: A.pca }, ['--import', full])],
      ['clash', cli(['pca', '--manifest', manifestFile()], { TANGENT_ARTIFACTS_DIR: A.clash })],
      ['artifactsFile', cli(['pca', '--manifest', manifestFile()], { TANGENT_ARTIFACTS_DIR: artifactsFile })],
      ['expect', cli(['pca', '--manifest', manifestFile(), '--expect', '0123abcd'], { TANGENT_ARTIFACTS_DIR: A.pca })],
      ['expectTwo', cli(['pca', '--manifest', twoInputs(), '--expect', '0123abcd'], { TANGENT_ARTIFACTS_DIR: A.pca })],
      ['threeRows', cli(exp('three', { kind: 'csv', path: three, target: 'y', task: 'regression' }), { TANGENT_ARTIFACTS_DIR: A.krr })],
      ['bigKernel', cli(exp('big', { kind: 'csv', path: wide, target: 'c', task: 'classification' }), { TANGENT_ARTIFACTS_DIR: A.krr })],
    ];
    // Two at a time: each spawn loads its stages through tsx.
    for (let i = 0; i < jobs.length; i += 2) {
      const pair = jobs.slice(i, i + 2);
      const done = await Promise.all(pair.map(([, p]) => p));
      pair.forEach(([name], k) => (runs[name] = done[k]));
    }
  }, 300_000);

  it('krr reads pca with the finite check: the file, row and column of a NaN', () => {
    expect(oneLine(runs.krrNan)).toBe(
      `error: ${join(A.krr, 'pca', 'toy-d3', 'train.arrow')}: column 'embedding' row 5 element 1 is NaN; the stage that wrote it produced non-finite values — check its input and rerun it`,
    );
    expect(existsSync(join(A.krr, 'krr'))).toBe(false);
  });

  it('the krr memory refusal: no M fits the budget → says what does; too many centres → the largest M that fits (brute force)', () => {
    expect(oneLine(runs.krrNoRoom)).toMatch(
      /^error: maxMemoryGb: no number of centres fits the 512 MiB budget from maxMemoryGb = 0\.5: the runtime alone takes 768 MiB; raise maxMemoryGb to 0\.7[5-9]$/,
    );
    // The streamed Falkon plan's bytes, written out here from memory-model.ts's documented formula: N = 600, d = 4, K = 1, B = N.
    const bytes = (m: number) => 8 * (2 * 600 * m + 4 * m * m + 4 * 600) + 8 * 600 * 4 + 0.75 * 2 ** 30;
    let fit = 0;
    while (bytes(fit + 1) <= 0.76 * 2 ** 30) fit++;
    expect(fit).toBeGreaterThan(100);
    expect(oneLine(runs.krrCentres)).toMatch(
      new RegExp(
        `^error: centres: Falkon with M = 600 needs ${Math.round(bytes(600) / 2 ** 20)} MiB even with K_nM streamed, more than the 778 MiB budget from maxMemoryGb = 0\\.76; use at most ${fit} centres \\(centres: \\[${fit}\\]\\) or raise maxMemoryGb to 0\\.7\\d$`,
      ),
    );
  });

  it.skipIf(!existsSync('/dev/full'))('ENOSPC names the file being written; the published generation stays as it was', () => {
    expect(oneLine(runs.enospc)).toBe(
      `error: ${join(A.pca, 'pca', 'toy-d3', 'train.arrow')}: no space left on device (ENOSPC); free some disk space and rerun (rerun with --debug for the stack trace)`,
    );
    expect(snapshot(join(A.pca, 'pca', 'toy-d3'))).toEqual(pcaBefore);
    expect(readdirSync(join(A.pca, 'pca'))).toEqual(['toy-d3']); // no staging folder left
  });

  it('a regular file where a stage folder belongs is named as such', () => {
    expect(oneLine(runs.clash)).toMatch(
      /^error: \/.*\/a-clash\/pca: a regular file where a directory is needed \((ENOTDIR|EEXIST)\); move or delete that file, or check TANGENT_ARTIFACTS_DIR \(rerun with --debug for the stack trace\)$/,
    );
    expect(readFileSync(join(A.clash, 'pca'), 'utf8')).toBe('not a folder\n');
  });

  it('TANGENT_ARTIFACTS_DIR naming a regular file: a reading stage says so, not "train.arrow: not found"', () => {
    expect(oneLine(runs.artifactsFile)).toBe(
      `error: TANGENT_ARTIFACTS_DIR=${join(work, 'artifacts-file')}: ${join(work, 'artifacts-file')} is a regular file, not a directory (the stages write and read their artifacts there); point TANGENT_ARTIFACTS_DIR at a directory (created if missing), or unset it to use ./data`,
    );
  });

  it('--expect names the instance (not "undefined"), and asks for --key when there are several', () => {
    expect(oneLine(runs.expect)).toMatch(
      /^error: pca toy-d3: the task's identity 0123abcd is not the manifest's \([0-9a-f]{12}\); the Nx graph is stale: rerun through nx \(npm start\), which recomputes it$/,
    );
    expect(oneLine(runs.expectTwo)).toBe(
      'error: --expect checks one instance, and this profile has 2 pca instances; add --key <one of toy-d3, toy-d4>',
    );
  });

  it('a 3-row hybrid CSV is refused with the file, the split and the rows it needs', () => {
    expect(oneLine(runs.threeRows)).toBe(
      `error: ${join(work, 'three.csv')}: 3 data rows split into 2 training and 1 test rows (testFraction 0.2); the experiment needs at least 20 training and 10 test rows to compare its methods: use a file with at least 48 rows at this testFraction`, // round(48 · 0.2) = 10 test, 38 training; 47 gives 9
    );
  });

  it('the hybrid kernel guard fires before any training (1e6 epochs would not end), naming the field and the largest subset', () => {
    expect(oneLine(runs.bigKernel)).toBe(
      'error: ntk.subset: Θ0 on 2400 training rows × 10 outputs is 24000×24000, 4.29 GiB of float64, more than the 4.00 GiB an empirical NTK may take; set ntk.subset to at most 2317, or ntk.matrixFree: true (no Θ0)',
    );
    expect(runs.bigKernel.ms).toBeLessThan(60_000);
    expect(existsSync(join(A.krr, 'hybrid'))).toBe(false);
  });
});
