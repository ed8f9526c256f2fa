// Worker entry: workers do not inherit the parent's tsx loader, so register it here (as
// apps/cli/bin/tangent.mjs does) before loading the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./use-lite-worker.ts');
