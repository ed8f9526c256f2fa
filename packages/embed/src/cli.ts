import { fail } from '@tangent/base';
import { validateConfig } from '@tangent/arrow-io';
import type { Command } from 'commander';
import { embedConfigSchema, MODEL_KINDS, type EmbedConfig, type ModelKind } from './config.ts';
import { embedCsv } from './stage.ts';

export interface CliOptions {
  input?: string;
  textColumn: string;
  idColumn?: string;
  targetColumn?: string;
  split?: string;
  out?: string;
  model?: string;
  modelId?: string;
  dtype?: string;
  batchSize?: string;
  threads?: string;
}

/** An embed config from a base section (e.g. the manifest's) with command-line overrides applied. */
export function embedConfigWithFlags(base: Record<string, unknown>, overrides: CliOptions, source = 'embed options'): EmbedConfig {
  const merged = structuredClone(base) as Record<string, unknown> & { minilm?: Record<string, unknown>; useLite?: Record<string, unknown> };
  const num = (flag: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n)) fail(`${flag} '${v}': expected a whole number`);
    return n;
  };
  if (overrides.model !== undefined) {
    if (!MODEL_KINDS.includes(overrides.model as ModelKind))
      fail(`--model '${overrides.model}': expected one of ${MODEL_KINDS.join(', ')}`);
    merged.model = overrides.model;
  }
  if (overrides.batchSize !== undefined) merged.batchSize = num('--batch-size', overrides.batchSize);
  const minilm = (merged.minilm ??= {});
  if (overrides.modelId !== undefined) minilm.modelId = overrides.modelId;
  if (overrides.dtype !== undefined) minilm.dtype = overrides.dtype;
  if (overrides.threads !== undefined) {
    // One flag for both models: onnxruntime intra-op threads, or USE-lite worker threads.
    const n = num('--threads', overrides.threads);
    minilm.threads = n;
    (merged.useLite ??= {}).threads = n;
  }
  const flagged = [overrides.model, overrides.batchSize, overrides.modelId, overrides.dtype, overrides.threads].some(
    (v) => v !== undefined,
  );
  return validateConfig(merged, embedConfigSchema, flagged ? `${source} (with command-line flags)` : source);
}

/**
 * The embed command's CSV mode (`tangent embed --input any.csv --out vectors.arrow`), added to the
 * generated pipeline command: a library entry that needs no manifest or pipeline.
 */
export const embedCli = {
  configure(cmd: Command): void {
    cmd
      .option('-m, --model <name>', `CSV mode: embedding model: ${MODEL_KINDS.join(' | ')}`)
      .option('--model-id <id>', 'MiniLM: Hub id or folder under $TANGENT_MODELS_DIR (default Xenova/all-MiniLM-L6-v2)')
      .option('--dtype <fp32|q8>', 'MiniLM weights: fp32 (onnx/model.onnx) or q8 (onnx/model_quantized.onnx)')
      .option('--threads <n>', 'onnxruntime intra-op threads (MiniLM) or worker threads (USE-lite); 0 = one per core')
      .option('-b, --batch-size <n>', 'texts per forward pass (batches are formed in token-length order)')
      .option('-i, --input <csv>', 'embed a column of this CSV instead of running the pipeline stage')
      .option('--text-column <name>', 'with --input: column to embed', 'text')
      .option('--id-column <name>', 'with --input: integer id column (default: row number from 0)')
      .option('--target-column <name>', 'with --input: integer label column copied to `target` (empty = null)')
      .option('--split <name>', "with --input: value of the `split` column (default: the file's base name)")
      .option('-o, --out <file.arrow>', 'with --input: output Arrow file (required with --input)')
      .addHelpText(
        'after',
        `
CSV mode: tangent embed --input tweets.csv --text-column text --id-column id --model use-lite --out tweets.arrow
writes id, split, target, embedding (FixedSizeList<Float32>[dim]); needs no manifest.
MiniLM reads $TANGENT_MODELS_DIR/<model-id>/ (transformers.js layout) or, if unset, downloads from the Hugging Face Hub.`,
      );
  },
  /** Handles CSV mode and returns true; false leaves the pipeline mode to the generated command. */
  async run(opts: CliOptions): Promise<boolean> {
    if (opts.input === undefined) {
      for (const [flag, v] of [
        ['--out', opts.out],
        ['--id-column', opts.idColumn],
        ['--target-column', opts.targetColumn],
        ['--split', opts.split],
        ['--model', opts.model],
        ['--model-id', opts.modelId],
        ['--dtype', opts.dtype],
        ['--threads', opts.threads],
        ['--batch-size', opts.batchSize],
      ] as const)
        if (v !== undefined) fail(`${flag} only applies with --input <csv>; in the pipeline, set it in the manifest's embed section`);
      return false;
    }
    if (!opts.out) fail('--out <file.arrow> is required with --input');
    if (!opts.out.endsWith('.arrow')) fail(`--out '${opts.out}': expected a path ending in .arrow`);
    const config = embedConfigWithFlags({}, opts);
    const r = await embedCsv({
      input: opts.input,
      textColumn: opts.textColumn,
      idColumn: opts.idColumn,
      targetColumn: opts.targetColumn,
      split: opts.split,
      out: opts.out,
      model: config.model,
      config,
    });
    process.stdout.write(
      `embed: ${r.ids.length} texts -> ${opts.out} (dim ${r.dim}) in ${r.seconds.toFixed(1)} s (${(r.ids.length / r.seconds).toFixed(1)} texts/s)\n` +
        `  settings: ${JSON.stringify(r.settings)}\n`,
    );
    return true;
  },
};
