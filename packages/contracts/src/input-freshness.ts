/**
 * What a stage read, checked against what it reads now. Every output records the sha256 of each
 * file its stage read (`provenance.inputs`); a reader of that output compares those hashes with
 * the files as they are, so an artifact made from another generation of its inputs (raw CSVs
 * replaced after `text` ran, a pca folder rerun after `ntk` read it) is refused instead of
 * silently mixed with the new one. The raw files a stage reads are also part of its identity
 * (`rawDataDigest`), so everything downstream of changed data is stale by identity too.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { canonicalJson, contentChecksum, type ContentChecksum } from '@tangent/arrow-io';
import { fail } from '@tangent/base';

const cache = new Map<string, { stamp: string; sha256: string }>();

/** sha256 of a file's bytes, remembered per process while its inode, size and times stay the same. */
export function fileSha256(path: string, bytes?: Uint8Array): string {
  const abs = resolve(path);
  const st = statSync(abs);
  const stamp = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  const hit = cache.get(abs);
  if (hit && hit.stamp === stamp) return hit.sha256;
  const sha256 = createHash('sha256')
    .update(bytes ?? readFileSync(abs))
    .digest('hex');
  cache.set(abs, { stamp, sha256 });
  return sha256;
}

/**
 * Compare the input hashes `file` records (paths relative to the working directory) with those
 * files now. A recorded input that no longer exists is not compared (the artifacts may have been
 * moved with their inputs elsewhere); one that exists with other bytes is refused.
 */
export function checkRecordedInputs(file: string, inputs: Record<string, string> | undefined, fix: string): void {
  for (const [p, recorded] of Object.entries(inputs ?? {})) {
    if (!existsSync(p) || !statSync(p).isFile()) continue;
    const now = fileSha256(p);
    if (now !== recorded)
      fail(
        `${file}: made from another version of ${p} (sha256 ${recorded.slice(0, 12)} when it was written, ${now.slice(0, 12)} now); ${fix}`,
      );
  }
}

/**
 * The digest of raw input files, for an instance's identity: name → sha256 of the bytes, or
 * 'missing' (the stage then fails with its own message when it runs). The names, not the paths,
 * so that two clones with the same data in different places agree.
 */
export function rawDataDigest(files: ReadonlyArray<{ name: string; path: string | null }>): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f.name, f.path && existsSync(f.path) ? fileSha256(f.path) : 'missing']));
}

/** The content checksum of a JSON artifact's data (everything but its provenance): that of its canonical JSON. */
export function jsonChecksum(data: unknown): ContentChecksum {
  return contentChecksum(Buffer.from(canonicalJson(data), 'utf8'));
}
