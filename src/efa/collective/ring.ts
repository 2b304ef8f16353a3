// Ring all-reduce (sum) of a Float32Array over efa endpoints: N−1 reduce-scatter steps then N−1 all-gather steps,
// each a tagged send to the right neighbour and a directed tagged receive from the left (research/efa-srd.md
// §2.3's "collectives net plugin" role). A step ends when both its send and its receive completed; progress is
// driven by the CQ's wait handler, so the whole collective is events on the fabric's clock.
import { EmuError } from '../../errors.ts';
import type { HostId, Ps } from '../contracts.ts';
import type { CqErrEntry, Domain, Endpoint, EndpointOptions } from '../api/index.ts';
import { ringChunks, type ChunkRange } from './reference.ts';

export interface RingAllReduceOptions {
  readonly domain: Domain;
  /** Rank r runs on hosts[r] (distinct endpoints; hosts may repeat). */
  readonly hosts: readonly HostId[];
  readonly inputs: readonly Float32Array[];
  /** Upper 32 bits of every tag: separates concurrent collectives on the same endpoints. */
  readonly collectiveId?: number;
  /** Extra endpoint options for every rank (e.g. ctsWindowBytes); host and mode are the ring's. */
  readonly endpointOptions?: Omit<EndpointOptions, 'host' | 'mode'>;
  /** Observer: rank `rank` finished step `step` (0 … 2(N−1)−1) at `atPs`. */
  readonly onStep?: (rank: number, step: number, atPs: Ps) => void;
}

export interface RankReport {
  readonly rank: number;
  readonly host: HostId;
  /** Payload bytes this rank sent and received (float32 data only; wire overhead is in the transports' stats). */
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly messagesSent: number;
  /** Virtual time this rank applied its last step. */
  readonly completedPs: Ps;
}

export interface AllReduceResult {
  readonly outputs: Float32Array[];
  readonly ranks: RankReport[];
  readonly startPs: Ps;
  readonly completionPs: Ps;
  readonly durationPs: Ps;
}

export const RING_RANKS_MAX = 1024;
export const RING_ELEMENTS_MAX = 1 << 26;

interface StepContext {
  readonly rank: number;
  readonly step: number;
  readonly kind: 'send' | 'recv';
}

class Rank {
  readonly work: Float32Array;
  readonly endpoint: Endpoint;
  readonly scratch: Uint8Array[] = [];
  readonly sendDone: boolean[] = [];
  readonly recvDone: boolean[] = [];
  step = 0;
  bytesSent = 0;
  bytesReceived = 0;
  messagesSent = 0;
  completedPs = -1;
  right = -1;
  left = -1;

  constructor(readonly rank: number, readonly host: HostId, input: Float32Array, endpoint: Endpoint) {
    this.work = Float32Array.from(input);
    this.endpoint = endpoint;
  }
}

export interface RingAllReduce {
  readonly done: boolean;
  readonly error: EmuError | undefined;
  /** The outputs and per-rank reports; throws COLLECTIVE_FAILED / COLLECTIVE_INCOMPLETE otherwise. */
  result(): AllReduceResult;
}

export function startRingAllReduce(options: RingAllReduceOptions): RingAllReduce {
  const { domain, hosts, inputs } = options;
  const n = hosts.length;
  if (n < 1 || n > RING_RANKS_MAX || inputs.length !== n) {
    throw new EmuError('COLLECTIVE_BAD_INPUT', `1..${RING_RANKS_MAX} ranks, one input each`, { ranks: n, inputs: inputs.length });
  }
  const length = inputs[0]!.length;
  if (length > RING_ELEMENTS_MAX || inputs.some((x) => !(x instanceof Float32Array) || x.length !== length)) {
    throw new EmuError('COLLECTIVE_BAD_INPUT', 'inputs must be Float32Arrays of one bounded length', { length });
  }
  const collectiveId = options.collectiveId ?? 0;
  const fabric = domain.fabric;
  const steps = 2 * (n - 1);
  const chunks = ringChunks(length, n);
  const startPs = fabric.now;
  const ranks = hosts.map((host, r) => new Rank(r, host, inputs[r]!,
    domain.endpoint({
      ...options.endpointOptions, host, mode: 'efa',
      rxSize: Math.max(16, steps + 1, options.endpointOptions?.rxSize ?? 0),
      txSize: Math.max(16, steps + 1, options.endpointOptions?.txSize ?? 0),
    })));
  let error: EmuError | undefined;
  let finished = n === 1 ? 1 : 0;
  if (n === 1) ranks[0]!.completedPs = startPs;

  const tagOf = (step: number): bigint => (BigInt(collectiveId >>> 0) << 32n) | BigInt(step);
  const sendChunk = (r: number, k: number): number => ((k < n - 1 ? r - k : r + 1 - (k - (n - 1))) + n * 2) % n;
  const recvChunk = (r: number, k: number): number => (sendChunk(r, k) - 1 + n) % n;
  const bytesOf = (chunk: ChunkRange): number => (chunk.end - chunk.start) * 4;

  for (const rank of ranks) {
    rank.right = rank.endpoint.av.insert(ranks[(rank.rank + 1) % n]!.endpoint.getname());
    rank.left = rank.endpoint.av.insert(ranks[(rank.rank - 1 + n) % n]!.endpoint.getname());
  }
  for (const rank of ranks) {
    if (n === 1) break;
    for (let k = 0; k < steps; k++) {
      const buf = new Uint8Array(bytesOf(chunks[recvChunk(rank.rank, k)]!));
      rank.scratch.push(buf);
      const context: StepContext = { rank: rank.rank, step: k, kind: 'recv' };
      if (rank.endpoint.trecv(buf, rank.left, tagOf(k), 0n, context) !== 0) {
        throw new EmuError('COLLECTIVE_FAILED', 'receive queue too small for the ring');
      }
    }
    rank.endpoint.cq.setWaitHandler(() => progress(rank));
  }
  for (const rank of ranks) if (n > 1) postSend(rank);

  function postSend(rank: Rank): void {
    const chunk = chunks[sendChunk(rank.rank, rank.step)]!;
    const bytes = new Uint8Array(rank.work.buffer.slice(chunk.start * 4, chunk.end * 4));
    const context: StepContext = { rank: rank.rank, step: rank.step, kind: 'send' };
    if (rank.endpoint.tsend(bytes, rank.right, tagOf(rank.step), context) !== 0) {
      fail(rank, 'send queue full (the ring never has more than one send outstanding per rank)');
      return;
    }
    rank.bytesSent += bytes.length;
    rank.messagesSent += 1;
  }

  function fail(rank: Rank, message: string, entry?: CqErrEntry): void {
    error ??= new EmuError('COLLECTIVE_FAILED', `rank ${rank.rank}: ${message}`, {
      rank: rank.rank, host: rank.host, step: rank.step, err: entry?.err,
    });
  }

  function progress(rank: Rank): void {
    for (let entry = rank.endpoint.cq.readerr(); entry !== undefined; entry = rank.endpoint.cq.readerr()) {
      fail(rank, `${entry.err}: ${entry.message}`, entry);
    }
    for (let batch = rank.endpoint.cq.read(64); batch.length > 0; batch = rank.endpoint.cq.read(64)) {
      for (const entry of batch) {
        const context = entry.op_context as StepContext;
        if (context.kind === 'send') rank.sendDone[context.step] = true;
        else rank.recvDone[context.step] = true;
      }
    }
    if (error !== undefined) return;
    while (rank.step < steps && rank.sendDone[rank.step] === true && rank.recvDone[rank.step] === true) {
      apply(rank, rank.step);
      options.onStep?.(rank.rank, rank.step, fabric.now);
      rank.step += 1;
      if (rank.step < steps) {
        postSend(rank);
      } else {
        rank.completedPs = fabric.now;
        finished += 1;
      }
    }
  }

  function apply(rank: Rank, k: number): void {
    const chunk = chunks[recvChunk(rank.rank, k)]!;
    const scratch = rank.scratch[k]!;
    rank.bytesReceived += scratch.length;
    const incoming = new Float32Array(scratch.buffer, scratch.byteOffset, chunk.end - chunk.start);
    if (k < n - 1) {
      // The partial sum from the left comes first: (x_c + … + x_{r−1}) + x_r, as the reference adds.
      for (let i = 0; i < incoming.length; i++) rank.work[chunk.start + i] = incoming[i]! + rank.work[chunk.start + i]!;
    } else {
      rank.work.set(incoming, chunk.start);
    }
  }

  return {
    get done(): boolean {
      return finished === n || error !== undefined;
    },
    get error(): EmuError | undefined {
      return error;
    },
    result(): AllReduceResult {
      if (error !== undefined) throw error;
      if (finished !== n) throw new EmuError('COLLECTIVE_INCOMPLETE', `${finished} of ${n} ranks finished`);
      for (const rank of ranks) rank.endpoint.close();
      const completionPs = Math.max(...ranks.map((rank) => rank.completedPs));
      return {
        outputs: ranks.map((rank) => rank.work),
        ranks: ranks.map((rank) => ({
          rank: rank.rank, host: rank.host, bytesSent: rank.bytesSent, bytesReceived: rank.bytesReceived,
          messagesSent: rank.messagesSent, completedPs: rank.completedPs,
        })),
        startPs,
        completionPs,
        durationPs: completionPs - startPs,
      };
    },
  };
}

/** Starts the ring and runs the fabric until it finishes (bounded by `eventsMax`). */
export function runRingAllReduce(options: RingAllReduceOptions & { readonly eventsMax?: number }): AllReduceResult {
  const ring = startRingAllReduce(options);
  const eventsMax = options.eventsMax ?? 50_000_000;
  let eventsRun = 0;
  while (!ring.done && eventsRun < eventsMax) {
    const ran = options.domain.fabric.run({ eventsMax: Math.min(100_000, eventsMax - eventsRun) });
    if (ran === 0) break;
    eventsRun += ran;
  }
  return ring.result();
}
