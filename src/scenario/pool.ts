import { Worker } from 'node:worker_threads';
import { EmuError } from '../errors.ts';
import type { ScenarioResult } from './runner.ts';

export interface PoolTask {
  readonly index: number;
  readonly id: string;
  readonly seed: number;
}

export type PoolReply = { readonly index: number; readonly result: ScenarioResult } | { readonly index: number; readonly error: string };

export const POOL_WORKERS_DEFAULT = 2;
const POOL_WORKERS_MAX = 64;

/**
 * Runs catalogue scenarios (by id) on worker threads, each taking the next scenario as it finishes
 * one. Results come back in the order of `ids` whichever worker finished first, so the output is the
 * same as a sequential run's.
 */
export async function runCatalogueInPool(
  ids: readonly string[],
  options: { readonly seed: number; readonly workers?: number; readonly onResult?: (result: ScenarioResult, done: number) => void },
): Promise<ScenarioResult[]> {
  const workerCount = Math.max(1, Math.min(options.workers ?? POOL_WORKERS_DEFAULT, POOL_WORKERS_MAX, ids.length));
  const results: (ScenarioResult | undefined)[] = ids.map(() => undefined);
  let next = 0;
  let done = 0;
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: workerCount }, () => {
        const worker = new Worker(new URL('./pool-worker.mjs', import.meta.url));
        workers.push(worker);
        return new Promise<void>((resolve, reject) => {
          const feed = () => {
            if (next >= ids.length) {
              resolve();
              return;
            }
            const index = next++;
            worker.postMessage({ index, id: ids[index] as string, seed: options.seed } satisfies PoolTask);
          };
          worker.on('message', (reply: PoolReply) => {
            if ('error' in reply) {
              reject(new EmuError('SCENARIO_WORKER_FAILED', `scenario ${ids[reply.index]} failed in a worker: ${reply.error}`));
              return;
            }
            results[reply.index] = reply.result;
            options.onResult?.(reply.result, ++done);
            feed();
          });
          worker.on('error', (error) => reject(new EmuError('SCENARIO_WORKER_FAILED', `a scenario worker died: ${error.message}`)));
          worker.on('exit', (code) => {
            if (next < ids.length || results.includes(undefined)) reject(new EmuError('SCENARIO_WORKER_FAILED', `a scenario worker exited (code ${code})`));
          });
          feed();
        });
      }),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results.map((r, i) => {
    if (r === undefined) throw new EmuError('SCENARIO_WORKER_FAILED', `no result for ${ids[i]}`);
    return r;
  });
}
