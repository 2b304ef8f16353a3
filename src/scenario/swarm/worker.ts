/**
 * A swarm worker thread: takes one seed at a time from the main thread (so a slow seed never idles the
 * other core), runs it, and posts the result. Started by `runSwarm` with tsx's loader in its execArgv.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runSeed } from './run-seed.ts';
import type { ToWorker, FromWorker, WorkerSetup } from './worker-protocol.ts';

const port = parentPort;
if (port === null) throw new Error('the swarm worker must run in a worker thread');
const setup = workerData as WorkerSetup;
const post = (message: FromWorker) => port.postMessage(message);

port.on('message', (message: ToWorker) => {
  if (message.type === 'stop') {
    port.close();
    return;
  }
  runSeed(message.seed, { defences: setup.defences, ...(setup.epochMs !== undefined ? { epochMs: setup.epochMs } : {}) }).then(
    (result) => post({ type: 'result', result }),
    (error: unknown) => post({ type: 'error', seed: message.seed, message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
  );
});
post({ type: 'ready' });
