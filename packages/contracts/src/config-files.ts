/**
 * Config files the manifest names (`hybrid.experiments`, `krr.runs`): read when the graph is
 * built, so their content is part of their instances' identities, like a section of the manifest.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { fail } from '@tangent/base';
import { assertPathSegment } from './path-segment.ts';

/** The config files listed under `section.field` (a list of paths relative to the workspace root). */
export function listedConfigFiles(section: Record<string, unknown>, field: string, where: string): string[] {
  const list = section[field] ?? [];
  if (!Array.isArray(list) || list.some((p) => typeof p !== 'string'))
    fail(`${where}.${field}: a list of config files (e.g. [configs/wine_quality.yaml])`);
  return list as string[];
}

/** One listed YAML config: a mapping whose `keyField` names its folder. */
export function readConfigFile(path: string, keyField: string, where: string): { key: string; config: Record<string, unknown> } {
  if (!existsSync(path)) fail(`${where}: ${path} not found; list files relative to the workspace root`);
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, 'utf8'));
  } catch (e) {
    fail(`${path}: not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) fail(`${path}: expected a mapping of config fields`);
  const config = doc as Record<string, unknown>;
  const key = config[keyField];
  if (typeof key !== 'string') fail(`${path}: field '${keyField}' (the output folder's name) is missing`);
  assertPathSegment(key, `field '${keyField}'`, path);
  return { key, config };
}
