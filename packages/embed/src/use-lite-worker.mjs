// Worker entry: workers do not inherit the parent's loader. Packed (dist/): load the compiled
// worker next to this file; from sources: register tsx (as apps/cli/bin/tangent.mjs does), then
// load the TypeScript worker.
import { existsSync } from 'node:fs';

const built = new URL('./use-lite-worker.js', import.meta.url);
if (existsSync(built)) await import(built.href);
else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./use-lite-worker.ts');
}
