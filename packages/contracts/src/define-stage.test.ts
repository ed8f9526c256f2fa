import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Field, Float64, Int32 } from 'apache-arrow';
import { buildTable, defineSchema, readArtifact } from '@tangent/arrow-io';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineStage, type PipelineMeta, type StageContext } from './define-stage.ts';
import { runStage, runStandalone, type RunStageOptions } from './pipeline.ts';
import { defineNode } from './stage-node.ts';

const schema = defineSchema('toy', [new Field('id', new Int32(), false), new Field('x', new Float64(), false)]);
const table = (xs: number[]) => buildTable(schema, { id: Int32Array.from(xs, (_, i) => i), x: Float64Array.from(xs) });

/** A toy first stage ('text' slot): writes values `scale × [1, 2, 3]` and a JSON summary. */
const firstNode = defineNode({
  name: 'text',
  description: 'toy source',
  implementation: { package: '(this test)', export: 'first' },
  inputs: [],
  outputs: ['values.arrow', 'summary.json'],
  folder: () => 'text',
  instances: ({ section }) => [{ key: '', config: section, deps: [] }],
});
const first = defineStage(firstNode, {
  version: '1',
  configSchema: z.object({ scale: z.number().default(1), fail: z.boolean().default(false) }).strict(),
  async run(ctx) {
    if (ctx.config.fail) throw new Error('boom');
    const xs = [1, 2, 3].map((v) => v * ctx.config.scale);
    return {
      files: [
        { name: 'values.arrow', schema, table: table(xs), dtype: 'float64', seed: 7 },
        { name: 'summary.json', json: { total: xs.reduce((a, b) => a + b, 0) } },
      ],
    };
  },
});

/** A toy second stage ('embed' slot, one instance per grid embedder): reads the first stage's output and doubles it. */
const secondNode = defineNode({
  name: 'embed',
  description: 'toy reader',
  implementation: { package: '(this test)', export: 'second' },
  inputs: [{ stage: 'text', files: ['values.arrow', 'summary.json'] }],
  outputs: ['doubled.arrow'],
  instances: ({ grid, section, of }) => grid.embedders.map((e) => ({ key: e, config: section, deps: of('text') })),
});
const secondImpl = {
  version: '1',
  configSchema: z.object({}).passthrough(),
  async run(ctx: StageContext<Record<string, unknown>>) {
    const dep = ctx.dep('text');
    const { table: t } = ctx.readArrow(dep, 'values.arrow', schema);
    const total = ctx.readJson(dep, 'summary.json', z.object({ total: z.number() })).total;
    const xs = (t.getChild('x')!.toArray() as Float64Array).map((v) => (2 * v) / total);
    return { files: [{ name: 'doubled.arrow', schema, table: table([...xs]), dtype: 'float64' as const, seed: null }] };
  },
};
const second = defineStage(secondNode, secondImpl);

/** The toy graph: runStage builds the instances from these nodes instead of the pipeline's. */
const run = (def: Parameters<typeof runStage>[0], opts: RunStageOptions) => runStage(def, { ...opts, nodes: [firstNode, secondNode] });

let dir: string;
const prev = process.env.TANGENT_ARTIFACTS_DIR;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'define-stage-'));
  process.env.TANGENT_ARTIFACTS_DIR = dir;
});
afterEach(() => {
  if (prev === undefined) delete process.env.TANGENT_ARTIFACTS_DIR;
  else process.env.TANGENT_ARTIFACTS_DIR = prev;
});
const bytes = (p: string) => readFileSync(join(dir, p));

describe('defineStage and runInstance', () => {
  it('publishes the whole output set with provenance: identity, key, profile, kind, validated config', async () => {
    const [r] = await run(first, { manifest: { text: { scale: 2 } } });
    expect(r.outDir).toBe(join(dir, 'text'));
    expect(readdirSync(dir)).toEqual(['text']);
    const { table: t, meta } = readArtifact(join(dir, 'text/values.arrow'), schema);
    const m = meta as PipelineMeta;
    expect(Array.from(t.getChild('x')!.toArray() as Float64Array)).toEqual([2, 4, 6]);
    expect([m.stage, m.kind, m.key, m.profile, m.seed]).toEqual(['text', 'values', '', 'default', 7]);
    expect(m.config).toEqual({ scale: 2, fail: false });
    expect(m.identity).toMatch(/^[0-9a-f]{64}$/);
    const json = JSON.parse(bytes('text/summary.json').toString());
    expect(json.total).toBe(12);
    expect(json.provenance.identity).toBe(m.identity);
  });

  it('a reader refuses an input written for another configuration (stale) and publishes nothing', async () => {
    await run(first, { manifest: { text: { scale: 1 } } });
    await run(second, { manifest: { text: { scale: 1 } } });
    const good = bytes('embed/use-lite/doubled.arrow');
    // The manifest changes, the upstream is not rerun: the downstream must not read it.
    await expect(run(second, { manifest: { text: { scale: 5 } } })).rejects.toThrowError(
      /text\/values\.arrow: stale: written for another configuration .*; rerun its stage: npx tangent text/,
    );
    expect(bytes('embed/use-lite/doubled.arrow')).toEqual(good);
    await run(first, { manifest: { text: { scale: 5 } } });
    await run(second, { manifest: { text: { scale: 5 } } });
    const { table: t } = readArtifact(join(dir, 'embed/use-lite/doubled.arrow'), schema);
    expect(Array.from(t.getChild('x')!.toArray() as Float64Array)).toEqual([10 / 30, 20 / 30, 30 / 30]);
  });

  it("refuses another stage's file in an input folder", async () => {
    await run(first, { manifest: {} });
    await run(second, { manifest: {} });
    copyFileSync(join(dir, 'embed/use-lite/doubled.arrow'), join(dir, 'text/values.arrow'));
    await expect(run(second, { manifest: {} })).rejects.toThrowError(
      /values\.arrow: written by the 'embed' stage \('doubled'\), expected output of the 'text' stage/,
    );
  });

  it('a failed run leaves the published generation byte-identical and no staging folder', async () => {
    await run(first, { manifest: {} });
    const before = [bytes('text/values.arrow'), bytes('text/summary.json')];
    await expect(run(first, { manifest: { text: { fail: true } } })).rejects.toThrowError('boom');
    expect([bytes('text/values.arrow'), bytes('text/summary.json')]).toEqual(before);
    expect(readdirSync(dir)).toEqual(['text']);
  });

  it('a config error names the manifest section and field; an undeclared output is refused', async () => {
    await expect(run(first, { manifest: { text: { scale: 'big' } } })).rejects.toThrowError(/section 'text', field 'scale': /);
    const sloppy = defineStage({ ...firstNode, outputs: ['values.arrow'] }, first);
    await expect(run(sloppy, { manifest: {} })).rejects.toThrowError(/produced 'summary\.json', not among its declared outputs/);
    expect(existsSync(join(dir, 'text'))).toBe(false);
  });

  it('a read the node does not declare is refused: the declared inputs are the real edges', async () => {
    await run(first, { manifest: {} });
    const narrow = defineStage({ ...secondNode, inputs: [{ stage: 'text', files: ['values.arrow'] }] }, secondImpl);
    await expect(runStage(narrow, { manifest: {}, nodes: [firstNode, narrow.node] })).rejects.toThrowError(
      /stage 'embed' read 'summary\.json' of text, not among its declared inputs/,
    );
    expect(existsSync(join(dir, 'embed'))).toBe(false);
  });
});

describe('a standalone run (hybrid, krr) carries the bytes of the files it read in its identity', () => {
  it('same config, other raw bytes: another identity; the same bytes again: the first one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'standalone-'));
    const raw = join(dir, 'raw.csv');
    const prev = process.env.TANGENT_ARTIFACTS_DIR;
    process.env.TANGENT_ARTIFACTS_DIR = join(dir, 'data');
    try {
      const readerNode = defineNode({
        name: 'hybrid',
        description: 'reads one raw file',
        implementation: { package: '(this test)', export: 'reader' },
        inputs: [],
        outputs: ['values.arrow'],
        instances: () => [],
      });
      const reader = defineStage(readerNode, {
        version: '1',
        configSchema: z.object({}).passthrough(),
        async run(ctx) {
          ctx.track(raw);
          return {
            files: [
              {
                name: 'values.arrow',
                schema,
                table: table(readFileSync(raw, 'utf8').split(',').map(Number)),
                dtype: 'float64',
                seed: null,
              },
            ],
          };
        },
      });
      const identity = async (text: string) => {
        writeFileSync(raw, text);
        const r = await runStandalone(reader, 'exp', {});
        return (readArtifact(join(r.outDir, 'values.arrow'), schema).meta as PipelineMeta).identity;
      };
      const a = await identity('1,2,3');
      const b = await identity('1,2,4');
      expect(b).not.toBe(a);
      expect(await identity('1,2,3')).toBe(a);
    } finally {
      if (prev === undefined) delete process.env.TANGENT_ARTIFACTS_DIR;
      else process.env.TANGENT_ARTIFACTS_DIR = prev;
    }
  });
});
