import { readFileSync, statSync } from 'node:fs';
import type { z } from 'zod';
import { fail, schemaIssueLine } from '@tangent/base';

/**
 * Read a JSON artifact (metrics.json, summary.json, ...) and validate it against a zod schema.
 * Missing file, invalid or truncated JSON and a shape mismatch are each one line naming the
 * file; `hint` says how to make it (e.g. "run `tangent ntk` first").
 */
export function readJsonFile<S extends z.ZodType>(path: string, schema: S, hint = ''): z.infer<S> {
  const how = hint ? `; ${hint}` : '';
  let text: string;
  try {
    if (!statSync(path).isFile()) fail(`${path}: not a regular file${how}`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') fail(`${path}: file not found${how}`);
    if (code) fail(`${path}: cannot read (${code})${how}`);
    throw e;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const what = text.trim() === '' ? 'empty file' : `not valid JSON: ${(e as Error).message}`;
    fail(`${path}: ${what} (truncated or corrupt); delete it and rerun the stage that writes it`);
  }
  const r = schema.safeParse(raw);
  if (!r.success) fail(`${path}: ${schemaIssueLine(r.error)}; rerun the stage that writes it${how}`);
  return r.data;
}
