// What every experiment shares: a fabric with one transport per host, wire protection on or off, the "ideal"
// times of research/efa-srd.md §6 (bytes / line rate + base RTT) computed from the fabric's own parameters, and a
// bounded run loop that reports progress for long runs.
import type { Fabric, FabricConfig, HostId, PacketProtector, Ps, TopologySpec, Transport, TransportKind } from '../contracts.ts';
import { createFabric, DEFAULT_FABRIC_CONFIG } from '../net/index.ts';
import { createSrdTransport } from '../srd/index.ts';
import { createGbnTransport, createTcpLikeTransport, TCP_RTO_MIN_DEFAULT_PS, TCP_RTO_MIN_TUNED_PS } from '../baselines/index.ts';
import { EmuError } from '../../errors.ts';
import { createDomainProtectors, type ProtectorMode } from '../secure/index.ts';

export const TRANSPORT_KINDS: readonly TransportKind[] = ['srd', 'tcp', 'tcp-1ms', 'gbn'];

export interface ExperimentOptions {
  readonly seed: number;
  readonly transport: TransportKind;
  /** Every packet sealed and opened by a per-host protector (research/efa-srd.md §3.4). */
  readonly encrypt: boolean;
  /**
   * 'real' (default): AES-256-GCM per packet. 'model': the secure link's accounted mode — same headers, wire bytes
   * and checks, no AES call — so virtual-time results are identical and only wall time differs.
   */
  readonly crypto?: 'real' | 'model';
  /** Progress lines for long runs (the CLI writes them on stderr). */
  readonly onProgress?: (line: string) => void;
}

export interface ExperimentWorld {
  readonly fabric: Fabric;
  readonly transports: readonly Transport[];
  readonly protectors: ReadonlyArray<PacketProtector | undefined>;
}

/** Hosts beyond this are a sizing mistake (the largest topology here is the 128-host fat tree). */
const HOSTS_MAX = 1024;
/** Events one experiment run may take before it stops with a typed error instead of running for ever. */
export const EVENTS_PER_RUN_MAX = 60_000_000;
const PROGRESS_EVERY_EVENTS = 2_000_000;
const RUN_CHUNK_EVENTS = 50_000;
const RUN_STEP_PS = 20_000_000; // 20 µs

export function fabricConfig(seed: number, topology: TopologySpec = DEFAULT_FABRIC_CONFIG.topology, overrides: Partial<FabricConfig> = {}): FabricConfig {
  return { ...DEFAULT_FABRIC_CONFIG, ...overrides, topology, seed };
}

export function buildWorld(config: FabricConfig, options: Pick<ExperimentOptions, 'transport' | 'encrypt' | 'crypto'>): ExperimentWorld {
  const fabric = createFabric(config);
  if (fabric.hostCount > HOSTS_MAX) throw new EmuError('EFA_EXPERIMENT_TOO_LARGE', `${fabric.hostCount} hosts exceed ${HOSTS_MAX}`);
  const hosts = Array.from({ length: fabric.hostCount }, (_, h) => h);
  const mode: ProtectorMode = options.crypto === 'model' ? 'accounted' : 'real';
  // One job whose links are keyed from a domain secret drawn from the seed (research §3.4: "domain secrets derive
  // from the seed in tests"); the attested handshake itself is the secure-link tests' subject, not the experiments'.
  const domain = options.encrypt
    ? createDomainProtectors({ hosts, jobId: 'fabric-experiment', domainSecret: fabric.random('experiments/domain-secret').bytes(32), options: { mode } })
    : undefined;
  const protectors: Array<PacketProtector | undefined> = [];
  const transports: Transport[] = [];
  for (const host of hosts) {
    const protector = domain?.get(host);
    protectors.push(protector);
    transports.push(createTransport(fabric, host, options.transport, protector));
  }
  return { fabric, transports, protectors };
}

export function createTransport(fabric: Fabric, host: HostId, kind: TransportKind, protector: PacketProtector | undefined): Transport {
  const withProtector = protector === undefined ? {} : { protector };
  switch (kind) {
    case 'srd':
      return createSrdTransport(fabric, host, withProtector);
    case 'tcp':
      return createTcpLikeTransport(fabric, host, { rtoMinPs: TCP_RTO_MIN_DEFAULT_PS, ...withProtector });
    case 'tcp-1ms':
      return createTcpLikeTransport(fabric, host, { rtoMinPs: TCP_RTO_MIN_TUNED_PS, ...withProtector });
    case 'gbn':
      return createGbnTransport(fabric, host, withProtector);
  }
}

/** One-way time of a packet of `wireBytes` over `hops` links: NIC both ends, store-and-forward at each switch. */
export function oneWayPs(config: FabricConfig, hops: number, wireBytes: number): Ps {
  const serialisePs = (wireBytes * 8 * 1000) / config.linkGbps;
  return 2 * config.nicLatencyPs + hops * (config.propagationPs + serialisePs) + (hops - 1) * config.switchLatencyPs;
}

/** Unloaded RTT between two hosts: a full data packet out, an ACK back. */
export function baseRttPs(fabric: Fabric, src: HostId, dst: HostId): Ps {
  const hops = fabric.route(src, dst, 0).length;
  const c = fabric.config;
  return oneWayPs(c, hops, c.mtuPayloadBytes + c.headerBytes) + oneWayPs(c, hops, c.ackBytes);
}

/** research/efa-srd.md §6: "ideal" = bytes / line rate + base RTT. */
export function idealPs(fabric: Fabric, bytes: number, rttPs: Ps): Ps {
  return (bytes * 8 * 1000) / fabric.config.linkGbps + rttPs;
}

/**
 * Runs the fabric until `done()` holds, the queue empties, `untilPs` passes, or the event budget is spent (a typed
 * error: an experiment that cannot finish must say so, not report half a result). Returns events run.
 */
export function runUntil(fabric: Fabric, done: () => boolean, untilPs: Ps, label: string, onProgress?: (line: string) => void): number {
  let events = 0;
  let nextProgress = PROGRESS_EVERY_EVENTS;
  // Short virtual-time steps so `done()` is seen soon after it holds (transports keep timers that would otherwise
  // carry the clock far past the end); a step that finds nothing to do doubles, so idle stretches cost little.
  let stepPs = RUN_STEP_PS;
  while (!done() && fabric.now < untilPs) {
    const stepEndPs = Math.min(untilPs, fabric.now + stepPs);
    const ran = fabric.run({ untilPs: stepEndPs, eventsMax: RUN_CHUNK_EVENTS });
    events += ran;
    if (ran === 0) {
      if (stepEndPs >= untilPs) break;
      stepPs *= 2;
      continue;
    }
    stepPs = RUN_STEP_PS;
    if (events >= nextProgress) {
      onProgress?.(`${label}: ${(fabric.now / 1e9).toFixed(3)} ms virtual, ${(events / 1e6).toFixed(1)} M events`);
      nextProgress += PROGRESS_EVERY_EVENTS;
    }
    if (events > EVENTS_PER_RUN_MAX) {
      throw new EmuError('EFA_EXPERIMENT_BUDGET', `${label} ran ${events} events without finishing`, { events, nowPs: fabric.now });
    }
  }
  return events;
}

/** A permutation of `n` drawn from the fabric's named stream (Fisher–Yates on 32-bit draws). */
export function permutation(fabric: Fabric, n: number, name: string): number[] {
  const random = fabric.random(name);
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
