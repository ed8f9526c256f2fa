import { buildTable, fixedSizeListVector, hashBytes } from '@tangent/arrow-io';
import { fail, log } from '@tangent/base';
import { paths } from '@tangent/arrow-io';
import {
  defineStage,
  embeddingColumns,
  embeddingSchema,
  readEmbeddings,
  SPLITS,
  type Split,
  type StageContext,
  pcaNode,
} from '@tangent/contracts';
import { backendInfo, hasEigh, mat32, mat64, type Mat32 } from '@tangent/linalg';
import { pcaConfigSchema, type PcaConfig } from './config.ts';
import { readFeatureRows, type FeatureSplit } from './raw-features.ts';
import { fitPca, projectPca, unitRows32 } from './pca.ts';

export const STAGE_VERSION = '1';

/** Rows of A then rows of B (same width). */
function stack(A: Mat32, B: Mat32): Mat32 {
  const data = new Float32Array(A.data.length + B.data.length);
  data.set(A.data);
  data.set(B.data, A.data.length);
  return mat32(A.rows + B.rows, A.cols, data);
}

/** One split's rows as the stage projects them. */
interface InputSplit {
  ids: Int32Array;
  target: ArrayLike<number | null>;
  X: Mat32;
  path: string;
}

interface Inputs {
  train: InputSplit;
  test: InputSplit;
  /** Recorded only where the input names them (a text dataset's embeddings, a table or image dataset). */
  classes: string[] | null;
  /** A table or image dataset's raw values and what was done to them (recorded in the provenance). */
  source?: string;
}

/** A text dataset's embeddings (data/embed/<embedder>/), checked. */
function readEmbedInputs(ctx: StageContext<PcaConfig>): Inputs {
  const embed = ctx.dep('embed');
  const out = {} as Record<Split, InputSplit>;
  let classes: string[] | null = null;
  for (const split of SPLITS) {
    const { table, path, meta } = ctx.readArrow(embed, `${split}.arrow`, embeddingColumns);
    const e = readEmbeddings(table, path, split, meta);
    if (meta.extra?.classes !== undefined) classes = e.classes;
    out[split] = { ids: e.ids, target: e.target, path, X: mat32(e.rows, e.dim, e.values) };
  }
  return { ...out, classes };
}

/** A table or image dataset's features, read from its raw files. */
function readDatasetInputs(ctx: StageContext<PcaConfig>, dataset: NonNullable<PcaConfig['dataset']>): Inputs {
  const rows = readFeatureRows(dataset, paths.rawData(), `${ctx.manifest.source}: datasets.${dataset.name}`);
  for (const f of rows.files) ctx.track(f);
  const at = (s: FeatureSplit, split: Split): InputSplit => ({ ids: s.ids, target: s.target, X: s.X, path: `${dataset.name} (${split})` });
  return { train: at(rows.train, 'train'), test: at(rows.test, 'test'), classes: rows.classes, source: `${dataset.name}: ${rows.scaling}` };
}

/**
 * Stage 3: a text dataset's embeddings (data/embed/<embedder>/{train,test}.arrow) or a table or
 * image dataset's features (its raw files) → PCA fitted on train (or train + test when
 * transductive), both splits projected to d dims, or kept as they are (`d: null`, a dataset's
 * `preprocess: none`) → rows scaled to unit norm → data/pca/<input>/{train,test}.arrow, published
 * together.
 */
export const pcaStage = defineStage(pcaNode, {
  version: STAGE_VERSION,
  configSchema: pcaConfigSchema,
  async run(ctx) {
    const cfg = ctx.config;
    const input = cfg.dataset ? readDatasetInputs(ctx, cfg.dataset) : readEmbedInputs(ctx);
    const D = input.train.X.cols;
    if (input.test.X.cols !== D)
      fail(`${input.test.path}: embeddings have dim ${input.test.X.cols} but train has ${D}; rerun the embed stage`);
    if (cfg.d !== null && cfg.d > D)
      fail(`${ctx.manifest.source}: grid.d contains ${cfg.d}, more than the input dimension ${D} of ${input.train.path}; choose d <= ${D}`);
    const t0 = performance.now();
    const { projected, extra: fitted } = cfg.d === null ? keepFeatures(input) : projectFeatures(input, cfg.d, cfg.transductive);
    const d = projected.train.cols;
    const seconds = (performance.now() - t0) / 1000;
    if (cfg.d !== null)
      log(
        `pca: ${D} → ${d} dims, fitted on ${fitted.fitRows} rows${cfg.transductive ? ' (train+test)' : ''}, explained variance ${(100 * fitted.explainedVarianceTotal).toFixed(1)}% (${seconds.toFixed(2)} s)`,
      );
    const schema = embeddingSchema(d);
    const be = backendInfo();
    const extra = {
      ...(cfg.dataset ? { dataset: cfg.dataset.name, source: input.source } : { embedder: cfg.embedder }),
      inputDim: D,
      d,
      transductive: cfg.transductive,
      ...fitted,
      computeDtype: 'float64',
      normalisation: cfg.d === null ? 'unit L2 norm per row' : 'unit L2 norm per row after projection',
      linalg: { backend: be.name, library: be.library, eigensolver: hasEigh() ? 'LAPACK dsyevd' : 'TypeScript tridiagonal QL' },
      ...(input.classes ? { classes: input.classes } : {}),
    };
    const files = SPLITS.map((split) => {
      const { ids, target } = input[split];
      const n = ids.length;
      const table = buildTable(schema, {
        id: Int32Array.from(ids),
        split: new Array<string>(n).fill(split),
        target: Array.from(target),
        embedding: fixedSizeListVector(projected[split].data, d),
      });
      return { name: `${split}.arrow`, schema, table, dtype: 'float32', seed: null, extra: { ...extra, split, rows: n } };
    });
    const rows = { train: input.train.ids.length, test: input.test.ids.length };
    return {
      files,
      summary: formatSummary({ inputDim: D, d, projected: cfg.d !== null, ...fitted }, rows, ctx.outDir),
    };
  },
});

/** PCA fitted in float64 on train (and test when transductive), both splits projected to d dims, rows unit-norm. */
function projectFeatures(input: Inputs, d: number, transductive: boolean) {
  const fitData = transductive ? stack(input.train.X, input.test.X) : input.train.X;
  const model = fitPca(fitData, d);
  const projected = { train: unitRows32(projectPca(model, input.train.X)), test: unitRows32(projectPca(model, input.test.X)) };
  const ratio = Array.from(model.explainedVarianceRatio);
  let cum = 0;
  const cumulative = ratio.map((r) => (cum += r));
  const extra = {
    fitRows: model.fitRows,
    explainedVarianceRatio: ratio,
    explainedVarianceCumulative: cumulative,
    explainedVarianceTotal: cum,
    totalVariance: model.totalVariance,
    meanHash: hashBytes(model.mean),
    componentsHash: hashBytes(model.components.data),
  };
  return { projected, extra };
}

/** The features as they are, rows scaled to unit norm (no projection: d is the input dimension). */
function keepFeatures(input: Inputs) {
  const unit = (X: Mat32) => unitRows32(mat64(X.rows, X.cols, Float64Array.from(X.data)));
  return {
    projected: { train: unit(input.train.X), test: unit(input.test.X) },
    extra: { fitRows: input.train.ids.length, explainedVarianceTotal: 1 },
  };
}

export function formatSummary(
  m: { inputDim: number; d: number; explainedVarianceTotal: number; fitRows: number; projected?: boolean },
  rows: Record<Split, number>,
  outDir: string,
): string {
  return [
    m.projected === false
      ? `pca: ${m.inputDim} features kept (no projection), rows scaled to unit norm`
      : `pca: ${m.inputDim} → ${m.d} dims, fitted on ${m.fitRows} rows, explained variance ${(100 * m.explainedVarianceTotal).toFixed(2)}%`,
    ...SPLITS.map((s) => `  ${s}: ${rows[s]} rows -> ${outDir}/${s}.arrow`),
  ].join('\n');
}
