/**
 * One rule for every name that becomes a folder under the artifacts root: an embedder, a regime,
 * a krr run, a hybrid experiment, a profile, an ntk/mlp input key, each segment of an instance
 * key. A name that passes it is one ordinary path segment, so the folder it names is a strict
 * descendant of its stage's folder and the publish step (which swaps that folder and deletes the
 * old generation) can touch nothing else:
 * - letters, digits, `_`, `-` and `.`, but not starting with a dot (`.` and `..` are the parent
 *   and the folder itself; a leading dot is also how staging folders and old generations are
 *   named beside an instance's folder, see arrow-io's publish.ts);
 * - no separator (`/`, `\`), no NUL, no white space;
 * - at most 64 characters (a key joins a few of them, and file systems cap a name at 255 bytes).
 */
import { z } from 'zod';
import { fail } from '@tangent/base';

export const PATH_SEGMENT_MAX = 64;
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

/** What is wrong with `name` as one path segment, or null when it is fine. */
export function pathSegmentProblem(name: string): string | null {
  if (name === '') return 'is empty';
  if (name === '.' || name === '..') return `'${name}' names a parent or the folder itself`;
  if (name.length > PATH_SEGMENT_MAX) return `is ${name.length} characters long (at most ${PATH_SEGMENT_MAX})`;
  if (/[/\\]/.test(name)) return `'${name}' contains a path separator`;
  if (name.startsWith('.')) return `'${name}' starts with a dot (reserved for staging folders)`;
  if (!SEGMENT.test(name)) return `'${name}' has characters other than letters, digits, _ . -`;
  return null;
}

const RULE = `a folder name: letters, digits, _ . - (not starting with a dot, at most ${PATH_SEGMENT_MAX} characters)`;

type NameProblem = (name: string) => string | null;

/** The zod schema of a name checked by `problemOf`; its message states `rule` and what broke it. */
export const nameSchema = (problemOf: NameProblem, rule: string) =>
  z.string().superRefine((s, ctx) => {
    const problem = problemOf(s);
    if (problem) ctx.addIssue({ code: 'custom', message: `${rule}; ${problem}` });
  });

/** Fail with one line when `name` (the value of `field` in `source`) breaks `problemOf`'s rule, stated as `rule`. */
export function assertName(problemOf: NameProblem, rule: string, name: string, field: string, source: string): void {
  const problem = problemOf(name);
  if (problem) fail(`${source}: ${field} ${problem}; use ${rule}`);
}

/** The zod schema of a name that becomes a path segment. */
export const pathSegment = nameSchema(pathSegmentProblem, RULE);

/** Fail with one line when `name` (the value of `field` in `source`) is not one path segment. */
export const assertPathSegment = (name: string, field: string, source: string): void =>
  assertName(pathSegmentProblem, RULE, name, field, source);

/** Every '/'-separated segment of an instance key passes the rule ('' is the key of a keyless stage). */
export function keySegmentsProblem(key: string): string | null {
  if (key === '') return null;
  for (const s of key.split('/')) {
    const problem = pathSegmentProblem(s);
    if (problem) return `segment ${problem}`;
  }
  return null;
}
