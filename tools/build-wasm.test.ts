import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations
import { compileWat, watSources } from './build-wasm.mjs';

describe('build-wasm', () => {
  it('every committed <name>-wasm.ts is the compilation of its .wat (else: npm run build:wasm)', async () => {
    const sources: string[] = watSources();
    expect(sources.length).toBeGreaterThan(0);
    for (const wat of sources) expect(readFileSync(wat.replace(/\.wat$/, '-wasm.ts'), 'utf8'), wat).toBe(await compileWat(wat));
  });
});
