// E2 (research/efa-srd.md §6): path failure. 8 connections leaf A → leaf B (a permutation); each application offers
// 50% of line rate in 128 KiB messages, so the fabric keeps spare capacity after losing one of leaf A's 8 uplinks
// (at 100% offered load no transport could get back to 95%: 7 uplinks carry 7/8; at 60–70% SRD's re-probes of the
// dead EVs, data packets lost once more when a penalty expires, leave late one-RTO dips on single pairs). At `failAt` one uplink becomes a
// black hole; routing removes it 50 ms later. The failed uplink is one a flow crosses: for the single-path baselines
// the uplink that pair 0 is pinned to; for SRD (all pairs spray over every uplink) one drawn from the seed.
import { PS_PER_MS, PS_PER_US, type Ps } from '../contracts.ts';
import { EmuError } from '../../errors.ts';
import { buildWorld, fabricConfig, permutation, runUntil, type ExperimentOptions } from './harness.ts';
import { SasChecker } from './sas.ts';
import { round } from './stats.ts';
import type { ExperimentResult } from './types.ts';
import type { Pair } from './workload.ts';

export interface E2Sizing {
  readonly failAtPs: Ps;
  /** Offered load continues this long after the failure; then the backlog drains. */
  readonly afterPs: Ps;
  readonly convergeDelayPs: Ps;
  readonly messageBytes: number;
  readonly offeredFraction: number;
}

export const E2_SIZING: E2Sizing = { failAtPs: 500 * PS_PER_US, afterPs: 1 * PS_PER_MS, convergeDelayPs: 50 * PS_PER_MS, messageBytes: 128 * 1024, offeredFraction: 0.5 };

const HOSTS_PER_LEAF = 8;
const BIN_PS = 10 * PS_PER_US;
/** Trailing window that smooths goodput (5 bins = 50 µs); recoveryUs includes up to this much lag. */
const WINDOW_BINS = 5;
/** Pre-failure reference period (after 100 µs of warm-up). */
const BASELINE_PS = 400 * PS_PER_US;
const RECOVERED_FRACTION = 0.95;
const IDS_PER_PAIR = 1 << 24;
const RUN_VIRTUAL_PS_MAX = 5_000 * PS_PER_MS;

export function runE2(options: ExperimentOptions, sizing: E2Sizing = E2_SIZING): ExperimentResult {
  const world = buildWorld(fabricConfig(options.seed * 16), options);
  const { fabric, transports } = world;
  const perm = permutation(fabric, HOSTS_PER_LEAF, 'e2/permutation');
  const pairs: Pair[] = perm.map((p, i) => ({ src: i, dst: HOSTS_PER_LEAF + p }));
  const failedLink = chooseFailedLink(world, pairs[0]!);
  fabric.fault(failedLink, sizing.failAtPs, { kind: 'down' });
  fabric.routingConverge(failedLink, sizing.failAtPs, sizing.convergeDelayPs);

  const offerEndPs = sizing.failAtPs + sizing.afterPs;
  const intervalPs = Math.round((sizing.messageBytes * 8 * 1000) / (fabric.config.linkGbps * sizing.offeredFraction));
  const binsPerPair = pairs.map(() => [] as number[]);
  const offeredPerPair = pairs.map(() => [] as number[]);
  const lastDeliveryPs = pairs.map(() => 0);
  const checkers = pairs.map(() => new SasChecker());
  const pairOfDst = new Map(pairs.map((p, i) => [p.dst, i]));
  let errors = 0;
  let posted = 0;
  let completed = 0;
  pairs.forEach((pair, i) => {
    transports[pair.dst]!.onDeliver((segment) => {
      const index = pairOfDst.get(pair.dst)!;
      if (segment.src !== pair.src) return;
      const bin = Math.floor(segment.atPs / BIN_PS);
      const bins = binsPerPair[index]!;
      while (bins.length <= bin) bins.push(0);
      bins[bin]! += segment.length;
      lastDeliveryPs[index] = segment.atPs;
      checkers[index]!.accept(segment.messageId - index * IDS_PER_PAIR, segment);
    });
    let k = 0;
    const post = (): void => {
      posted++;
      const bin = Math.floor(fabric.now / BIN_PS);
      const offeredBins = offeredPerPair[i]!;
      while (offeredBins.length <= bin) offeredBins.push(0);
      offeredBins[bin]! += sizing.messageBytes;
      transports[pair.src]!.post({
        id: i * IDS_PER_PAIR + k++,
        dst: pair.dst,
        bytes: sizing.messageBytes,
        onComplete: (c) => {
          completed++;
          if (!c.ok) errors++;
        },
      });
      const next = fabric.now + intervalPs;
      if (next < offerEndPs) fabric.schedule(next, post);
    };
    fabric.schedule(0, post);
  });
  const events = runUntil(fabric, () => fabric.now >= offerEndPs && completed === posted, RUN_VIRTUAL_PS_MAX, `E2 ${options.transport}`, options.onProgress);
  if (completed !== posted) errors += posted - completed;

  const recovery = recoveryOf(offeredPerPair, binsPerPair, lastDeliveryPs, sizing.failAtPs, offerEndPs, fabric.config.mtuPayloadBytes);
  const overflows = checkers.reduce((s, c) => s + c.windowOverflows, 0);
  const duplicates = checkers.reduce((s, c) => s + c.duplicateSegments, 0);
  const stats = fabric.stats();
  const metrics = {
    recoveryUs: round(recovery.recoveryPs / PS_PER_US, 1),
    stallUsMax: round(recovery.stallPsMax / PS_PER_US, 1),
    goodputDipFraction: round(recovery.dipFraction),
    appErrors: errors + overflows + duplicates,
    errorCompletions: errors,
    sasWindowOverflows: overflows,
    duplicateSegments: duplicates,
    reorderDepthMaxMessages: Math.max(...checkers.map((c) => c.depthMax)),
    messagesReleasedInOrder: checkers.reduce((s, c) => s + c.releasedMessages, 0),
    messagesPosted: posted,
    packetsDroppedFault: stats.packetsDroppedFault,
    failedLinkId: failedLink,
  };
  return {
    experiment: 'E2',
    transport: options.transport,
    encrypt: options.encrypt,
    seed: options.seed,
    metrics,
    series: { goodputGbps: recovery.series },
    events,
    virtualPs: fabric.now,
    digest: fabric.digest(),
  };
}

function chooseFailedLink(world: ReturnType<typeof buildWorld>, pair: Pair): number {
  const { fabric, transports } = world;
  const pinned = transports[pair.src] as { entropyTo?: (dst: number) => number };
  const entropy = typeof pinned.entropyTo === 'function' ? pinned.entropyTo(pair.dst) : fabric.random('e2/failed-uplink').bytes(2).reduce((a, b) => (a << 8) | b, 0);
  const links = fabric.links();
  for (const id of fabric.route(pair.src, pair.dst, entropy)) {
    if (links[id]?.tier === 'leaf-spine') return id;
  }
  throw new EmuError('EFA_EXPERIMENT_SETUP', 'the first pair crosses no leaf-spine link');
}

interface Recovery {
  readonly recoveryPs: Ps;
  readonly stallPsMax: Ps;
  readonly dipFraction: number;
  readonly series: Array<readonly [number, number]>;
}

/**
 * Per pair, time is "healthy" when its goodput over the trailing 50 µs is ≥ 95% of its own pre-failure goodput, or
 * when it has no backlog beyond what it normally has in flight (an open-loop sender cannot deliver more than it was
 * offered, so a quiet phase of the offered pattern is not a dip). A pair's recovery is the first time after the
 * failure from which it stays healthy until its last delivery; recoveryUs is the slowest pair's.
 */
function recoveryOf(offered: number[][], delivered: number[][], lastDeliveryPs: number[], failAtPs: Ps, offerEndPs: Ps, packetBytes: number): Recovery {
  const failBin = Math.floor(failAtPs / BIN_PS);
  const endBin = Math.floor(offerEndPs / BIN_PS);
  const baseBins = Math.floor(BASELINE_PS / BIN_PS);
  const at = (bins: number[], b: number): number => bins[b] ?? 0;
  const windowed = (bins: number[], b: number): number => {
    let s = 0;
    for (let k = 0; k < WINDOW_BINS; k++) s += at(bins, b - k);
    return s / WINDOW_BINS;
  };
  let recoveryPs = 0;
  let stallPsMax = 0;
  delivered.forEach((bins, i) => {
    const offeredBins = offered[i]!;
    const lastBin = Math.floor(lastDeliveryPs[i]! / BIN_PS);
    let backlog = 0;
    let normalBacklog = 0;
    let base = 0;
    let recoveredBin = failBin;
    let run = 0;
    for (let b = 0; b < lastBin; b++) {
      backlog += at(offeredBins, b) - at(bins, b);
      if (b >= failBin - baseBins && b < failBin) {
        normalBacklog = Math.max(normalBacklog, backlog);
        base += at(bins, b) / baseBins;
      }
      if (b < failBin) continue;
      run = at(bins, b) === 0 && backlog > 0 ? run + 1 : 0;
      stallPsMax = Math.max(stallPsMax, run * BIN_PS);
      // One packet of slack on the backlog: its pre-failure maximum is a sample maximum, not a bound.
      const healthy = windowed(bins, b) >= RECOVERED_FRACTION * base || backlog <= normalBacklog + packetBytes;
      if (!healthy) recoveredBin = b + 1;
    }
    recoveryPs = Math.max(recoveryPs, recoveredBin === failBin ? 0 : recoveredBin * BIN_PS - failAtPs);
  });
  const aggregate: number[] = [];
  const lastBin = Math.max(endBin, ...delivered.map((b) => b.length));
  for (let b = 0; b < lastBin; b++) aggregate.push(delivered.reduce((s, bins) => s + at(bins, b), 0));
  let aggBase = 0;
  for (let b = failBin - baseBins; b < failBin; b++) aggBase += at(aggregate, b) / baseBins;
  let dip = 1;
  for (let b = failBin; b < endBin; b++) dip = Math.min(dip, aggBase > 0 ? windowed(aggregate, b) / aggBase : 1);
  const series: Array<readonly [number, number]> = [];
  const bytesPerBinToGbps = (8 * 1000) / BIN_PS;
  for (let b = Math.max(WINDOW_BINS, failBin - 50); b < Math.min(aggregate.length, endBin); b++) {
    series.push([round(((b + 1) * BIN_PS - failAtPs) / PS_PER_US, 1), round(windowed(aggregate, b) * bytesPerBinToGbps, 3)]);
  }
  return { recoveryPs, stallPsMax, dipFraction: dip, series };
}
