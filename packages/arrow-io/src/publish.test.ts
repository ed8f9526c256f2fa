import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishDir, stagingDir, sweep } from './publish.ts';

const publishModule = join(import.meta.dirname, 'publish.ts');

/** A folder holding one generation: files a.txt and b.txt both saying `tag`. */
function generation(dir: string, tag: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'a.txt'), tag);
  writeFileSync(join(dir, 'b.txt'), tag);
}
const read = (dir: string) => ({ a: readFileSync(join(dir, 'a.txt'), 'utf8'), b: readFileSync(join(dir, 'b.txt'), 'utf8') });

/** In a fresh process: stage generation `tag` beside `dir` and publish it, with a fault point armed. */
function publishInChild(dir: string, tag: string, env: Record<string, string>) {
  const code = `const p = await import(${JSON.stringify(publishModule)});
    const fs = await import('node:fs');
    const s = p.stagingDir(${JSON.stringify(dir)});
    fs.writeFileSync(s + '/a.txt', ${JSON.stringify(tag)});
    fs.writeFileSync(s + '/b.txt', ${JSON.stringify(tag)});
    p.publishDir(s, ${JSON.stringify(dir)}, ${JSON.stringify(join(dir, '..'))});`;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
}

describe('one commit per output folder', () => {
  it('publishes a first generation, then replaces it whole; nothing is left beside it', () => {
    const root = mkdtempSync(join(tmpdir(), 'publish-'));
    const dir = join(root, 'out');
    let s = stagingDir(dir);
    generation(s, 'one');
    publishDir(s, dir, root);
    expect(read(dir)).toEqual({ a: 'one', b: 'one' });
    s = stagingDir(dir);
    generation(s, 'two');
    publishDir(s, dir, root);
    expect(read(dir)).toEqual({ a: 'two', b: 'two' });
    expect(readdirSync(root)).toEqual(['out']);
  });

  for (const exchange of [true, false]) {
    const how = exchange ? 'renameat2 exchange' : 'two-rename fallback';
    const env: Record<string, string> = exchange ? {} : { TANGENT_NO_RENAME_EXCHANGE: '1' };

    it(`${how}: killed before the publish, the published generation is untouched and the crash's staging folder is swept`, () => {
      const root = mkdtempSync(join(tmpdir(), 'publish-'));
      const dir = join(root, 'out');
      generation(dir, 'old');
      const r = publishInChild(dir, 'new', { ...env, TANGENT_FAULT: 'before-publish' });
      expect(r.signal).toBe('SIGKILL');
      expect(read(dir)).toEqual({ a: 'old', b: 'old' });
      expect(readdirSync(root).filter((e) => e.includes('.staging-'))).toHaveLength(1);
      sweep(dir);
      expect(readdirSync(root)).toEqual(['out']);
      expect(read(dir)).toEqual({ a: 'old', b: 'old' });
    });

    it(`${how}: killed right after the switch, readers see one whole generation and the next run cleans up`, () => {
      const root = mkdtempSync(join(tmpdir(), 'publish-'));
      const dir = join(root, 'out');
      generation(dir, 'old');
      const r = publishInChild(dir, 'new', { ...env, TANGENT_FAULT: 'after-exchange' });
      expect(r.signal).toBe('SIGKILL');
      sweep(dir);
      // Exchange: the new generation is in place. Fallback: the crash fell between the two renames,
      // and sweeping puts the old generation back. Either way never a mix, never nothing.
      expect(read(dir)).toEqual(exchange ? { a: 'new', b: 'new' } : { a: 'old', b: 'old' });
      expect(readdirSync(root)).toEqual(['out']);
    });
  }

  it("leaves a live process's staging folder alone", () => {
    const root = mkdtempSync(join(tmpdir(), 'publish-'));
    const dir = join(root, 'out');
    const live = join(root, `.out.staging-${process.ppid}-x`);
    mkdirSync(live);
    sweep(dir);
    expect(existsSync(live)).toBe(true);
  });

  it('refuses to exchange the root itself, its parent or a folder outside it, and deletes nothing', () => {
    const root = mkdtempSync(join(tmpdir(), 'publish-'));
    const stageDir = join(root, 'krr');
    generation(join(stageDir, 'run'), 'keep');
    for (const dir of [stageDir, join(stageDir, '.'), join(stageDir, 'run', '..'), root, join(root, 'elsewhere')]) {
      const s = stagingDir(dir);
      generation(s, 'new');
      expect(() => publishDir(s, dir, stageDir)).toThrow(/refusing to publish .*not a folder strictly inside/);
      expect(() => sweep(dir, stageDir)).toThrow(/strictly inside/);
    }
    expect(read(join(stageDir, 'run'))).toEqual({ a: 'keep', b: 'keep' });
    const s = stagingDir(join(stageDir, 'run'));
    generation(s, 'new');
    publishDir(s, join(stageDir, 'run'), stageDir);
    expect(read(join(stageDir, 'run'))).toEqual({ a: 'new', b: 'new' });
  });

  it('refuses to swap out a regular file where the output folder belongs, and leaves it there', () => {
    const root = mkdtempSync(join(tmpdir(), 'publish-'));
    const dir = join(root, 'text');
    writeFileSync(dir, 'not a folder');
    const s = stagingDir(dir);
    generation(s, 'new');
    expect(() => publishDir(s, dir, root)).toThrow(/text: a file \(or link\) where this stage's output folder belongs; move or delete it/);
    expect(readFileSync(dir, 'utf8')).toBe('not a folder');
  });
});
