import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TangentError, fail, withPath } from './errors.ts';

describe('errors', () => {
  it('fail throws a TangentError with the message', () => {
    expect(() => fail('x.csv: empty; add rows')).toThrow(TangentError);
    expect(() => fail('x.csv: empty; add rows')).toThrow('x.csv: empty; add rows');
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
