import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TangentError, fail, schemaIssueLine, withPath } from './errors.ts';

describe('errors', () => {
  it('fail throws a TangentError with the message', () => {
    expect(() => fail('x.csv: empty; add rows')).toThrow(TangentError);
    expect(() => fail('x.csv: empty; add rows')).toThrow('x.csv: empty; add rows');
  });

  it('schemaIssueLine names the first issue’s field (dotted, or the top level) and counts the rest', () => {
    const issue = (path: PropertyKey[], message: string) => ({ path, message });
    expect(schemaIssueLine({ issues: [issue(['ntk', 'folds'], 'Too small: expected number to be >=2')] })).toBe(
      "field 'ntk.folds': Too small: expected number to be >=2",
    );
    expect(schemaIssueLine({ issues: [issue(['widths', 1], 'Expected number'), issue(['d'], 'x'), issue([], 'y')] })).toBe(
      "field 'widths.1': Expected number (+2 more)",
    );
    expect(schemaIssueLine({ issues: [issue([], 'Expected object, received string')] })).toBe(
      "field '(top level)': Expected object, received string",
    );
  });

  it.skipIf(!existsSync('/dev/full'))('withPath names the file of a write error that has none (ENOSPC from /dev/full)', () => {
    const fd = openSync('/dev/full', 'w');
    let err: NodeJS.ErrnoException | undefined;
    try {
      writeSync(fd, Buffer.alloc(16));
    } catch (e) {
      err = e as NodeJS.ErrnoException;
    } finally {
      closeSync(fd);
    }
    expect(err?.code).toBe('ENOSPC');
    expect(err?.path).toBeUndefined(); // what Node gives: "ENOSPC: no space left on device, write"
    expect(withPath(err, '/data/pca/x/train.arrow')).toBe(err);
    expect(err!.path).toBe('/data/pca/x/train.arrow');
    expect(err!.message).toBe("ENOSPC: no space left on device, write '/data/pca/x/train.arrow'");
    expect(err!.code).toBe('ENOSPC');
  });

  it('withPath keeps a path Node already gave, and leaves errors without a code alone', () => {
    const own = Object.assign(new Error("ENOENT: no such file or directory, open '/a'"), { code: 'ENOENT', path: '/a' });
    withPath(own, '/b');
    expect(own.path).toBe('/a');
    expect(own.message).toBe("ENOENT: no such file or directory, open '/a'");
    const plain = new Error('bug');
    withPath(plain, '/b');
    expect(plain.message).toBe('bug');
    expect((plain as NodeJS.ErrnoException).path).toBeUndefined();
  });
});
