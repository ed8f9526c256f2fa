import { Command } from 'commander';
import { TangentError } from '@tangent/base';
import { registerAll } from './commands/index.ts';

const program = new Command('tangent')
  .description('NTK vs finite-width networks: pipeline stages and experiments')
  .showHelpAfterError()
  .configureHelp({ sortSubcommands: false });

registerAll(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof TangentError) {
    // A user-fixable problem: one line, no stack trace, non-zero exit.
    process.stderr.write(`error: ${e.message}\n`);
    process.exit(1);
  }
  throw e;
}
