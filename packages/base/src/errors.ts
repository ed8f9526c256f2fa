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
