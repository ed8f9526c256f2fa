// Issue 22 through the real CLI: a name can't escape its folder, changed raw data makes every
// downstream artifact stale, and damage confined to an artifact's data bytes is caught on read.
// Each case is one error line, exit 1, and the artifacts tree is left exactly as it was.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { checkIpcFile } from '@tangent/arrow-io';
import { embedConfigSchema } from '@tangent/embed';
import { experimentSchema } from '@tangent/hybrid';
import { mlpRunConfigSchema } from '@tangent/mlp';
import { largeScaleKrrConfigSchema, ntkConfigSchema } from '@tangent/ntk';
import { pcaConfigSchema } from '@tangent/pca';
import { publishToyEmbeddings } from '@tangent/contracts/testing';

const root = resolve(import.meta.dirname, '../../..');
const manifest = { grid: { embedders: ['toy'], d: [3] }, ntk: { folds: 2, lambdaGrid: { min: 0.01, max: 1, count: 2 }, loo: false } };

interface Run {
  status: number | null;
  stderr: string;
}
let work = '';
let artifacts = '';
let data = '';
const prev = { artifacts: process.env.TANGENT_ARTIFACTS_DIR, data: process.env.TANGENT_DATA_DIR };

function tangent(args: string[]): Promise<Run> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [join(root, 'apps/cli/bin/tangent.mjs'), ...args], {
      cwd: root,
      env: { ...process.env, TANGENT_ARTIFACTS_DIR: artifacts, TANGENT_DATA_DIR: data, TANGENT_QUIET: '1', TANGENT_DEBUG: '' },
      timeout: 120_000,
    });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (status) => done({ status, stderr }));
  });
}

/** Exactly one `error: ...` line, exit 1, no stack trace; returns the line. */
function oneLine(r: Run): string {
  expect(r.status, r.stderr).toBe(1);
  expect(r.stderr.split('\n'), r.stderr).toHaveLength(2);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return r.stderr.split('\n')[0];
}

/** Every file under `dir` (recursively) with its size and mtime: equal before and after means nothing was touched. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[p] = `${statSync(p).size}:${statSync(p).mtimeMs}`;
    }
  };
  walk(dir);
  return out;
}

function writeManifest(name: string, m: unknown): string {
  const f = join(work, `${name}.yaml`);
  writeFileSync(f, stringify(m));
  return f;
}

const tweets = (n: number, idBase: number, labelled: boolean) =>
  [
    `id,keyword,location,text${labelled ? ',target' : ''}`,
    ...Array.from(
      { length: n },
      (_, i) => `${idBase + i},,,tweet number ${i} about ${i % 2 ? 'a fire' : 'the weather'}${labelled ? `,${i % 2}` : ''}`,
    ),
  ].join('\n') + '\n';

/** The embed stage's output for the current raw data ('toy' is not a real model: laid down here), made from text/. */
const embedFixture = (seed: number) =>
  publishToyEmbeddings(manifest, { seed, inputs: [join(artifacts, 'text', 'train.arrow'), join(artifacts, 'text', 'test.arrow')] });

let manifestFile = '';
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'nothing-lost-'));
  artifacts = join(work, 'data');
  data = join(work, 'raw');
  mkdirSync(data);
  // The README's default layout: the raw CSVs inside the artifacts root, which a bad name would delete.
  mkdirSync(join(artifacts, 'raw'), { recursive: true });
  writeFileSync(join(data, 'train.csv'), tweets(40, 0, true));
  writeFileSync(join(data, 'test.csv'), tweets(10, 100, false));
  writeFileSync(join(artifacts, 'raw', 'train.csv'), tweets(40, 0, true));
  process.env.TANGENT_ARTIFACTS_DIR = artifacts;
  process.env.TANGENT_DATA_DIR = data;
  manifestFile = writeManifest('pipeline', manifest);
  expect((await tangent(['text', '--manifest', manifestFile])).status).toBe(0);
  await embedFixture(5);
  const pca = await tangent(['pca', '--manifest', manifestFile]);
  expect(pca.status, pca.stderr).toBe(0);
}, 120_000);
afterAll(() => {
  for (const [k, v] of [
    ['TANGENT_ARTIFACTS_DIR', prev.artifacts],
    ['TANGENT_DATA_DIR', prev.data],
  ] as const)
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
});

describe('a name that would be a path segment cannot leave its folder (defect 1)', () => {
  it("every stage schema's name fields take the one rule", () => {
    const wine = parse(readFileSync(join(root, 'configs/wine_quality.yaml'), 'utf8')) as Record<string, unknown>;
    const fields: Array<[string, (v: string) => boolean]> = [
      ['pca.embedder', (v) => pcaConfigSchema.safeParse({ embedder: v, d: 3 }).success],
      ['ntk.input', (v) => ntkConfigSchema.safeParse({ input: v }).success],
      ['mlp.input', (v) => mlpRunConfigSchema.safeParse({ input: v, run: { width: 8, seed: 0, lr: 1 } }).success],
      ['embed.name', (v) => embedConfigSchema.safeParse({ name: v }).success],
      ['krr.name', (v) => largeScaleKrrConfigSchema.safeParse({ name: v }).success],
      ['krr.data.input', (v) => largeScaleKrrConfigSchema.safeParse({ name: 'ok', data: { kind: 'pca', input: v } }).success],
      ['hybrid.experiment', (v) => experimentSchema.safeParse({ ...wine, experiment: v }).success],
    ];
    for (const [field, parses] of fields) {
      expect(parses('fine-name'), field).toBe(true);
      for (const bad of ['..', '.', 'a/b', '.x', 'x'.repeat(65)]) expect(parses(bad), `${field} = ${bad}`).toBe(false);
    }
  });

  it('`..`, `.`, separators and over-long names are refused for every such field; the tree is untouched', async () => {
    const before = tree(artifacts);
    const long = 'x'.repeat(65);
    const cases: Array<[string, string[], RegExp]> = [];
    for (const bad of ['..', '.', 'a/b', '.hidden', long]) {
      const f = writeManifest(`emb-${cases.length}`, { grid: { embedders: [bad], d: [3] } });
      cases.push([`grid.embedders ${bad}`, ['pca', '--manifest', f], /field 'embedders\.0': a folder name/]);
    }
    const models = writeManifest('models', { ...manifest, embed: { models: { '..': { model: 'use-lite' } } } });
    cases.push(['embed.models key', ['pca', '--manifest', models], /embedder name 'embed\.models\.\.\.' '\.\.' names a parent/]);
    const profile = writeManifest('profile', { ...manifest, profiles: { '..': { grid: { d: [3] } } } });
    cases.push(['profile name', ['pca', '--manifest', profile], /profile name 'profiles\.\.\.' '\.\.' names a parent/]);
    const regime = writeManifest('regime', { ...manifest, regimes: { '..': {} } });
    cases.push(['regime name', ['mlp', '--manifest', regime], /regime '\.\.': a regime name/]);
    for (const bad of ['..', '.']) {
      const krr = join(work, `krr-${bad.length}.yaml`);
      writeFileSync(krr, stringify({ name: bad, data: { kind: 'pca', input: 'toy-d3' } }));
      cases.push([`krr name ${bad}`, ['krr', '--config', krr], /field 'name': a folder name/]);
      const hybrid = join(work, `hybrid-${bad.length}.yaml`);
      writeFileSync(hybrid, stringify({ experiment: bad, data: { kind: 'wine' } }));
      cases.push([`hybrid experiment ${bad}`, ['experiment', '--config', hybrid], /field 'experiment': a folder name/]);
    }
    const krrInput = join(work, 'krr-input.yaml');
    writeFileSync(krrInput, stringify({ name: 'ok', data: { kind: 'pca', input: '..' } }));
    cases.push(['krr data.input', ['krr', '--config', krrInput], /field 'data\.input': a folder name/]);
    const runs = await Promise.all(cases.map(([, args]) => tangent(args)));
    runs.forEach((r, i) => expect(oneLine(r), cases[i][0]).toMatch(cases[i][2]));
    expect(tree(artifacts)).toEqual(before);
  }, 240_000);
});

describe('raw data is part of the identity, and every read compares the input hashes it records (defect 2)', () => {
  it('new raw CSVs make the embed output stale for pca; the published generations stay', async () => {
    writeFileSync(join(data, 'train.csv'), tweets(12, 0, true));
    writeFileSync(join(data, 'test.csv'), tweets(5, 100, false));
    const before = tree(artifacts);
    const r = await tangent(['pca', '--manifest', manifestFile]);
    expect(oneLine(r)).toMatch(
      /embed\/toy\/train\.arrow: stale: written for another configuration .*rerun its stage: npx tangent embed --key toy/,
    );
    expect(tree(artifacts)).toEqual(before);
    // Back to the data the artifacts were made from: fresh again.
    writeFileSync(join(data, 'train.csv'), tweets(40, 0, true));
    writeFileSync(join(data, 'test.csv'), tweets(10, 100, false));
    const again = await tangent(['pca', '--manifest', manifestFile]);
    expect(again.status, again.stderr).toBe(0);
  }, 120_000);

  it('an upstream file rewritten after its reader ran (same identity, other bytes) is refused by the next reader', async () => {
    await embedFixture(6); // same instance and identity, other vectors: pca/ was made from the old ones
    const before = tree(artifacts);
    const r = await tangent(['ntk', '--manifest', manifestFile]);
    expect(oneLine(r)).toMatch(
      /pca\/toy-d3\/train\.arrow: made from another version of .*embed\/toy\/(train|test)\.arrow \(sha256 [0-9a-f]{12} when it was written, [0-9a-f]{12} now\); rerun its stage: npx tangent pca --key toy-d3/,
    );
    expect(tree(artifacts)).toEqual(before);
    expect((await tangent(['pca', '--manifest', manifestFile])).status).toBe(0);
  }, 120_000);
});

describe('damage confined to the data bytes fails on the content checksum (defect 3)', () => {
  /** Rewrite bytes of `file` inside its first record batch's body, keeping size and framing. */
  function damage(file: string, edit: (b: Buffer, start: number, end: number) => void): void {
    const b = readFileSync(file);
    const block = checkIpcFile(b).recordBatches[0];
    const start = block.offset + block.metaDataLength;
    edit(b, start, start + block.bodyLength);
    writeFileSync(file, b);
  }

  it('a label flipped, a row negated or 64 body bytes XOR-ed in pca/train.arrow: ntk refuses it', async () => {
    const file = join(artifacts, 'pca', 'toy-d3', 'train.arrow');
    const good = readFileSync(file);
    const edits: Array<[string, (b: Buffer, s: number, e: number) => void]> = [
      [
        'xor 64 bytes',
        (b, s, e) => b.subarray(s + Math.floor((e - s) / 3), s + Math.floor((e - s) / 3) + 64).forEach((v, k, a) => (a[k] = v ^ 0x5a)),
      ],
      ['negate one float', (b, s, e) => b.writeFloatLE(-b.readFloatLE(e - 8) || 1, e - 8)],
      ['flip a label byte', (b, s) => (b[s + 8] ^= 1)],
    ];
    for (const [what, edit] of edits) {
      writeFileSync(file, good);
      damage(file, edit);
      const before = tree(artifacts);
      const r = await tangent(['ntk', '--manifest', manifestFile]);
      expect(oneLine(r), what).toMatch(/pca\/toy-d3\/train\.arrow: corrupt (data \(content checksum crc32 [0-9a-f]{8}|Arrow file)/);
      expect(tree(artifacts), what).toEqual(before);
    }
    writeFileSync(file, good);
  }, 240_000);

  it('an edited number in a JSON artifact is refused by its reader', async () => {
    expect((await tangent(['pca', '--manifest', manifestFile])).status).toBe(0);
    const ntk = await tangent(['ntk', '--manifest', manifestFile]);
    expect(ntk.status, ntk.stderr).toBe(0);
    const metrics = join(artifacts, 'ntk', 'toy-d3', 'metrics.json');
    const text = readFileSync(metrics, 'utf8');
    const edited = text.replace(/"chosen_lambda": ([0-9.e+-]+)/, (_m, v: string) => `"chosen_lambda": ${Number(v) * 2}`);
    expect(edited).not.toBe(text);
    writeFileSync(metrics, edited);
    const before = tree(artifacts);
    // the after-kernel reads the ntk stage's metrics.json (its CV folds and λ criterion)
    const r = await tangent(['mlp', '--key', 'toy-d3/w16-s0-lr1', '--set', 'mlp.afterKernel=true', '--manifest', manifestFile]);
    expect(oneLine(r)).toMatch(
      /ntk\/toy-d3\/metrics\.json: corrupt or edited data \(content checksum crc32 [0-9a-f]{8}, its provenance records [0-9a-f]{8}\)/,
    );
    expect(tree(artifacts)).toEqual(before);
  }, 120_000);

  it("a flipped prediction in a submission CSV is refused by the stage that reads it (its folder's provenance records its checksum)", async () => {
    expect((await tangent(['ntk', '--manifest', manifestFile])).status).toBe(0);
    const csv = join(artifacts, 'ntk', 'toy-d3', 'submission.csv');
    const text = readFileSync(csv, 'utf8');
    const flipped = text.replace(/,([01])\n/, (_m, v: string) => `,${v === '1' ? '0' : '1'}\n`);
    expect(flipped).not.toBe(text);
    writeFileSync(csv, flipped);
    const before = tree(artifacts);
    const r = await tangent(['submissions', '--manifest', manifestFile]);
    expect(oneLine(r)).toMatch(
      /ntk\/toy-d3\/submission\.csv: corrupt or edited \(content checksum crc32 [0-9a-f]{8} over \d+ bytes, its folder's provenance records [0-9a-f]{8} over \d+ bytes\)/,
    );
    expect(tree(artifacts)).toEqual(before);
  }, 120_000);
});
