// Kill -9 in the middle of a stage's commit, through the real CLI: the published generation is
// never mixed or lost, and the next run sweeps what the crash left.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readArtifact } from '@tangent/arrow-io';
import { embeddingColumns, type PipelineMeta } from '@tangent/contracts';
import { publishToyEmbeddings } from '@tangent/contracts/testing';

const root = resolve(import.meta.dirname, '../../..');
const manifest = { grid: { embedders: ['toy'], d: [3] } };
let dir = '';
let manifestFile = '';
const prev = process.env.TANGENT_ARTIFACTS_DIR;

function tangent(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [join(root, 'apps/cli/bin/tangent.mjs'), ...args, '--manifest', manifestFile], {
    cwd: root,
    env: { ...process.env, TANGENT_ARTIFACTS_DIR: dir, TANGENT_QUIET: '1', ...env },
    encoding: 'utf8',
  });
}
const pcaDir = () => join(dir, 'pca', 'toy-d3');
const snapshot = () => Object.fromEntries(readdirSync(pcaDir()).map((f) => [f, readFileSync(join(pcaDir(), f))]));
const leftovers = () => readdirSync(join(dir, 'pca')).filter((e) => e !== 'toy-d3');
const transductive = () =>
  (readArtifact(join(pcaDir(), 'train.arrow'), embeddingColumns).meta as PipelineMeta).config as { transductive: boolean };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'faults-'));
  manifestFile = join(dir, 'pipeline.yaml');
  writeFileSync(manifestFile, stringify(manifest));
  process.env.TANGENT_ARTIFACTS_DIR = dir;
  await publishToyEmbeddings(manifest);
});
afterAll(() => {
  if (prev === undefined) delete process.env.TANGENT_ARTIFACTS_DIR;
  else process.env.TANGENT_ARTIFACTS_DIR = prev;
});

describe('a stage killed during its commit (TANGENT_FAULT)', () => {
  it('killed before the publish: the earlier generation is byte-identical; the next run sweeps the staging folder', () => {
    expect(tangent(['pca']).status).toBe(0);
    const before = snapshot();
    const killed = tangent(['pca', '--set', 'pca.transductive=true'], { TANGENT_FAULT: 'before-publish' });
    expect(killed.signal).toBe('SIGKILL');
    expect(snapshot()).toEqual(before);
    expect(leftovers()).toHaveLength(1); // the crashed run's staging folder
    expect(tangent(['pca']).status).toBe(0);
    expect(leftovers()).toEqual([]);
    expect(transductive().transductive).toBe(false);
  });

  it('killed right after the switch: one whole new generation, and nothing left after the next run', () => {
    const killed = tangent(['pca', '--set', 'pca.transductive=true'], { TANGENT_FAULT: 'after-exchange' });
    expect(killed.signal).toBe('SIGKILL');
    expect(transductive().transductive).toBe(true);
    const train = readArtifact(join(pcaDir(), 'train.arrow'), embeddingColumns).meta as PipelineMeta;
    const test = readArtifact(join(pcaDir(), 'test.arrow'), embeddingColumns).meta as PipelineMeta;
    expect(test.identity).toBe(train.identity); // never one split from each generation
    expect(tangent(['pca']).status).toBe(0);
    expect(leftovers()).toEqual([]);
  });
});
