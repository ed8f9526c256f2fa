// Lint: the layering of the workspace, enforced on project tags (package.json `nx.tags`):
//   layer:base (errors, log, progress) ← layer:math (linalg, nn, kernels: pure functions, no I/O)
//   ← layer:core (arrow-io: artifact I/O) ← layer:contract (manifest, instances, defineStage,
//   artifact schemas) ← layer:stage (one package per stage; never another stage) ← layer:app (CLI).
// Formatting is prettier's (npm run format:check), so eslint-config-prettier turns style rules off.
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default [
  // tools/consumer: a consumer project's files, linted as such by the consumer test (tsc on the packed types)
  { ignores: ['**/node_modules/**', 'data/**', 'dist/**', '.nx/**', 'coverage/**', 'tools/consumer/**'] },
  {
    files: ['**/*.ts', '**/*.mjs'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
    plugins: { '@nx': nx, '@typescript-eslint': tseslint.plugin },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: ['../../../tools/bench.ts'], // benchmarks import the harness's Benchmark type
          depConstraints: [
            { sourceTag: 'layer:base', onlyDependOnLibsWithTags: ['layer:base'] },
            { sourceTag: 'layer:math', onlyDependOnLibsWithTags: ['layer:base', 'layer:math'] },
            { sourceTag: 'layer:core', onlyDependOnLibsWithTags: ['layer:base', 'layer:core'] },
            { sourceTag: 'layer:contract', onlyDependOnLibsWithTags: ['layer:base', 'layer:math', 'layer:core', 'layer:contract'] },
            { sourceTag: 'layer:stage', onlyDependOnLibsWithTags: ['layer:base', 'layer:math', 'layer:core', 'layer:contract'] },
            {
              sourceTag: 'layer:app',
              onlyDependOnLibsWithTags: ['layer:base', 'layer:math', 'layer:core', 'layer:contract', 'layer:stage'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  prettier,
];
