import {
  buildTable,
  fail,
  fixedSizeListVector,
  hashBytes,
  log,
  paths,
  provenance,
  readArtifact,
  readFixedSizeList,
  writeArtifact,
  type ArtifactMeta,
} from '@tangent/arrow-io';
import { backendInfo, hasEigh, mat32, type Mat32 } from '@tangent/linalg';
import type { Table } from 'apache-arrow';
import { pcaConfigSchema, type PcaConfig } from './config.ts';
import { fitPca, projectPca, unitRows32, type PcaModel } from './pca.ts';
import { SPLITS, embedInputSchema, embeddingArtifactSchema, embeddingDim, type Split } from './schema.ts';

export const STAGE = 'pca';
export const STAGE_VERSION = '1';

export interface PcaResult {
  outputs: Record<Split, string>;
  model: PcaModel;
  meta: Record<Split, ArtifactMeta>;
}

interface SplitInput {
  path: string;
  table: Table;
  X: Mat32;
}

function readSplit(path: string, split: Split): SplitInput {
  const { table } = readArtifact(path, embedInputSchema, 'run `tangent embed` first');
  const field = table.schema.fields.find((f) => f.name === 'embedding');
  if (!field) fail(`${path}: column 'embedding' is missing; expected FixedSizeList<Float32>[dim] as written by the embed stage`);
  const dim = embeddingDim(field.type);
  if (dim === null) fail(`${path}: column 'embedding' should be FixedSizeList<Float32>[dim] but is ${field.type}`);
  const { values, rows } = readFixedSizeList(table, 'embedding', { finite: true, file: path });
  const splits = table.getChild('split')!;
  for (let i = 0; i < rows; i++) if (splits.get(i) !== split) fail(`${path}: row ${i} has split '${splits.get(i)}', expected '${split}'`);
  return { path, table, X: mat32(rows, dim, values as Float32Array) };
}

/** Rows of A then rows of B (same width). */
function stack(A: Mat32, B: Mat32): Mat32 {
  const data = new Float32Array(A.data.length + B.data.length);
  data.set(A.data);
  data.set(B.data, A.data.length);
  return mat32(A.rows + B.rows, A.cols, data);
}

/**
 * Stage 3: data/embed/<embedder>/{train,test}.arrow → PCA fitted on train (or train + test when
 * transductive) → both splits projected to d dims and scaled to unit norm →
 * data/pca/<embedder>-d<d>/{train,test}.arrow. Everything is computed before anything is written.
 */
export async function runPca(config: PcaConfig, opts: { inputDir?: string; outputDir?: string } = {}): Promise<PcaResult> {
  const cfg = pcaConfigSchema.parse(config);
  const inDir = opts.inputDir ?? paths.artifacts('embed', cfg.embedder);
  const outDir = opts.outputDir ?? paths.artifacts(STAGE, `${cfg.embedder}-d${cfg.d}`);
  const input = {} as Record<Split, SplitInput>;
  for (const split of SPLITS) input[split] = readSplit(`${inDir}/${split}.arrow`, split);
  const D = input.train.X.cols;
  if (input.test.X.cols !== D)
    fail(`${input.test.path}: embeddings have dim ${input.test.X.cols} but train has ${D}; rerun the embed stage`);
  if (cfg.d > D) fail(`pca config: d=${cfg.d} exceeds the embedding dimension ${D} of ${input.train.path}; choose d <= ${D}`);

  const fitData = cfg.transductive ? stack(input.train.X, input.test.X) : input.train.X;
  const t0 = performance.now();
  const model = fitPca(fitData, cfg.d);
  const projected = { train: unitRows32(projectPca(model, input.train.X)), test: unitRows32(projectPca(model, input.test.X)) };
  const seconds = (performance.now() - t0) / 1000;
  const ratio = Array.from(model.explainedVarianceRatio);
  let cum = 0;
  const cumulative = ratio.map((r) => (cum += r));
  log(
    `pca: ${D} → ${cfg.d} dims, fitted on ${model.fitRows} rows${cfg.transductive ? ' (train+test)' : ''}, explained variance ${(100 * cum).toFixed(1)}% (${seconds.toFixed(2)} s)`,
  );

  const schema = embeddingArtifactSchema(STAGE, cfg.d);
  const outputs = { train: `${outDir}/train.arrow`, test: `${outDir}/test.arrow` };
  const tables = {} as Record<Split, Table>;
  for (const split of SPLITS) {
    const t = input[split].table;
    const n = t.numRows;
    const target = t.getChild('target')!;
    tables[split] = buildTable(schema, {
      id: Int32Array.from(t.getChild('id')!.toArray() as Int32Array),
      split: new Array<string>(n).fill(split),
      target: Array.from({ length: n }, (_, i) => target.get(i) as number | null),
      embedding: fixedSizeListVector(projected[split].data, cfg.d),
    });
  }
  const be = backendInfo();
  const extra = {
    embedder: cfg.embedder,
    inputDim: D,
    d: cfg.d,
    transductive: cfg.transductive,
    fitRows: model.fitRows,
    explainedVarianceRatio: ratio,
    explainedVarianceTotal: cum,
    totalVariance: model.totalVariance,
    meanHash: hashBytes(model.mean),
    componentsHash: hashBytes(model.components.data),
    computeDtype: 'float64',
    normalisation: 'unit L2 norm per row after projection',
    linalg: { backend: be.name, library: be.library, eigensolver: hasEigh() ? 'LAPACK dsyevd' : 'TypeScript tridiagonal QL' },
  };
  const meta = {} as Record<Split, ArtifactMeta>;
  for (const split of SPLITS) {
    const prov = await provenance({
      stage: STAGE,
      stageVersion: STAGE_VERSION,
      config: cfg,
      inputs: [input.train.path, input.test.path],
      dtype: 'float32',
      seed: null,
      extra: { ...extra, split, rows: tables[split].numRows },
    });
    meta[split] = writeArtifact(outputs[split], schema, tables[split], prov);
  }
  return { outputs, model, meta };
}

export function formatSummary(r: PcaResult): string {
  const m = r.meta.train.extra as { inputDim: number; d: number; explainedVarianceTotal: number; fitRows: number };
  return [
    `pca: ${m.inputDim} → ${m.d} dims, fitted on ${m.fitRows} rows, explained variance ${(100 * m.explainedVarianceTotal).toFixed(2)}%`,
    ...SPLITS.map((s) => `  ${s}: ${r.meta[s].rows} rows -> ${r.outputs[s]}`),
  ].join('\n');
}
