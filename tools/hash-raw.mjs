// Nx runtime input: prints the sizes and mtimes of the raw files a stage reads from
// TANGENT_DATA_DIR, so the cache notices new data that lives outside the workspace.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(process.env.TANGENT_DATA_DIR ?? 'data/raw');
const sub = process.argv[2] ?? '';
const out = [];
for (const dir of [join(root, sub), root]) {
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    const s = statSync(p);
    if (s.isFile()) out.push(`${p}:${s.size}:${s.mtimeMs}`);
  }
}
console.log(out.join('\n') || `missing:${root}`);
