import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { z } from 'zod';
import { fail, schemaIssueLine } from '@tangent/base';

/**
 * Load a YAML (or JSON) config file and validate it against a zod schema. Any problem becomes
 * one line naming the file, the field path and what was expected.
 */
export function loadConfig<S extends z.ZodType>(path: string, schema: S): z.infer<S> {
  return validateConfig(readConfigFile(path, path).raw, schema, path);
}

/**
 * The settings mapping of a YAML config file, unvalidated, for callers that merge command-line
 * overrides before validating. `path` undefined means "the default file if it exists, else all
 * defaults"; a path the user named must exist.
 */
export function readConfigFile(path: string | undefined, defaultPath: string): { file: string; raw: Record<string, unknown> } {
  const file = path ?? defaultPath;
  if (!existsSync(file)) {
    if (path !== undefined)
      fail(`${path}: config file not found; check the path (relative paths resolve against the working directory, ${process.cwd()})`);
    return { file, raw: {} };
  }
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8')) ?? {};
  } catch (e) {
    fail(`${file}: not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(`${file}: expected a mapping of settings at the top level`);
  return { file, raw: raw as Record<string, unknown> };
}

export function validateConfig<S extends z.ZodType>(raw: unknown, schema: S, source: string): z.infer<S> {
  const r = schema.safeParse(raw);
  if (!r.success) fail(`${source}: ${schemaIssueLine(r.error)}`);
  return r.data;
}
