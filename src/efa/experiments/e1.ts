// E1 (research/efa-srd.md §6): ECMP collisions vs spraying. 8 hosts on leaf A send to 8 hosts on leaf B (a random
// permutation), (a) 2 MiB flows all at once, FCT against ideal; (b) then a closed loop of 64 KiB messages per pair,
// message latency against its unloaded value. Several rounds (fresh fabric and permutation each) pool the samples,
// since one round has only 8 flows.
import { PS_PER_MS, PS_PER_US, type Ps } from '../contracts.ts';
import { assert } from '../../errors.ts';
import { baseRttPs, buildWorld, fabricConfig, idealPs, permutation, runUntil, type ExperimentOptions } from './harness.ts';
import { max, mean, percentile, round } from './stats.ts';
import type { ExperimentResult } from './types.ts';
import { closedLoop, newLog, postFlows, type Pair } from './workload.ts';

export interface E1Sizing {
  readonly rounds: number;
  readonly flowBytes: number;
  readonly loopMessageBytes: number;
  /** Closed-loop duration per round (the research's 20 ms, scaled down to keep a run in seconds). */
  readonly loopPs: Ps;
}

export const E1_SIZING: E1Sizing = { rounds: 4, flowBytes: 2 * 1024 * 1024, loopMessageBytes: 64 * 1024, loopPs: 2 * PS_PER_MS };

const HOSTS_PER_LEAF = 8;
/** A 200 ms RTO with back-off can stretch a flow to seconds; past this the run is reported as is. */
const ROUND_VIRTUAL_PS_MAX = 20_000 * PS_PER_MS;

export function runE1(options: ExperimentOptions, sizing: E1Sizing = E1_SIZING): ExperimentResult {
  assert(sizing.rounds >= 1 && sizing.rounds <= 16, 'E1 rounds must be 1..16');
  const fctOverIdeal: number[] = [];
  const messageLatencyUs: number[] = [];
  let errors = 0;
  let events = 0;
  let virtualPs = 0;
  let maxQueueBytes = 0;
  let droppedQueue = 0;
  let idealFctPs = 0;
  let unloadedPs = 0;
  const digests: string[] = [];
  for (let r = 0; r < sizing.rounds; r++) {
    const label = `E1 ${options.transport} round ${r + 1}/${sizing.rounds}`;
    const world = buildWorld(fabricConfig(options.seed * 16 + r), options);
    const { fabric } = world;
    const perm = permutation(fabric, HOSTS_PER_LEAF, 'e1/permutation');
    const pairs: Pair[] = perm.map((p, i) => ({ src: i, dst: HOSTS_PER_LEAF + p }));
    const rtt = baseRttPs(fabric, pairs[0]!.src, pairs[0]!.dst);
    idealFctPs = idealPs(fabric, sizing.flowBytes, rtt);
    unloadedPs = idealPs(fabric, sizing.loopMessageBytes, rtt);

    const flows = newLog(pairs.length);
    postFlows(world, pairs, sizing.flowBytes, flows);
    events += runUntil(fabric, () => flows.completed === flows.posted, ROUND_VIRTUAL_PS_MAX, `${label} (flows)`, options.onProgress);
    for (const fct of flows.latenciesPs) fctOverIdeal.push(fct / idealFctPs);
    errors += flows.errors + (flows.posted - flows.completed);

    const loop = newLog(pairs.length);
    const drained = closedLoop(world, pairs, sizing.loopMessageBytes, 1, fabric.now + sizing.loopPs, loop);
    events += runUntil(fabric, drained, fabric.now + ROUND_VIRTUAL_PS_MAX, `${label} (closed loop)`, options.onProgress);
    for (const l of loop.latenciesPs) messageLatencyUs.push(l / PS_PER_US);
    errors += loop.errors + (loop.posted - loop.completed);

    const stats = fabric.stats();
    maxQueueBytes = Math.max(maxQueueBytes, stats.maxQueueBytes);
    droppedQueue += stats.packetsDroppedQueue;
    virtualPs += fabric.now;
    digests.push(fabric.digest());
  }
  const unloadedUs = unloadedPs / PS_PER_US;
  const metrics = {
    flows: fctOverIdeal.length,
    idealFctUs: round(idealFctPs / PS_PER_US, 3),
    fctP50OverIdeal: round(percentile(fctOverIdeal, 0.5)),
    fctMeanOverIdeal: round(mean(fctOverIdeal)),
    fctP99OverIdeal: round(percentile(fctOverIdeal, 0.99)),
    fctMaxOverIdeal: round(max(fctOverIdeal)),
    messages: messageLatencyUs.length,
    msgUnloadedUs: round(unloadedUs, 3),
    msgLatencyP50Us: round(percentile(messageLatencyUs, 0.5), 3),
    msgLatencyP99Us: round(percentile(messageLatencyUs, 0.99), 3),
    msgLatencyP999Us: round(percentile(messageLatencyUs, 0.999), 3),
    msgLatencyP999OverUnloaded: round(percentile(messageLatencyUs, 0.999) / unloadedUs),
    appErrors: errors,
    maxQueueKiB: round(maxQueueBytes / 1024, 1),
    packetsDroppedQueue: droppedQueue,
  };
  return { experiment: 'E1', transport: options.transport, encrypt: options.encrypt, seed: options.seed, metrics, series: { samples: fctOverIdeal, messageLatencyUs }, events, virtualPs, digest: digests.join('.') };
}
