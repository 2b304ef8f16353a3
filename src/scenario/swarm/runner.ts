import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { EmuError } from '../../errors.ts';
import { DEFENCE_NAMES, type WorldDefences } from '../../world/index.ts';
import { buildReport, shardSeeds, type SeedRange, type SwarmReport } from './report.ts';
import { runSeed, type SeedResult } from './run-seed.ts';
import type { FromWorker, ToWorker, WorkerSetup } from './worker-protocol.ts';

export interface SwarmOptions {
  readonly seeds: number;
  readonly start?: number;
  /** [k, n]: this run takes the seeds with (seed - start) % n == k - 1. Default [1, 1]. */
  readonly shard?: readonly [number, number];
  /** Defences switched off in every run (a negative control: the swarm must then report violations). */
  readonly defencesOff?: ReadonlyArray<keyof WorldDefences>;
  readonly epochMs?: number;
  /** Worker threads; 0 runs in this thread. Default: 2 when this shard has WORKERS_FROM_RUNS seeds or more. */
  readonly workers?: number;
  /** Called once per finished seed, in completion order (workers finish out of seed order). */
  readonly onProgress?: (done: number, total: number, result: SeedResult) => void;
}

/** Below this many runs, starting threads (each loads the sources through tsx) costs more than it saves. */
export const WORKERS_FROM_RUNS = 16;
export const WORKERS_MAX = 8;

export interface SwarmRun {
  readonly report: SwarmReport;
  /** Per-seed results ordered by seed. */
  readonly results: readonly SeedResult[];
}

/** Runs the seeds of one shard and builds the report; results are ordered by seed however they ran. */
export async function runSwarm(options: SwarmOptions): Promise<SwarmRun> {
  const [shardIndex, shardCount] = options.shard ?? [1, 1];
  const range: SeedRange = { start: options.start ?? 0, seeds: options.seeds, shardIndex, shardCount };
  const seeds = shardSeeds(range);
  const defencesOff = [...new Set(options.defencesOff ?? [])].sort();
  for (const name of defencesOff) {
    if (!(DEFENCE_NAMES as readonly string[]).includes(name)) throw new EmuError('SWARM_BAD_DEFENCE', `unknown defence ${JSON.stringify(name)}`);
  }
  const setup: WorkerSetup = { defences: Object.fromEntries(defencesOff.map((d) => [d, false])), epochMs: options.epochMs };
  const workers = Math.min(options.workers ?? (seeds.length >= WORKERS_FROM_RUNS ? 2 : 0), WORKERS_MAX, seeds.length);
  const results: SeedResult[] = [];
  const progress = (result: SeedResult) => {
    results.push(result);
    options.onProgress?.(results.length, seeds.length, result);
  };
  if (workers <= 0) {
    for (const seed of seeds) {
      progress(await runSeed(seed, { defences: setup.defences, ...(setup.epochMs !== undefined ? { epochMs: setup.epochMs } : {}) }));
    }
  } else {
    await runInWorkers(seeds, workers, setup, progress);
  }
  results.sort((a, b) => a.seed - b.seed);
  return { report: buildReport(range, defencesOff, results), results };
}

/**
 * The worker's first script: register tsx's loader in the thread, then import the TypeScript worker.
 * (`execArgv: ['--import', 'tsx']` does not reach a worker's entry on Node 20: it fails with "Unknown
 * file extension .ts".) The loader is tsx's ESM API, found next to the CommonJS entry `require` resolves.
 */
function workerBootstrap(): string {
  const api = createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs');
  if (!existsSync(api)) throw new EmuError('SWARM_NO_LOADER', `cannot find tsx's ESM API at ${api} for the worker threads`);
  const worker = new URL('./worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(pathToFileURL(api).href)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(worker)}); });`;
}

/** Hands seeds out one at a time to each idle worker until none are left. */
function runInWorkers(seeds: readonly number[], count: number, setup: WorkerSetup, onResult: (result: SeedResult) => void): Promise<void> {
  const queue = [...seeds];
  let outstanding = seeds.length;
  const threads: Worker[] = [];
  return new Promise<void>((resolve, reject) => {
    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      for (const thread of threads) void thread.terminate();
      reject(error);
    };
    const stopped = new Set<Worker>();
    const feed = (thread: Worker) => {
      const seed = queue.shift();
      if (seed === undefined) stopped.add(thread);
      thread.postMessage((seed === undefined ? { type: 'stop' } : { type: 'seed', seed }) satisfies ToWorker);
    };
    for (let i = 0; i < count; i++) {
      const thread = new Worker(workerBootstrap(), { eval: true, workerData: setup });
      threads.push(thread);
      thread.on('message', (message: FromWorker) => {
        if (failed) return;
        if (message.type === 'error') {
          fail(new EmuError('SWARM_WORKER_FAILED', `seed ${message.seed}: ${message.message}`, { seed: message.seed }));
          return;
        }
        if (message.type === 'result') {
          onResult(message.result);
          outstanding--;
          if (outstanding === 0) {
            for (const t of threads) t.postMessage({ type: 'stop' } satisfies ToWorker);
            resolve();
            return;
          }
        }
        feed(thread);
      });
      thread.on('error', (error) => fail(new EmuError('SWARM_WORKER_FAILED', `worker thread: ${error.message}`)));
      thread.on('exit', (code) => {
        // A thread told to stop (nothing left to hand it) may exit while the other finishes its seed.
        if (outstanding > 0 && !failed && !stopped.has(thread)) fail(new EmuError('SWARM_WORKER_FAILED', `a worker thread exited (code ${code}) with ${outstanding} seeds outstanding`));
      });
    }
  });
}
