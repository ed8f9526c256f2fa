/**
 * The pipeline subcommands are generated from the stage definitions: `tangent <stage>` runs every
 * instance of that stage in a manifest profile, or one with `--key`; each instance publishes its
 * folder in one commit. Nx calls it as `tangent <stage> --key <key> --expect <identity>`.
 */
import type { Command } from 'commander';
import {
  DEFAULT_PROFILE,
  MANIFEST_PATH,
  applySets,
  pipelineInstances,
  readManifestFile,
  resolveManifest,
  runInstance,
  selectInstances,
  type StageDefinition,
} from '@tangent/contracts';

/** Extra flags and a mode of their own for a stage's command (e.g. embed's CSV mode). */
export interface CommandExtension {
  configure(cmd: Command): void;
  /** Return true when the options selected the extension's own mode and it ran. */
  run(opts: never): Promise<boolean>;
}

interface PipelineOptions {
  manifest: string;
  profile: string;
  key?: string;
  expect?: string;
  set: string[];
}

export function stageCommand(program: Command, def: StageDefinition<never>, ext?: CommandExtension): Command {
  const cmd = program
    .command(def.name)
    .description(def.description)
    .option('--manifest <file>', 'the pipeline manifest', MANIFEST_PATH)
    .option('-p, --profile <name>', 'manifest profile', DEFAULT_PROFILE)
    .option('-k, --key <key>', 'run one instance (e.g. use-lite-d128); default: every instance of this stage in the profile')
    .option('--expect <identity>', "refuse to run unless the instance's identity starts with this (set by the Nx tasks)")
    .option(
      '--set <path=value>',
      'override a manifest field, e.g. --set ntk.folds=3 (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    );
  ext?.configure(cmd);
  cmd.addHelpText(
    'after',
    `\nOutputs of one instance: ${def.outputs.join(', ')} in its folder under $TANGENT_ARTIFACTS_DIR (default data).`,
  );
  cmd.action(async (opts: PipelineOptions) => {
    if (ext && (await ext.run(opts as never))) return;
    const raw = applySets(readManifestFile(opts.manifest), opts.set);
    const m = resolveManifest(raw, opts.profile, opts.set.length ? `${opts.manifest} (with --set)` : opts.manifest);
    const instances = pipelineInstances(m);
    for (const inst of selectInstances(instances, def.name, { key: opts.key, expect: opts.expect, source: m.source })) {
      const r = await runInstance(def, m, instances, inst);
      process.stdout.write(r.summary ? `${r.summary}\n` : `${def.name}${inst.key ? ` ${inst.key}` : ''}: ${r.outDir}\n`);
    }
  });
  return cmd;
}
