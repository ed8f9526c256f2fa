import type { Command } from 'commander';

/** One module per stage; each adds its subcommand. Order is the order shown in --help. */
export const commands: Array<(program: Command) => void> = [];
