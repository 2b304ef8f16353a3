// E3 (research/efa-srd.md §6): goodput and tail under random loss. One connection, then 8 parallel connections
// (a permutation leaf A → leaf B), each a closed loop of 64 KiB messages (8 outstanding, 512 KiB: with 4 the loop itself
// capped goodput at ~88% by Little's law, since a message's latency is its own serialisation plus an RTT). Message
// latency is post → completion, so it includes the wait behind the other 7 messages of the loop. Loss is i.i.d. on every link, with the per-link probability chosen so that a
// packet crossing the 4 links of a cross-leaf path is lost with probability p (the research's "1% loss" is per
// packet: 7.7% of 64 KiB messages lose one of their 8 packets).
import { PS_PER_MS, PS_PER_US, type Ps } from '../contracts.ts';
import { buildWorld, fabricConfig, permutation, runUntil, type ExperimentOptions, type ExperimentWorld } from './harness.ts';
import { percentile, round } from './stats.ts';
import type { ExperimentResult } from './types.ts';
import { closedLoop, newLog, type Pair } from './workload.ts';

export interface E3Sizing {
  readonly lossProbability: number;
  readonly warmupPs: Ps;
  readonly durationPs: Ps;
  readonly messageBytes: number;
  readonly outstanding: number;
}

export const E3_SIZING: E3Sizing = { lossProbability: 0.01, warmupPs: 100 * PS_PER_US, durationPs: 1 * PS_PER_MS, messageBytes: 64 * 1024, outstanding: 8 };

const HOSTS_PER_LEAF = 8;
const DRAIN_VIRTUAL_PS_MAX = 5_000 * PS_PER_MS;

interface Part {
  readonly goodputFraction: number;
  readonly latenciesUs: number[];
  readonly errors: number;
  readonly events: number;
  readonly virtualPs: number;
  readonly retransmissions: number;
  readonly digest: string;
}

export function runE3(options: ExperimentOptions, sizing: E3Sizing = E3_SIZING): ExperimentResult {
  const single = runPart(options, sizing, 0, 'single');
  const parallel = runPart(options, sizing, 1, 'parallel');
  const latencies = [...single.latenciesUs, ...parallel.latenciesUs];
  const metrics = {
    lossProbability: sizing.lossProbability,
    goodputFraction: round(Math.min(single.goodputFraction, parallel.goodputFraction)),
    goodputFractionSingle: round(single.goodputFraction),
    goodputFractionParallel: round(parallel.goodputFraction),
    messages: latencies.length,
    latencyP50Us: round(percentile(latencies, 0.5), 3),
    latencyP99Us: round(percentile(latencies, 0.99), 3),
    latencyP999Us: round(percentile(latencies, 0.999), 3),
    latencyMaxUs: round(percentile(latencies, 1), 3),
    retransmissions: single.retransmissions + parallel.retransmissions,
    appErrors: single.errors + parallel.errors,
  };
  return {
    experiment: 'E3',
    transport: options.transport,
    encrypt: options.encrypt,
    seed: options.seed,
    metrics,
    series: { samples: latencies },
    events: single.events + parallel.events,
    virtualPs: single.virtualPs + parallel.virtualPs,
    digest: `${single.digest}.${parallel.digest}`,
  };
}

function runPart(options: ExperimentOptions, sizing: E3Sizing, index: number, name: string): Part {
  const world = buildWorld(fabricConfig(options.seed * 16 + index), options);
  const { fabric, transports } = world;
  const pairs: Pair[] =
    name === 'single' ? [{ src: 0, dst: HOSTS_PER_LEAF }] : permutation(fabric, HOSTS_PER_LEAF, 'e3/permutation').map((p, i) => ({ src: i, dst: HOSTS_PER_LEAF + p }));
  applyGlobalLoss(world, sizing.lossProbability, fabric.route(pairs[0]!.src, pairs[0]!.dst, 0).length);
  const stopPs = sizing.warmupPs + sizing.durationPs;
  let deliveredBytes = 0;
  for (const pair of pairs) {
    transports[pair.dst]!.onDeliver((segment) => {
      if (segment.atPs >= sizing.warmupPs && segment.atPs < stopPs) deliveredBytes += segment.length;
    });
  }
  const log = newLog(pairs.length);
  log.fromPs = sizing.warmupPs;
  const drained = closedLoop(world, pairs, sizing.messageBytes, sizing.outstanding, stopPs, log);
  const events = runUntil(fabric, drained, stopPs + DRAIN_VIRTUAL_PS_MAX, `E3 ${options.transport} ${name}`, options.onProgress);
  const capacityBytes = (fabric.config.linkGbps * 1e9 * (sizing.durationPs / 1e12) * pairs.length) / 8;
  let retransmissions = 0;
  for (const pair of pairs) retransmissions += transports[pair.src]!.stats()['retransmissions'] ?? 0;
  return {
    goodputFraction: deliveredBytes / capacityBytes,
    latenciesUs: log.latenciesPs.map((l) => l / PS_PER_US),
    errors: log.errors + (log.posted - log.completed),
    events,
    virtualPs: fabric.now,
    retransmissions,
    digest: fabric.digest(),
  };
}

/** i.i.d. loss on every link, per-link probability q with 1 − (1 − q)^hops = p. */
function applyGlobalLoss(world: ExperimentWorld, p: number, hops: number): void {
  if (p <= 0) return;
  const q = 1 - Math.pow(1 - p, 1 / hops);
  for (const link of world.fabric.links()) world.fabric.fault(link.id, 0, { kind: 'loss', probability: q });
}
