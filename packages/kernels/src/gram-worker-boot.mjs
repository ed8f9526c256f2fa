// A worker of the parallel Gram. A WebAssembly pass (relu-gram-passes.ts: SimdPass) is plain data
// and runs here directly: loading TypeScript would cost a worker ~0.3 s of CPU, taken from the BLAS
// threads that compute the inner products meanwhile. The JavaScript passes need the TypeScript
// worker (gram-worker.ts): packed (dist/), the compiled one next to this file; from sources, tsx.
// drain() and the instance cache mirror gram-worker.ts and relu-gram-passes.ts.
import { existsSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

const instances = new WeakMap();

function drainSimd({ task, chunks, counter }) {
  let ex = instances.get(task.gram.memory);
  if (!ex)
    instances.set(task.gram.memory, (ex = new WebAssembly.Instance(task.gram.module, { env: { memory: task.gram.memory } }).exports));
  for (let c = Atomics.add(counter, 0, 1); c < chunks.length; c = Atomics.add(counter, 0, 1)) {
    ex[task.fn](...task.head, chunks[c][0], chunks[c][1], ...task.tail);
    Atomics.add(counter, 1, chunks[c][1] - chunks[c][0]);
    Atomics.notify(counter, 1);
  }
}

let typescriptWorker; // gram-worker.ts's drain, loaded once, on the first JavaScript pass
async function loadTypescriptWorker() {
  const built = new URL('./gram-worker.js', import.meta.url);
  if (existsSync(built)) return (await import(built.href)).drain;
  const { register } = await import('tsx/esm/api');
  register();
  return (await import('./gram-worker.ts')).drain;
}

// The main thread follows the shared counters, so nothing is posted back.
parentPort.on('message', async (job) => {
  if (job.task.pass === 'simd') drainSimd(job);
  else (await (typescriptWorker ??= loadTypescriptWorker()))(job);
});
