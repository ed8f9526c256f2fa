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
