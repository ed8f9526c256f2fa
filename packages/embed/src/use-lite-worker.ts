import { parentPort, workerData } from 'node:worker_threads';
import { loadUseLiteGraph } from './use-lite.ts';
import { UseLiteGraph } from './use-lite-graph.ts';

// One USE-lite engine per worker thread; replies carry the request id and transfer the vector buffer.
const graph = loadUseLiteGraph((workerData as { dir: string }).dir);

parentPort!.on('message', async (msg: { id: number; ready?: boolean; batch?: number[][] }) => {
  try {
    const g = await graph;
    if (msg.ready) {
      parentPort!.postMessage({ id: msg.id, settings: UseLiteGraph.settings() });
      return;
    }
    const data = await g.run(msg.batch!);
    parentPort!.postMessage({ id: msg.id, data }, [data.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: (e as Error).message });
  }
});
