import type { Command } from 'commander';
import { analysisStage, submissionsStage } from '@tangent/analysis';
import { embedCli, embedStage } from '@tangent/embed';
import { register as experiment } from '@tangent/hybrid';
import { mlpStage, mlpSubmitStage } from '@tangent/mlp';
import { ntkStage, registerKrr } from '@tangent/ntk';
import { pcaStage } from '@tangent/pca';
import { textStage } from '@tangent/text';
import type { StageDefinition } from '@tangent/contracts';
import { stageCommand, type CommandExtension } from '../stage-command.ts';

/** The pipeline stages in order; each becomes `tangent <name>` (shown in this order in --help). */
export const pipelineStages: Array<[StageDefinition<never>, CommandExtension?]> = [
  [textStage as StageDefinition<never>],
  [embedStage as StageDefinition<never>, embedCli as CommandExtension],
  [pcaStage as StageDefinition<never>],
  [ntkStage as StageDefinition<never>],
  [mlpStage as StageDefinition<never>],
  [mlpSubmitStage as StageDefinition<never>],
  [analysisStage as StageDefinition<never>],
  [submissionsStage as StageDefinition<never>],
];

export function registerAll(program: Command): void {
  for (const [def, ext] of pipelineStages) stageCommand(program, def, ext);
  experiment(program);
  registerKrr(program);
}
