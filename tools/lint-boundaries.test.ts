import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

// The boundary rule reads the project graph that Nx caches under .nx/workspace-data/ and
// passes everything when there is none. `npm run lint` builds it first (`nx show projects`);
// this test does the same, so that it also holds under a plain `npx vitest run` on a fresh clone.
beforeAll(() => {
  const pkg = createRequire(import.meta.url).resolve('nx/package.json');
  const nx = resolve(dirname(pkg), (JSON.parse(readFileSync(pkg, 'utf8')) as { bin: { nx: string } }).bin.nx);
  const r = spawnSync(process.execPath, [nx, 'show', 'projects'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nx show projects failed:\n${r.stderr}`);
}, 120_000);

/** Lint `code` as if it were the file `path` of the workspace (nothing is written). */
async function lint(path: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [r] = await eslint.lintText(code, { filePath: resolve(root, path) });
  return r.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('the layering is enforced by lint', () => {
  it('a stage importing another stage fails; importing the contract and the math is fine', async () => {
    const bad = await lint('packages/pca/src/bad.ts', "import { ntkStage } from '@tangent/ntk';\nexport const x = ntkStage;\n");
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatch(/layer:stage.*can only depend on libs tagged with "layer:base", "layer:math", "layer:core", "layer:contract"/);
    expect(
      await lint(
        'packages/pca/src/ok.ts',
        "import { defineStage } from '@tangent/contracts';\nimport { gemm } from '@tangent/linalg';\nexport const x = [defineStage, gemm];\n",
      ),
    ).toEqual([]);
  });

  it('a math package importing artifact I/O fails', async () => {
    const bad = await lint(
      'packages/kernels/src/bad.ts',
      "import { readArtifact } from '@tangent/arrow-io';\nexport const x = readArtifact;\n",
    );
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatch(/layer:math.*can only depend on libs tagged with "layer:base", "layer:math"/);
  });
}, 120_000);
