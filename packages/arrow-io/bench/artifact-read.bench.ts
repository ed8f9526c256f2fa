/**
 * What the content checksum costs a read (issue 22: under 5 %): the 7613 × 512 float32 embedding
 * table, read as the pca stage reads it (framing, decode, provenance, checksum, then the column
 * with its finite check). `checksum_seconds` is the checksum alone on the same bytes, timed in
 * the same run; `checksum_share` = checksum_seconds / seconds.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Field, Int32 } from 'apache-arrow';
import type { Benchmark } from '../../../tools/bench.ts';
import {
  bodyChecksum,
  buildTable,
  defineSchema,
  embeddingType,
  encodeArtifact,
  fixedSizeListVector,
  readArtifact,
  readFixedSizeList,
} from '../src/artifact.ts';
import { checkIpcFile } from '../src/ipc-framing.ts';

const n = 7613,
  dim = 512;
const schema = defineSchema('embeddings', [new Field('id', new Int32(), false), new Field('embedding', embeddingType(dim), false)]);

interface State {
  dir: string;
  path: string;
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

export const benchmarks: Benchmark[] = [
  {
    name: 'artifact_read_7613x512',
    n,
    repeats: 15,
    setup: (): State => {
      const dir = mkdtempSync(join(tmpdir(), 'bench-read-'));
      const path = join(dir, 'train.arrow');
      const values = Float32Array.from({ length: n * dim }, (_, i) => Math.sin(i) / 8);
      const table = buildTable(schema, { id: Int32Array.from({ length: n }, (_, i) => i), embedding: fixedSizeListVector(values, dim) });
      const meta = { stage: 'embed', stageVersion: '1', configHash: '-', config: {}, inputs: {}, dtype: 'float32', seed: null };
      writeFileSync(path, encodeArtifact(path, schema, table, meta).bytes);
      return { dir, path };
    },
    run: (s) => {
      const { table } = readArtifact((s as State).path, schema);
      readFixedSizeList(table, 'embedding', { finite: true });
    },
    extra: (seconds, s) => {
      const bytes = readFileSync((s as State).path);
      const layout = checkIpcFile(bytes);
      const times: number[] = [];
      for (let r = 0; r < 31; r++) {
        const t0 = performance.now();
        bodyChecksum(bytes, layout);
        times.push((performance.now() - t0) / 1000);
      }
      const c = median(times);
      return { mb: +(bytes.length / 1e6).toFixed(1), checksum_seconds: +c.toFixed(5), checksum_share: +(c / seconds).toFixed(4) };
    },
    teardown: (s) => rmSync((s as State).dir, { recursive: true, force: true }),
  },
];
