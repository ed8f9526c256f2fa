/**
 * The `submissions` stage: every Kaggle submission of the profile, checked (header, one row per
 * test tweet in test.csv order, 0/1 targets) and published together in data/submissions/:
 * <embedder>-d<d>-ntk-krr.csv and <embedder>-d<d>-mlp-w<width>.csv, with index.json; with
 * analysis.featureLearning.enabled also the feature-learning table's best.csv and <regime>.csv
 * (one per regime's chosen configuration, written by the analysis stage).
 */
import { existsSync, readdirSync } from 'node:fs';
import { fail } from '@tangent/base';
import { checkSubmission, defineStage, predictionsSchema, type Instance, type StageContext, submissionsNode } from '@tangent/contracts';
import { z } from 'zod';

/** The published name of an instance's submission. */
export function submissionName(inst: Instance): string {
  if (inst.stage === 'ntk') return `${inst.key}-ntk-krr.csv`;
  return `${inst.key.replace(/\/submit-/, '-mlp-')}.csv`;
}

function testIds(ctx: StageContext<unknown>, ntk: Instance): number[] {
  const pred = ctx.readArrow(ntk, 'predictions.arrow', predictionsSchema).table;
  const split = pred.getChild('split')!;
  const id = pred.getChild('id')!;
  const out: number[] = [];
  for (let i = 0; i < pred.numRows; i++) if (split.get(i) === 'test') out.push(id.get(i) as number);
  return out;
}

export const submissionsStage = defineStage(submissionsNode, {
  version: '1',
  configSchema: z.object({ featureLearning: z.boolean().default(false) }).strict(),
  async run(ctx) {
    const files = [];
    const index = [];
    for (const ntk of ctx.deps('ntk')) {
      const ids = testIds(ctx as StageContext<unknown>, ntk);
      for (const dep of [ntk, ...ctx.deps('mlp-submit').filter((i) => i.key.startsWith(`${ntk.key}/`))]) {
        const path = ctx.path(dep, 'submission.csv');
        const text = ctx.readText(dep, 'submission.csv');
        const check = checkSubmission(path, text, ids);
        const name = submissionName(dep);
        files.push({ name, text });
        index.push({ file: name, from: `${dep.stage} ${dep.key}`, rows: check.rows, positives: check.positives });
      }
    }
    const analysis = ctx.config.featureLearning ? ctx.deps('analysis')[0] : undefined;
    if (analysis) {
      const dir = ctx.path(analysis, 'feature-learning');
      if (!existsSync(dir)) fail(`${dir}: not found; rerun: npx tangent analysis`);
      const ntks = ctx.deps('ntk');
      for (const f of readdirSync(dir)
        .filter((n) => n.endsWith('.csv'))
        .sort()) {
        const path = ctx.path(analysis, `feature-learning/${f}`);
        const text = ctx.readText(analysis, `feature-learning/${f}`);
        // every input has the test rows of test.csv in its order; a prefixed name is checked against its own input
        const ntk = ntks.find((n) => f.startsWith(`${n.key}-`)) ?? ntks[0];
        const check = checkSubmission(path, text, testIds(ctx as StageContext<unknown>, ntk));
        files.push({ name: f, text });
        index.push({ file: f, from: `analysis feature-learning/${f}`, rows: check.rows, positives: check.positives });
      }
    }
    return {
      files: [...files, { name: 'index.json', json: { submissions: index } }],
      summary: `submissions: ${index.length} checked -> ${ctx.outDir}/ (${index.map((s) => s.file).join(', ')})`,
    };
  },
});
