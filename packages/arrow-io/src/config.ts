import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { z } from 'zod';
import { fail } from './errors.ts';

/**
 * Load a YAML (or JSON) config file and validate it against a zod schema. Any problem becomes
 * one line naming the file, the field path and what was expected.
 */
export function loadConfig<S extends z.ZodType>(path: string, schema: S): z.infer<S> {
  if (!existsSync(path)) fail(`config file not found: ${path}`);
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8')) ?? {};
  } catch (e) {
    fail(`${path}: not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
  return validateConfig(raw, schema, path);
}

export function validateConfig<S extends z.ZodType>(raw: unknown, schema: S, source: string): z.infer<S> {
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    const more = r.error.issues.length > 1 ? ` (+${r.error.issues.length - 1} more)` : '';
    fail(`${source}: field '${where}': ${issue.message}${more}`);
  }
  return r.data;
}
