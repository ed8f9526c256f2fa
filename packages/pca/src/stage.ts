import type { Table } from 'apache-arrow';
import { buildTable, fixedSizeListVector, hashBytes } from '@tangent/arrow-io';
import { fail, log } from '@tangent/base';
import { defineStage, embeddingColumns, embeddingSchema, readEmbeddings, SPLITS, type Split, pcaNode } from '@tangent/contracts';
import { backendInfo, hasEigh, mat32, type Mat32 } from '@tangent/linalg';
import { pcaConfigSchema } from './config.ts';
import { fitPca, projectPca, unitRows32 } from './pca.ts';

export const STAGE_VERSION = '1';

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
 * data/pca/<embedder>-d<d>/{train,test}.arrow, published together.
 */
export const pcaStage = defineStage(pcaNode, {
  version: STAGE_VERSION,
  configSchema: pcaConfigSchema,
  async run(ctx) {
    const cfg = ctx.config;
    const embed = ctx.dep('embed');
    const input = {} as Record<Split, { table: Table; X: Mat32; path: string }>;
    for (const split of SPLITS) {
      const { table, path } = ctx.readArrow(embed, `${split}.arrow`, embeddingColumns);
      const e = readEmbeddings(table, path, split);
      input[split] = { table, path, X: mat32(e.rows, e.dim, e.values) };
    }
    const D = input.train.X.cols;
    if (input.test.X.cols !== D)
      fail(`${input.test.path}: embeddings have dim ${input.test.X.cols} but train has ${D}; rerun the embed stage`);
    if (cfg.d > D)
      fail(
        `${ctx.manifest.source}: grid.d contains ${cfg.d}, more than the embedding dimension ${D} of ${input.train.path}; choose d <= ${D}`,
      );
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
    const schema = embeddingSchema(cfg.d);
    const be = backendInfo();
    const extra = {
      embedder: cfg.embedder,
      inputDim: D,
      d: cfg.d,
      transductive: cfg.transductive,
      fitRows: model.fitRows,
      explainedVarianceRatio: ratio,
      explainedVarianceCumulative: cumulative,
      explainedVarianceTotal: cum,
      totalVariance: model.totalVariance,
      meanHash: hashBytes(model.mean),
      componentsHash: hashBytes(model.components.data),
      computeDtype: 'float64',
      normalisation: 'unit L2 norm per row after projection',
      linalg: { backend: be.name, library: be.library, eigensolver: hasEigh() ? 'LAPACK dsyevd' : 'TypeScript tridiagonal QL' },
    };
    const files = SPLITS.map((split) => {
      const t = input[split].table;
      const n = t.numRows;
      const target = t.getChild('target')!;
      const table = buildTable(schema, {
        id: Int32Array.from(t.getChild('id')!.toArray() as Int32Array),
        split: new Array<string>(n).fill(split),
        target: Array.from({ length: n }, (_, i) => target.get(i) as number | null),
        embedding: fixedSizeListVector(projected[split].data, cfg.d),
      });
      return { name: `${split}.arrow`, schema, table, dtype: 'float32', seed: null, extra: { ...extra, split, rows: n } };
    });
    return { files, summary: formatSummary(extra, { train: input.train.table.numRows, test: input.test.table.numRows }, ctx.outDir) };
  },
});

export function formatSummary(
  m: { inputDim: number; d: number; explainedVarianceTotal: number; fitRows: number },
  rows: Record<Split, number>,
  outDir: string,
): string {
  return [
    `pca: ${m.inputDim} → ${m.d} dims, fitted on ${m.fitRows} rows, explained variance ${(100 * m.explainedVarianceTotal).toFixed(2)}%`,
    ...SPLITS.map((s) => `  ${s}: ${rows[s]} rows -> ${outDir}/${s}.arrow`),
  ].join('\n');
}
