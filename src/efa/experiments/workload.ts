// Traffic the experiments offer: one-shot flows and closed loops of messages, with completions recorded.
import type { HostId, Ps, TransferCompletion } from '../contracts.ts';
import type { ExperimentWorld } from './harness.ts';

export interface Pair {
  readonly src: HostId;
  readonly dst: HostId;
}

export interface CompletionLog {
  /** Completion time minus post time, per successful message, in ps. */
  readonly latenciesPs: number[];
  /** Per pair index: the last completion time. */
  readonly lastCompletedPs: number[];
  errors: number;
  completed: number;
  posted: number;
  /** Latencies of messages posted before this time are not recorded (warm-up). */
  fromPs: number;
}

export function newLog(pairs: number): CompletionLog {
  return { latenciesPs: [], lastCompletedPs: new Array<number>(pairs).fill(0), errors: 0, completed: 0, posted: 0, fromPs: 0 };
}

/** Message ids are unique per run: pair index in the high part, a counter in the low part. */
const IDS_PER_PAIR = 1 << 24;

/** Posts one message of `bytes` on every pair now. */
export function postFlows(world: ExperimentWorld, pairs: readonly Pair[], bytes: number, log: CompletionLog): void {
  pairs.forEach((pair, i) => {
    log.posted++;
    world.transports[pair.src]!.post({ id: i * IDS_PER_PAIR, dst: pair.dst, bytes, onComplete: (c) => record(log, i, c) });
  });
}

/**
 * Keeps `outstanding` messages of `bytes` in flight on every pair (a new one is posted when one completes) until
 * `stopPs`; then lets the last ones finish. Returns a predicate that is true once every loop has drained.
 */
export function closedLoop(world: ExperimentWorld, pairs: readonly Pair[], bytes: number, outstanding: number, stopPs: Ps, log: CompletionLog): () => boolean {
  const { fabric } = world;
  let inFlight = 0;
  pairs.forEach((pair, i) => {
    let counter = 0;
    const post = (): void => {
      inFlight++;
      log.posted++;
      const id = i * IDS_PER_PAIR + (counter++ % IDS_PER_PAIR);
      world.transports[pair.src]!.post({
        id,
        dst: pair.dst,
        bytes,
        onComplete: (c) => {
          inFlight--;
          record(log, i, c);
          if (fabric.now < stopPs) post();
        },
      });
    };
    for (let k = 0; k < outstanding; k++) post();
  });
  return () => inFlight === 0;
}

function record(log: CompletionLog, pairIndex: number, completion: TransferCompletion): void {
  log.completed++;
  if (!completion.ok) {
    log.errors++;
    return;
  }
  if (completion.postedPs >= log.fromPs) log.latenciesPs.push(completion.completedPs - completion.postedPs);
  log.lastCompletedPs[pairIndex] = Math.max(log.lastCompletedPs[pairIndex]!, completion.completedPs);
}
