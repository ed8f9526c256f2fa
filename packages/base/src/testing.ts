/**
 * Test helpers for the error contract every layer keeps: a user-fixable problem is a
 * TangentError whose message is one line. Framework-free (they throw a plain Error when the
 * contract is broken), so any test runner fails on them; import from '@tangent/base/testing'.
 */
import { TangentError } from './errors.ts';

function messageOf(e: unknown): string {
  if (!(e instanceof TangentError)) throw new Error(`expected a TangentError, got: ${e instanceof Error ? e.stack : String(e)}`);
  if (e.message.includes('\n')) throw new Error(`expected a one-line message, got:\n${e.message}`);
  return e.message;
}

/** The one-line TangentError message `fn` throws; throws if it throws anything else, or nothing. */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return messageOf(e);
  }
  throw new Error('expected a TangentError, but nothing was thrown');
}

/** The one-line TangentError message `p` rejects with; throws if it rejects with anything else, or resolves. */
export async function rejectionOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return messageOf(e);
  }
  throw new Error('expected a TangentError, but the promise resolved');
}
