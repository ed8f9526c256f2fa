import type { Command } from 'commander';
import type { StageDefinition } from '@tangent/contracts';
import { stageCommand, type CommandExtension } from '../stage-command.ts';

type StageEntry = [StageDefinition<never>, CommandExtension?];

/**
 * The pipeline stages in order; each becomes `tangent <name>` (shown in this order in --help).
 * Loaded on demand: a pipeline task (`tangent mlp --key …`, 38 of them in `npm start`) imports its
 * own stage package only, not every stage's dependencies (transformers.js, the charts, …).
 */
export const pipelineStages: Array<[string, () => Promise<StageEntry>]> = [
  ['text', async () => [(await import('@tangent/text')).textStage as StageDefinition<never>]],
  [
    'embed',
    async () => {
      const m = await import('@tangent/embed');
      return [m.embedStage as StageDefinition<never>, m.embedCli as CommandExtension];
    },
  ],
  ['pca', async () => [(await import('@tangent/pca')).pcaStage as StageDefinition<never>]],
  ['ntk', async () => [(await import('@tangent/ntk')).ntkStage as StageDefinition<never>]],
  ['mlp', async () => [(await import('@tangent/mlp')).mlpStage as StageDefinition<never>]],
  ['mlp-submit', async () => [(await import('@tangent/mlp')).mlpSubmitStage as StageDefinition<never>]],
  ['analysis', async () => [(await import('@tangent/analysis')).analysisStage as StageDefinition<never>]],
  ['submissions', async () => [(await import('@tangent/analysis')).submissionsStage as StageDefinition<never>]],
];

/** Every command, or only `only`'s when it names a pipeline stage. */
export async function registerCommands(program: Command, only?: string): Promise<void> {
  const one = pipelineStages.find(([name]) => name === only);
  for (const [name, load] of one ? [one] : pipelineStages) {
    const [def, ext] = await load();
    if (def.name !== name) throw new Error(`internal: stage '${def.name}' registered as '${name}'`);
    stageCommand(program, def, ext);
  }
  if (one) return;
  (await import('@tangent/hybrid')).register(program);
  (await import('@tangent/ntk')).registerKrr(program);
}
