// `npm start [-- -c <profile>] [-- <more nx flags>]`: run every stage instance of a manifest profile
// through Nx (cached, in dependency order): nx run-many -t run -p tag:profile:<profile>.
import { spawn } from 'node:child_process';
import { register } from 'tsx/esm/api';
import { startCacheServer } from './cache-server.mjs';

const args = process.argv.slice(2);
let profile = 'default';
const rest = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '-c' || a === '--configuration' || a === '--profile') profile = args[++i];
  else if (a.startsWith('--configuration=') || a.startsWith('--profile=')) profile = a.slice(a.indexOf('=') + 1);
  else rest.push(a);
}
if (!profile || !/^[A-Za-z0-9._-]+$/.test(profile)) {
  process.stderr.write(`error: -c needs a profile name from configs/pipeline.yaml (e.g. -c quick)\n`);
  process.exit(1);
}
const nx = ['nx', 'run-many', '-t', 'run', '-p', `tag:profile:${profile}`, '--output-style=stream-without-prefixes', ...rest];
// TANGENT_SHARED_CACHE=<dir>: share task results with every clone pointed at the same directory.
const env = { ...process.env };
let server = null;
if (process.env.TANGENT_SHARED_CACHE) {
  const s = await startCacheServer(process.env.TANGENT_SHARED_CACHE);
  server = s.server;
  env.NX_SELF_HOSTED_REMOTE_CACHE_SERVER = s.url;
}
const status = await new Promise((ok) => spawn('npx', nx, { stdio: 'inherit', env }).on('exit', (code) => ok(code ?? 1)));
server?.close();
if (status === 0) {
  // the profile's own folders (a profile that differs from the default writes `analysis@<profile>`)
  register();
  const c = await import(new URL('../packages/contracts/src/index.ts', import.meta.url).href);
  const inst = c.pipelineInstances(c.loadManifest(undefined, profile));
  const dir = (stage) => inst.find((i) => i.stage === stage)?.dir;
  // a profile without the Kaggle dataset makes no submissions
  const subs = dir('submissions') ? `, submissions in data/${dir('submissions')}/` : '';
  process.stdout.write(`\nprofile ${profile}: done; report in data/${dir('analysis') ?? 'analysis'}/${subs}\n`);
}
process.exit(status);
