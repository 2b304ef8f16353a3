import { parentPort } from 'node:worker_threads';
import { assert } from '../errors.ts';
import { CATALOGUE } from './catalogue/index.ts';
import { runScenario } from './runner.ts';
import type { PoolReply, PoolTask } from './pool.ts';

assert(parentPort !== null, 'pool-worker.ts runs only as a worker thread');
const port = parentPort;

// One task at a time: the pool sends the next only after this one's reply, so the queue stays in the main thread.
port.on('message', (task: PoolTask) => {
  const scenario = CATALOGUE.find((s) => s.id === task.id);
  const reply = (message: PoolReply) => port.postMessage(message);
  if (scenario === undefined) {
    reply({ index: task.index, error: `no scenario ${task.id} in the catalogue` });
    return;
  }
  runScenario(scenario, { seed: task.seed }).then(
    (result) => reply({ index: task.index, result }),
    (error: unknown) => reply({ index: task.index, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
