// `npm start [-- -c <profile>] [-- <more nx flags>]`: run every stage instance of a manifest profile
// through Nx (cached, in dependency order): nx run-many -t run -p tag:profile:<profile>.
import { spawnSync } from 'node:child_process';

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
const r = spawnSync('npx', nx, { stdio: 'inherit' });
if (r.status === 0) process.stdout.write(`\nprofile ${profile}: done; report in data/analysis/, submissions in data/submissions/\n`);
process.exit(r.status ?? 1);
