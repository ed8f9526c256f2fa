import type { Command } from 'commander';
import { fail } from '@tangent/base';
import { STAGE_NODES, type StageDefinition, type StageNode } from '@tangent/contracts';
import { stageCommand, type CommandExtension } from '../stage-command.ts';

/**
 * A stage's implementation, loaded from the package its node names. Loaded on demand: a pipeline
 * task (`tangent mlp --key …`, 38 of them in `npm start`) imports its own stage package only,
 * not every stage's dependencies (transformers.js, the charts, …).
 */
async function loadStage(node: StageNode): Promise<[StageDefinition<never>, CommandExtension?]> {
  const { package: pkg, export: name, cliExtension } = node.implementation;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pkg)) as Record<string, unknown>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(pkg))
      fail(`stage '${node.name}': its package ${pkg} is not installed; run npm install (or npm install ${pkg})`);
    throw e;
  }
  const def = mod[name] as StageDefinition<never> | undefined;
  if (!def || def.name !== node.name) throw new Error(`internal: ${pkg} exports no stage '${node.name}' as ${name}`);
  return [def, cliExtension ? (mod[cliExtension] as CommandExtension) : undefined];
}

/**
 * One `tangent <stage>` per registered stage (contracts' stage registry), in graph order, or only
 * `only`'s when it names one; then the standalone `experiment` (a hybrid config file outside the graph).
 */
export async function registerCommands(program: Command, only?: string): Promise<void> {
  const one = STAGE_NODES.find((n) => n.name === only);
  for (const node of one ? [one] : STAGE_NODES) stageCommand(program, ...(await loadStage(node)));
  if (one) return;
  (await import('@tangent/hybrid')).register(program);
}
