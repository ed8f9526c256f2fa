/**
 * One error type for everything a user can fix. The CLI prints `error: <message>` on one
 * line and exits non-zero; anything else is a bug and keeps its stack trace.
 */
export class TangentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TangentError';
  }
}

export function fail(message: string): never {
  throw new TangentError(message);
}

/** What a schema library reports (zod's `error.issues`): where each problem is and what it is. */
export interface SchemaIssues {
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>;
}

/**
 * A failed schema validation as the middle of a one-line error, "field 'ntk.folds': <message>"
 * ('(top level)' for the root), naming the first issue and counting the others: callers prefix
 * the file and append the fix, `fail(\`${file}: ${schemaIssueLine(r.error)}; <fix>\`)`.
 */
export function schemaIssueLine(error: SchemaIssues): string {
  const [first] = error.issues;
  if (!first) return 'does not match its schema';
  const where = first.path.length ? first.path.map(String).join('.') : '(top level)';
  const more = error.issues.length > 1 ? ` (+${error.issues.length - 1} more)` : '';
  return `field '${where}': ${first.message}${more}`;
}

/**
 * Name the file in a filesystem error that has none. Node gives the path for open, mkdir or
 * rename, but not for a failed write to an open file (ENOSPC, EDQUOT, EIO, EFBIG): the error
 * reads "ENOSPC: no space left on device, write". `path` is the file being written; the error
 * is returned (changed) so that `throw withPath(e, file)` keeps its code and stack.
 */
export function withPath(e: unknown, path: string): unknown {
  const err = e as NodeJS.ErrnoException;
  if (err instanceof Error && typeof err.code === 'string' && !err.path) {
    err.path = path;
    err.message = `${err.message} '${path}'`;
  }
  return e;
}
