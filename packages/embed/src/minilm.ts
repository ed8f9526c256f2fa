import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { paths } from '@tangent/arrow-io';
import { fail } from '@tangent/base';
import { AutoModel, AutoTokenizer, env, Tensor, type PreTrainedModel, type PreTrainedTokenizer } from '@huggingface/transformers';
import { l2NormalizeRows, type Embedder } from './embedder.ts';

export type MiniLmDtype = 'fp32' | 'q8';

export interface MiniLmOptions {
  /** Hub id or path under the models directory; default the real sentence-transformers model. */
  modelId?: string;
  dtype?: MiniLmDtype;
  /** Local model root (transformers.js layout); default $TANGENT_MODELS_DIR; unset = Hub. */
  modelsDir?: string;
  /** onnxruntime intra-op threads; 0 or unset = one per core this process may use. */
  threads?: number;
  /** sentence-transformers' max_seq_length for all-MiniLM-L6-v2. */
  maxTokens?: number;
}

export const MINILM_DEFAULT_ID = 'Xenova/all-MiniLM-L6-v2';
const ONNX_FILE: Record<MiniLmDtype, string> = { fp32: 'onnx/model.onnx', q8: 'onnx/model_quantized.onnx' };

/** The files transformers.js needs for a BERT feature extractor at `dtype`. */
export function miniLmFiles(dtype: MiniLmDtype): string[] {
  return ['config.json', 'tokenizer.json', 'tokenizer_config.json', ONNX_FILE[dtype]];
}

/** Absolute path of the ONNX file a local MiniLM would load (for the plain-onnxruntime comparison). */
export function miniLmOnnxPath(modelsDir: string, modelId: string, dtype: MiniLmDtype): string {
  return join(modelsDir, modelId, ONNX_FILE[dtype]);
}

/**
 * The onnxruntime session options for MiniLM: those of a plain, well-configured session (issue 26's
 * peer). The thread count is always explicit: onnxruntime's own default (0) is one thread per
 * *physical* core, pinned, and on a 2-vCPU VM whose vCPUs are SMT siblings of one core (the AMD
 * EPYC hosts) that is a single thread, which made tangent 0.55x a 2-thread session there. Results
 * do not depend on the count (onnxruntime splits GEMMs over rows and columns, never the sum).
 * Sequential mode: BERT has no parallel branches for an inter-op pool to run.
 */
export function miniLmSessionOptions(threads = 0): {
  intraOpNumThreads: number;
  executionMode: 'sequential';
  graphOptimizationLevel: 'all';
} {
  if (!Number.isInteger(threads) || threads < 0) fail(`minilm.threads: expected a whole number >= 0 (0 = one per core), got ${threads}`);
  return { intraOpNumThreads: threads || availableParallelism(), executionMode: 'sequential', graphOptimizationLevel: 'all' };
}

/**
 * all-MiniLM-L6-v2 with sentence-transformers semantics: BERT last hidden state, mean over the
 * tokens the attention mask keeps, then L2 normalisation. Runs on onnxruntime-node through
 * transformers.js; we pad batches ourselves so that length-sorted batching controls padding.
 */
export class MiniLmEmbedder implements Embedder {
  readonly dim: number;
  readonly name: string;
  readonly settings: Record<string, unknown>;

  private constructor(
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly model: PreTrainedModel,
    readonly modelId: string,
    readonly dtype: MiniLmDtype,
    private readonly maxTokens: number,
    settings: Record<string, unknown>,
  ) {
    const hidden = (model.config as unknown as { hidden_size?: number }).hidden_size;
    if (!hidden) fail(`${modelId}/config.json: no hidden_size; is this a BERT-style sentence encoder?`);
    this.dim = hidden;
    this.name =
      modelId === MINILM_DEFAULT_ID && dtype === 'fp32'
        ? 'minilm'
        : `minilm-${modelId
            .split('/')
            .pop()!
            .replace(/[^A-Za-z0-9._-]/g, '_')}-${dtype}`;
    this.settings = settings;
  }

  static async load(opts: MiniLmOptions = {}): Promise<MiniLmEmbedder> {
    const modelId = opts.modelId ?? MINILM_DEFAULT_ID;
    const dtype = opts.dtype ?? 'fp32';
    const modelsDir = opts.modelsDir ?? paths.models();
    if (modelsDir) {
      const dir = join(modelsDir, modelId);
      const missing = miniLmFiles(dtype).filter((f) => !existsSync(join(dir, f)));
      if (missing.length)
        fail(
          `model '${modelId}' (${dtype}): ${dir} lacks ${missing.join(', ')}; download them from https://huggingface.co/${modelId} into that folder, ` +
            `or unset TANGENT_MODELS_DIR to fetch from the Hub when online, or use --model use-lite (offline)`,
        );
      env.localModelPath = modelsDir.endsWith('/') ? modelsDir : `${modelsDir}/`;
      env.allowLocalModels = true;
      env.allowRemoteModels = false;
    } else {
      env.allowRemoteModels = true;
    }
    const sessionOptions = miniLmSessionOptions(opts.threads ?? 0);
    let tokenizer: PreTrainedTokenizer;
    let model: PreTrainedModel;
    try {
      tokenizer = await AutoTokenizer.from_pretrained(modelId);
      model = await AutoModel.from_pretrained(modelId, { dtype, device: 'cpu', session_options: sessionOptions });
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0];
      fail(
        `model '${modelId}' (${dtype}) could not be loaded ${modelsDir ? `from ${modelsDir}` : 'from the Hugging Face Hub'}: ${msg}; ` +
          `set TANGENT_MODELS_DIR to a folder holding ${modelId}/{${miniLmFiles(dtype).join(',')}} or use --model use-lite (offline)`,
      );
    }
    const maxTokens = opts.maxTokens ?? 256;
    return new MiniLmEmbedder(tokenizer, model, modelId, dtype, maxTokens, {
      runtime: 'onnxruntime-node (transformers.js 3.8.0)',
      modelId,
      dtype,
      source: modelsDir ?? 'huggingface hub',
      ...sessionOptions,
      maxTokens,
    });
  }

  tokenize(text: string): number[] {
    const ids = this.tokenizer.encode(text);
    if (ids.length <= this.maxTokens) return ids;
    // Truncate the text but keep the closing [SEP], as the HF tokenizer's truncation does.
    return [...ids.slice(0, this.maxTokens - 1), ids[ids.length - 1]];
  }

  /** The padded int64 tensors for one batch: ids, mask and (all-zero) token types. */
  static padBatch(batch: number[][], padId = 0): { ids: BigInt64Array; mask: BigInt64Array; types: BigInt64Array; len: number } {
    const len = Math.max(1, ...batch.map((t) => t.length));
    const ids = new BigInt64Array(batch.length * len).fill(BigInt(padId));
    const mask = new BigInt64Array(batch.length * len);
    batch.forEach((t, r) => {
      for (let j = 0; j < t.length; j++) {
        ids[r * len + j] = BigInt(t[j]);
        mask[r * len + j] = 1n;
      }
    });
    return { ids, mask, types: new BigInt64Array(batch.length * len), len };
  }

  async embedTokenized(batch: number[][]): Promise<Float32Array> {
    const b = batch.length;
    if (b === 0) return new Float32Array(0);
    const padId = (this.tokenizer as unknown as { pad_token_id?: number }).pad_token_id ?? 0;
    const { ids, mask, types, len } = MiniLmEmbedder.padBatch(batch, padId);
    const out = (await this.model({
      input_ids: new Tensor('int64', ids, [b, len]),
      attention_mask: new Tensor('int64', mask, [b, len]),
      token_type_ids: new Tensor('int64', types, [b, len]),
    })) as { last_hidden_state: Tensor };
    const h = out.last_hidden_state.data as Float32Array;
    const dim = this.dim;
    const pooled = meanPool(
      h,
      batch.map((t) => t.length),
      len,
      dim,
    );
    out.last_hidden_state.dispose();
    return l2NormalizeRows(pooled, dim);
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}

/**
 * Mean of the first `lengths[r]` token vectors of each row: sum_j m_j h_j / sum_j m_j with a
 * 0/1 attention mask m, i.e. sentence-transformers' mean pooling. Sums in float64.
 */
export function meanPool(hidden: Float32Array, lengths: readonly number[], seqLen: number, dim: number): Float32Array {
  const out = new Float32Array(lengths.length * dim);
  const acc = new Float64Array(dim);
  lengths.forEach((n, r) => {
    acc.fill(0);
    for (let j = 0; j < n; j++) {
      const base = (r * seqLen + j) * dim;
      for (let k = 0; k < dim; k++) acc[k] += hidden[base + k];
    }
    const inv = 1 / Math.max(n, 1e-9);
    for (let k = 0; k < dim; k++) out[r * dim + k] = acc[k] * inv;
  });
  return out;
}
