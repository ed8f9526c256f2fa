import { describe, expect, it } from 'vitest';
import { errorOf } from '@tangent/base/testing';
import { pipelineInstances } from './instances.ts';
import { resolveManifest } from './manifest.ts';
import { keySegmentsProblem, PATH_SEGMENT_MAX, pathSegment, pathSegmentProblem } from './path-segment.ts';

describe('one rule for every name that becomes a path segment', () => {
  const bad = ['', '.', '..', '...', '.hidden', 'a/b', 'a\\b', '../x', 'a b', 'tab\t', 'nul\0', 'x'.repeat(PATH_SEGMENT_MAX + 1), 'ü'];
  const good = ['use-lite', 'minilm_random', 'v1.2', 'a..b', 'x'.repeat(PATH_SEGMENT_MAX), '0', '_'];

  it('refuses parents, separators, leading dots, white space, other characters and long names; keeps ordinary names', () => {
    for (const s of bad) expect(pathSegmentProblem(s), JSON.stringify(s)).not.toBeNull();
    for (const s of good) expect(pathSegmentProblem(s), s).toBeNull();
    for (const s of bad) expect(pathSegment.safeParse(s).success, JSON.stringify(s)).toBe(false);
    for (const s of good) expect(pathSegment.safeParse(s).success, s).toBe(true);
  });

  it('checks every segment of an instance key', () => {
    expect(keySegmentsProblem('')).toBeNull();
    expect(keySegmentsProblem('use-lite-d128/mup/w64-s0-lr1')).toBeNull();
    expect(keySegmentsProblem('use-lite-d128/../w64')).toMatch(/names a parent/);
    expect(keySegmentsProblem('a//b')).toMatch(/is empty/);
  });

  it('the manifest refuses such names for embedders, embed.models keys and profiles, with the field named', () => {
    expect(errorOf(() => resolveManifest({ grid: { embedders: ['..'] } }, 'default', 'm.yaml'))).toMatch(
      /^m\.yaml \(profile default\) grid: field 'embedders\.0': a folder name: .*'\.\.' names a parent/,
    );
    expect(errorOf(() => resolveManifest({ embed: { models: { '.': { model: 'use-lite' } } } }, 'default', 'm.yaml'))).toMatch(
      /^m\.yaml \(profile default\): embedder name 'embed\.models\.\.' '\.' names a parent/,
    );
    expect(errorOf(() => resolveManifest({ profiles: { '..': {} } }, 'default', 'm.yaml'))).toMatch(/profile name 'profiles\.\.\.'/);
    expect(errorOf(() => resolveManifest({ regimes: { '..': {} } }, 'default', 'm.yaml'))).toMatch(/regime '\.\.'/);
  });

  it('every instance folder of a manifest is its stage folder or strictly inside it', () => {
    const m = resolveManifest({ grid: { embedders: ['use-lite', 'a.b'], d: [4, 8] }, regimes: { mup: { widths: [16] } } });
    for (const i of pipelineInstances(m)) {
      const parts = i.dir.split('/');
      expect(
        parts.every((p) => pathSegmentProblem(p) === null),
        i.dir,
      ).toBe(true);
      expect(parts[0]).toBe(i.stage === 'mlp-submit' ? 'mlp' : i.stage);
    }
  });
});
