import { existsSync, readFileSync } from 'node:fs';
import { fail } from '@tangent/base';

/** Parse a JSON file; missing or malformed (e.g. truncated by a crash) is one line naming the file and the fix. */
export function readJsonFile(path: string, hint: string): unknown {
  if (!existsSync(path)) fail(`${path}: not found; ${hint}`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    fail(`${path}: not valid JSON (${(e as Error).message.split('\n')[0]}); ${hint}`);
  }
}
