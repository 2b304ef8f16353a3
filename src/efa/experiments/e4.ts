// E4 (research/efa-srd.md §6): incast N → 1. N senders spread over 8 other leaves each send 1 MiB at once to one
// receiver behind a 100 Gb/s port with a 512 KiB buffer. A leaf/spine of 9 leaves × 8 hosts (72 hosts) holds the
// receiver and 64 senders. Ideal = N · 1 MiB / line rate + base RTT. Fairness is Jain's index over the senders'
// rates in the steady middle of the job (bytes delivered from each between 25% and 75% of the ideal completion
// time: the research's "per-sender rate converges to 100/N"); `jainFairnessFct` is the index over whole-flow rates
// (bytes / own completion time), which also charges the start-up race.
import { PS_PER_MS, PS_PER_US, type TopologySpec } from '../contracts.ts';
import { baseRttPs, buildWorld, fabricConfig, idealPs, runUntil, type ExperimentOptions } from './harness.ts';
import { jainIndex, max, round } from './stats.ts';
import type { ExperimentResult } from './types.ts';
import { newLog, postFlows, type Pair } from './workload.ts';

export interface E4Sizing {
  readonly senderCounts: readonly number[];
  readonly flowBytes: number;
}

export const E4_SIZING: E4Sizing = { senderCounts: [8, 32, 64], flowBytes: 1024 * 1024 };

export const E4_TOPOLOGY: TopologySpec = { kind: 'leaf-spine', leaves: 9, spines: 8, hostsPerLeaf: 8 };
const SENDER_LEAVES = 8;
const RUN_VIRTUAL_PS_MAX = 20_000 * PS_PER_MS;

function jainOr(value: number, fallback: number): number {
  return Number.isNaN(value) ? fallback : value;
}

export function runE4(options: ExperimentOptions, sizing: E4Sizing = E4_SIZING): ExperimentResult {
  const byN: Record<string, Record<string, number>> = {};
  let events = 0;
  let virtualPs = 0;
  let errors = 0;
  const digests: string[] = [];
  const hostsPerLeaf = E4_TOPOLOGY.kind === 'leaf-spine' ? E4_TOPOLOGY.hostsPerLeaf : 0;
  sizing.senderCounts.forEach((n, index) => {
    const world = buildWorld(fabricConfig(options.seed * 16 + index, E4_TOPOLOGY), options);
    const { fabric, transports } = world;
    const receiver = 0;
    const pairs: Pair[] = Array.from({ length: n }, (_, i) => ({ src: (1 + (i % SENDER_LEAVES)) * hostsPerLeaf + Math.floor(i / SENDER_LEAVES), dst: receiver }));
    const ideal = idealPs(fabric, n * sizing.flowBytes, baseRttPs(fabric, pairs[0]!.src, receiver));
    const windowStartPs = 0.25 * ideal;
    const windowEndPs = 0.75 * ideal;
    const midBytes = new Map<number, number>(pairs.map((p) => [p.src, 0]));
    transports[receiver]!.onDeliver((segment) => {
      if (segment.atPs >= windowStartPs && segment.atPs < windowEndPs && midBytes.has(segment.src)) midBytes.set(segment.src, midBytes.get(segment.src)! + segment.length);
    });
    const log = newLog(n);
    postFlows(world, pairs, sizing.flowBytes, log);
    events += runUntil(fabric, () => log.completed === log.posted, RUN_VIRTUAL_PS_MAX, `E4 ${options.transport} N=${n}`, options.onProgress);
    const jct = max(log.lastCompletedPs);
    const rates = log.latenciesPs.map((fct) => sizing.flowBytes / fct);
    let retransmissions = 0;
    for (const pair of pairs) retransmissions += transports[pair.src]!.stats()['retransmissions'] ?? 0;
    const failed = log.errors + (log.posted - log.completed);
    errors += failed;
    const stats = fabric.stats();
    byN[String(n)] = {
      completionOverIdeal: round(failed > 0 ? Number.POSITIVE_INFINITY : jct / ideal),
      // Nobody delivered anything in the middle of the job (all senders waiting on timers): that is not fairness,
      // so the whole-flow index stands in.
      jainFairness: round(failed > 0 ? 0 : jainOr(jainIndex([...midBytes.values()]), jainIndex(rates))),
      jainFairnessFct: round(failed > 0 ? 0 : jainIndex(rates)),
      jctUs: round(jct / PS_PER_US, 3),
      idealUs: round(ideal / PS_PER_US, 3),
      retransmittedFraction: round((retransmissions * fabric.config.mtuPayloadBytes) / (n * sizing.flowBytes)),
      packetsDroppedQueue: stats.packetsDroppedQueue,
      appErrors: failed,
    };
    virtualPs += fabric.now;
    digests.push(fabric.digest());
  });
  const values = Object.values(byN);
  const metrics = {
    completionOverIdealMax: max(values.map((v) => v['completionOverIdeal']!)),
    jainFairnessMin: Math.min(...values.map((v) => v['jainFairness']!)),
    jainFairnessFctMin: Math.min(...values.map((v) => v['jainFairnessFct']!)),
    appErrors: errors,
    byN,
  };
  return { experiment: 'E4', transport: options.transport, encrypt: options.encrypt, seed: options.seed, metrics, series: {}, events, virtualPs, digest: digests.join('.') };
}
