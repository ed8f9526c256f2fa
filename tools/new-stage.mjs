// `npm run new-stage -- <name>`: scaffold a pipeline stage that runs, lints and tests as generated.
//
// Writes packages/<name>/ (package.json with its layer tag, README, src/config.ts, src/stage.ts,
// src/stage.test.ts, src/index.ts) and its node, packages/contracts/src/nodes/<name>.ts; the one
// registration is a line appended to packages/contracts/src/nodes/index.ts. Everything else is
// derived from that registry: `tangent <name>`, its manifest section, its Nx tasks (`nx show
// projects`), the stage table of docs/contributing.md (rewritten here by tools/stage-table.mjs).
// Then `npm install` links the new workspace package. The scaffold reads each pca input and
// writes summary.json with its rows' norm statistics: replace that with the stage's math.
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const name = process.argv[2];
const fail = (msg) => {
  process.stderr.write(`error: ${msg}\n`);
  process.exit(1);
};
if (!name || !/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name) || name.length > 40)
  fail(`new-stage: give the stage a kebab-case name (letters, digits, single dashes), e.g. npm run new-stage -- feature-norms`);
const camel = name.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
const Pascal = camel[0].toUpperCase() + camel.slice(1);
const pkgDir = join('packages', name);
const nodeFile = join('packages/contracts/src/nodes', `${name}.ts`);
for (const p of [pkgDir, nodeFile]) if (existsSync(p)) fail(`new-stage: ${p} already exists; choose another name`);
const rootPkg = JSON.parse(readFileSync('package.json', 'utf8'));
const versionOf = (dep) => JSON.parse(readFileSync('packages/contracts/package.json', 'utf8')).dependencies[dep] ?? '*';

const files = {
  [nodeFile]: `import { defineNode } from '../stage-node.ts';

/** ${name}: one instance per pca input (\`<embedder>-d<d>\`); reads its features, writes summary.json. */
export const ${camel}Node = defineNode({
  name: '${name}',
  description: '${name}: row-norm statistics of each pca input -> data/${name}/<embedder>-d<d>/',
  implementation: { package: '@tangent/${name}', export: '${camel}Stage' },
  inputs: [{ stage: 'pca', files: ['train.arrow', 'test.arrow'] }],
  outputs: ['summary.json'],
  instances: ({ section, of }) =>
    of('pca').map((pca) => ({ key: pca.key, point: pca.point, config: { ...section, input: pca.key }, deps: [pca] })),
});
`,
  [join(pkgDir, 'package.json')]: `${JSON.stringify(
    {
      name: `@tangent/${name}`,
      version: rootPkg.version,
      private: true,
      type: 'module',
      description: `Stage ${name}: row-norm statistics of each pca input (scaffolded by npm run new-stage)`,
      exports: { '.': './src/index.ts' },
      dependencies: { '@tangent/base': '*', '@tangent/contracts': '*', zod: versionOf('zod') },
      nx: { tags: ['layer:stage'] },
    },
    null,
    2,
  )}\n`,
  [join(pkgDir, 'README.md')]: `# @tangent/${name}

Stage \`${name}\` (\`layer:stage\`), scaffolded by \`npm run new-stage -- ${name}\`: one instance per
pca input of the manifest's grid (\`<embedder>-d<d>\`), reading \`data/pca/<input>/{train,test}.arrow\`
and publishing \`data/${name}/<input>/summary.json\`: per split, the rows and the mean, smallest and
largest row norm, and how many rows lie off the unit sphere by more than \`${name}.tolerance\`.

- Run: \`npx tangent ${name}\` (every instance) or \`npx tangent ${name} --key use-lite-d128\`;
  \`npm start\` runs it with the pipeline (one Nx task per instance).
- Configure: the \`${name}\` section of \`configs/pipeline.yaml\` (fields in \`src/config.ts\`).
- Its node (what it reads, what it writes, its instances): \`packages/contracts/src/nodes/${name}.ts\`.
`,
  [join(pkgDir, 'src/config.ts')]: `import { z } from 'zod';
import { pathSegment } from '@tangent/contracts';

/** The \`${name}\` section of configs/pipeline.yaml; every field optional (the defaults below). */
export const ${camel}ConfigSchema = z
  .object({
    /** The pca input, from the grid (added by the node): reads data/pca/<input>/. */
    input: pathSegment,
    /** A row whose norm differs from 1 by more than this counts as off the unit sphere. */
    tolerance: z.number().positive().default(1e-4),
  })
  .strict();

export type ${Pascal}Config = z.infer<typeof ${camel}ConfigSchema>;
`,
  [join(pkgDir, 'src/row-norms.ts')]:
    `/** Row norms of a row-major rows × dim matrix, summarised: mean, min, max, and how many lie off 1 by more than \`tolerance\`. */
export function rowNormSummary(values: Float32Array, rows: number, dim: number, tolerance: number) {
  let sum = 0,
    min = Infinity,
    max = -Infinity,
    offSphere = 0;
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let k = i * dim; k < (i + 1) * dim; k++) s += values[k] * values[k];
    const norm = Math.sqrt(s);
    sum += norm;
    min = Math.min(min, norm);
    max = Math.max(max, norm);
    if (Math.abs(norm - 1) > tolerance) offSphere++;
  }
  return { rows, meanNorm: sum / rows, minNorm: min, maxNorm: max, offSphere };
}
`,
  [join(pkgDir, 'src/stage.ts')]: `import { SPLITS, defineStage, embeddingColumns, readEmbeddings, ${camel}Node } from '@tangent/contracts';
import { ${camel}ConfigSchema } from './config.ts';
import { rowNormSummary } from './row-norms.ts';

/** Bump when the output changes for the same inputs and config. */
const STAGE_VERSION = '1';

/** Read (checked) → pure functions → one commit: data/${name}/<input>/summary.json. */
export const ${camel}Stage = defineStage(${camel}Node, {
  version: STAGE_VERSION,
  configSchema: ${camel}ConfigSchema,
  async run(ctx) {
    const pca = ctx.dep('pca');
    const splits = SPLITS.map((split) => {
      const { table, path } = ctx.readArrow(pca, \`\${split}.arrow\`, embeddingColumns);
      const e = readEmbeddings(table, path, split);
      return { split, ...rowNormSummary(e.values, e.rows, e.dim, ctx.config.tolerance) };
    });
    return {
      files: [{ name: 'summary.json', json: { input: ctx.config.input, splits }, dtype: 'float64', seed: null }],
      summary: \`${name} \${ctx.config.input}: \${splits.map((s) => \`\${s.split} \${s.rows} rows, mean norm \${s.meanNorm.toFixed(6)}\`).join('; ')}\`,
    };
  },
});
`,
  [join(pkgDir, 'src/index.ts')]: `export * from './config.ts';
export * from './row-norms.ts';
export * from './stage.ts';
`,
  [join(pkgDir, 'src/stage.test.ts')]: `import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runStage } from '@tangent/contracts';
import { publishToyEmbeddings, tempArtifacts } from '@tangent/contracts/testing';
import { rowNormSummary } from './row-norms.ts';
import { ${camel}Stage } from './stage.ts';

const manifest = { grid: { embedders: ['toy'], d: [4] } };
const artifacts = tempArtifacts('${name}-');
beforeEach(() => void artifacts.enter());
afterEach(() => artifacts.exit());

describe('${name}', () => {
  it('row norms: 3-4-5 rows have norm 5, unit rows norm 1', () => {
    const s = rowNormSummary(Float32Array.of(3, 4, 0.6, 0.8), 2, 2, 1e-6);
    expect(s.meanNorm).toBeCloseTo(3, 6);
    expect([s.minNorm, s.maxNorm, s.offSphere]).toEqual([expect.closeTo(1, 6), expect.closeTo(5, 6), 1]);
  });

  it('reads each pca input through the contract and publishes its summary', async () => {
    await publishToyEmbeddings(manifest, { stage: 'pca', key: 'toy-d4', dim: 4, unitNorm: true });
    const [r] = await runStage(${camel}Stage, { manifest });
    const out = JSON.parse(readFileSync(join(r.outDir, 'summary.json'), 'utf8'));
    expect(out.splits.map((s: { rows: number }) => s.rows)).toEqual([40, 10]);
    for (const s of out.splits) expect(s.mean_norm).toBeCloseTo(1, 5);
    expect(out.provenance.stage).toBe('${name}');
  });
});
`,
};

for (const [path, text] of Object.entries(files)) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
// The one registration line.
appendFileSync('packages/contracts/src/nodes/index.ts', `export { ${camel}Node } from './${name}.ts';\n`);
const run = (cmd, args) => execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
run('node', ['tools/stage-table.mjs', '--write']);
run('npx', [
  'prettier',
  '--log-level',
  'warn',
  '--write',
  pkgDir,
  nodeFile,
  'packages/contracts/src/nodes/index.ts',
  'docs/contributing.md',
]);
// Link the new workspace package (node_modules/@tangent/<name>, package-lock.json).
run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel', 'error']);
process.stdout.write(
  `stage '${name}': packages/${name}/ and its node ${nodeFile}; run it with npx tangent ${name}, test it with npx vitest run ${pkgDir}\n`,
);
