import type { Command } from 'commander';
import { register as text } from '@tangent/text/cli';
import { register as embed } from '@tangent/embed/cli';
import { register as pca } from '@tangent/pca/cli';
import { register as ntk } from '@tangent/ntk/cli';
import { register as mlp } from '@tangent/mlp/cli';
import { register as analysis } from '@tangent/analysis/cli';
import { register as hybrid } from '@tangent/hybrid/cli';
import { register as krr } from '@tangent/ntk/large-scale-cli';

/** One module per stage; each adds its subcommand. Order is the order shown in --help. */
export const commands: Array<(program: Command) => void> = [text, embed, pca, ntk, mlp, analysis, hybrid, krr];
