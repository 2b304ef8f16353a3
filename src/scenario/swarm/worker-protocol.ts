import type { WorldDefences } from '../../world/index.ts';
import type { SeedResult } from './run-seed.ts';

/** What a swarm worker is started with (structured-cloned). */
export interface WorkerSetup {
  readonly defences: Partial<WorldDefences>;
  readonly epochMs: number | undefined;
}

export type ToWorker = { readonly type: 'seed'; readonly seed: number } | { readonly type: 'stop' };

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly result: SeedResult }
  | { readonly type: 'error'; readonly seed: number; readonly message: string };
