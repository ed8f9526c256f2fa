import { defineConfig } from 'vitest/config';

// Tests sit next to the code they check (`*.test.ts`). Forks, not threads: koffi and
// onnxruntime hold native state that is simplest to reason about one process per file.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'tools/**/*.test.ts'],
    globalSetup: ['tools/vitest-tmpdir.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    env: {
      TANGENT_DATA_DIR: process.env.TANGENT_DATA_DIR ?? '../shared/data',
      TANGENT_MODELS_DIR: process.env.TANGENT_MODELS_DIR ?? '../shared/models',
      TANGENT_QUIET: '1',
    },
  },
});
