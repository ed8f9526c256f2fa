import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { TangentError } from '@tangent/base';

// --debug (anywhere on the command line) or TANGENT_DEBUG=1: print stack traces on errors.
const debug = process.argv.includes('--debug') || process.env.TANGENT_DEBUG === '1';
process.argv = process.argv.filter((a) => a !== '--debug');

const FS_CODES: Record<string, string> = {
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ENOENT: 'no such file or directory',
  EEXIST: 'already exists',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many symbolic links',
};

/** A path as the user would type it: relative to the working directory when inside it. */
function show(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}

/** The environment variable that decides where `p` lives, if any. */
function envFor(p: string): string | null {
  const abs = resolve(p);
  const roots: Array<[string, string]> = [
    ['TANGENT_ARTIFACTS_DIR', resolve(process.env.TANGENT_ARTIFACTS_DIR ?? 'data')],
    ['TANGENT_DATA_DIR', resolve(process.env.TANGENT_DATA_DIR ?? 'data/raw')],
  ];
  if (process.env.TANGENT_MODELS_DIR) roots.push(['TANGENT_MODELS_DIR', resolve(process.env.TANGENT_MODELS_DIR)]);
  // The most specific root wins (data/raw is inside data).
  roots.sort((a, b) => b[1].length - a[1].length);
  for (const [name, root] of roots) if (abs === root || abs.startsWith(`${root}/`)) return name;
  return null;
}

/** One line for a filesystem error: the path, what went wrong, the code, what to check. */
function fsErrorLine(e: NodeJS.ErrnoException): string {
  const code = e.code!;
  const path = e.path ?? (e as { dest?: string }).dest ?? '';
  let what = FS_CODES[code] ?? (e.message.split('\n')[0].replace(/^[A-Z]+: /, '') || 'filesystem error');
  let shown = path;
  // ENOTDIR, or EEXIST from mkdir: a regular file stands where a folder is needed; name that file.
  let file: string | null = null;
  if (path && (code === 'ENOTDIR' || (code === 'EEXIST' && e.syscall === 'mkdir')))
    for (let p = resolve(path); p !== dirname(p); p = dirname(p))
      if (existsSync(p)) {
        if (!statSync(p).isDirectory()) file = p;
        break;
      }
  if (file) ((what = 'a regular file where a directory is needed'), (shown = file));
  const env = path ? envFor(path) : null;
  const fix =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'free some disk space and rerun'
      : file
        ? `move or delete that file${env ? `, or check ${env}` : ''}`
        : env
          ? `check ${env}`
          : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
            ? 'check the permissions of that path'
            : 'check that path';
  // Without a path (a library that did not name its file), at least the operation that failed.
  return shown ? `${show(shown)}: ${what} (${code}); ${fix}` : `${what} (${code}${e.syscall ? ` in ${e.syscall}` : ''}); ${fix}`;
}

/** Every failure ends here: one line `error: ...` on stderr (plus the stack with --debug), exit 1. */
function report(e: unknown): never {
  const err = e instanceof Error ? e : new Error(String(e));
  // By name too: a TangentError from another copy of the module is still a user error.
  const isUserError = err instanceof TangentError || err.name === 'TangentError';
  let line: string;
  if (isUserError) line = err.message;
  else if (typeof (err as NodeJS.ErrnoException).code === 'string' && /^E[A-Z]+$/.test((err as NodeJS.ErrnoException).code!))
    line = fsErrorLine(err as NodeJS.ErrnoException);
  else line = `${err.name === 'Error' ? 'internal error' : err.name}: ${err.message}`;
  line = line.replace(/\s*\n\s*/g, ' ');
  const more = !isUserError && !debug ? ' (rerun with --debug for the stack trace)' : '';
  process.stderr.write(`error: ${line}${more}\n`);
  if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
}

process.on('uncaughtException', report);
process.on('unhandledRejection', report);

try {
  const program = new Command('tangent')
    .description('NTK vs finite-width networks: pipeline stages and experiments')
    .option('--debug', 'print the stack trace of an error (also TANGENT_DEBUG=1)')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: false });
  // Imported here, not at the top, so that an error while loading a stage is reported too.
  const { registerCommands } = await import('./commands/index.ts');
  const { checkEnvironmentFolders } = await import('./environment.ts');
  program.hook('preAction', () => checkEnvironmentFolders());
  await registerCommands(program, process.argv[2]);
  await program.parseAsync(process.argv);
} catch (e) {
  report(e);
}
