import { EmuError, assert } from '../../errors.ts';
import { Des, type DesHandler } from '../../sim/index.ts';
import type { Fabric, FabricConfig, FabricStats, HostId, LinkFault, LinkInfo, Packet, Ps } from '../contracts.ts';
import { validateFabricConfig } from './config.ts';
import { DIGEST_DELIVER, DIGEST_DROP_FAULT, DIGEST_DROP_QUEUE, TraceDigest } from './digest.ts';
import { fatTreeTopology } from './fat-tree.ts';
import { leafSpineTopology } from './leaf-spine.ts';
import { INTERPOSERS_PER_LINK_MAX, type Interposer, hostChecker, packetChecker, runInterposers } from './interpose.ts';
import { FATE_DROP, LinkFaults } from './link-faults.ts';
import { FabricRandom } from './random.ts';
import { ROUTE_HOPS_MAX, type Topology } from './topology.ts';

export interface LinkStats {
  readonly bytesSent: number;
  readonly packetsSent: number;
  readonly droppedQueue: number;
  readonly droppedFault: number;
  readonly maxQueueBytes: number;
}

export interface NetFabricStats extends FabricStats {
  /** Packets that reached a host with no NIC attached (nobody listening). */
  readonly packetsUnattached: number;
  readonly packetsDuplicated: number;
  readonly packetsCorrupted: number;
}

/**
 * The fabric as built here: the `Fabric` contract plus a closure-free event path for transports in the NIC (SRD
 * posts one timer per transmission, so a closure per timer would dominate its cost) and per-link counters.
 */
export interface NetFabric extends Fabric {
  /** Registers a handler on the fabric's event kernel once; `post` then names it by id. */
  registerHandler(handler: DesHandler): number;
  /** Posts an event (integer ps ≥ now) to a registered handler with an object and a number argument. */
  post(atPs: Ps, handlerId: number, arg: unknown, num: number): void;
  linkStats(linkId: number): LinkStats;
  /** Bytes queued (serialising or waiting) on a link's output port right now. */
  queueBytes(linkId: number): number;
  stats(): NetFabricStats;
}

/** Largest packet the wire carries: one MTU payload plus headers (jumbo frames beyond that are a transport bug). */
function wireBytesMax(config: FabricConfig): number {
  return config.mtuPayloadBytes + config.headerBytes;
}

interface Scheduled {
  fn: () => void;
  done: boolean;
}

export function buildFabric(config: FabricConfig): NetFabric {
  validateFabricConfig(config);
  const spec = config.topology;
  const topo: Topology =
    spec.kind === 'leaf-spine'
      ? leafSpineTopology(spec.leaves, spec.spines, spec.hostsPerLeaf, config.seed)
      : spec.kind === 'fat-tree'
        ? fatTreeTopology(spec.k, config.seed)
        : (() => {
            throw new EmuError('EFA_BAD_TOPOLOGY', 'unknown topology kind', { topology: spec });
          })();
  const des = new Des();
  const linkCount = topo.links.length;
  const hostCount = topo.hostCount;
  const psPerByte = 8000 / config.linkGbps;
  const { propagationPs, switchLatencyPs, nicLatencyPs, bufferBytes } = config;
  const wireMax = wireBytesMax(config);

  const busyUntil = new Float64Array(linkCount);
  const bytesSent = new Float64Array(linkCount);
  const packetsSent = new Float64Array(linkCount);
  const droppedQueue = new Float64Array(linkCount);
  const droppedFault = new Float64Array(linkCount);
  const maxQueue = new Float64Array(linkCount);
  const routeDead = new Uint8Array(linkCount);
  let routeDeadCount = 0;
  const faults = new LinkFaults(linkCount, config.seed);
  const taps: (((packet: Packet, atPs: Ps) => void)[] | undefined)[] = new Array(linkCount).fill(undefined);
  // Null until the first interposer: the hot path then pays one null check per hop and nothing else.
  let interposers: (Interposer[] | undefined)[] | null = null;
  const receivers: (((packet: Packet) => void) | undefined)[] = new Array(hostCount).fill(undefined);
  const streams = new Map<string, FabricRandom>();
  const digest = new TraceDigest();
  const { endsAtHost, switchPort } = topo;
  let delivered = 0;
  let dropsQueue = 0;
  let dropsFault = 0;
  let unattached = 0;
  let duplicated = 0;
  let corrupted = 0;
  let maxQueueBytes = 0;

  const kindBit = (p: Packet) => (p.kind === 'ack' ? 1 : 0);
  const checkLink = (linkId: number) => {
    if (!Number.isSafeInteger(linkId) || linkId < 0 || linkId >= linkCount) {
      throw new EmuError('EFA_BAD_LINK', `no link ${linkId} (the fabric has ${linkCount})`, { linkId });
    }
  };
  const checkHost = hostChecker(hostCount);

  const checkPacket = packetChecker(hostCount, wireMax);

  /** A packet about to enter `link` at `t`: through the link's interposers if it has any, then onto the port. */
  const enqueue = (link: number, packet: Packet, t: number): void => {
    if (interposers !== null) {
      const chain = interposers[link];
      if (chain !== undefined) {
        for (const p of runInterposers(chain, packet, t, checkPacket)) place(link, p, t);
        return;
      }
    }
    place(link, packet, t);
  };

  /** Puts a packet on a link's output port at time `t` (≥ now); schedules its arrival at the far end. */
  const place = (link: number, packet: Packet, t: number): void => {
    const wire = packet.wireBytes;
    if (faults.down[link] !== 0) {
      droppedFault[link]!++;
      dropsFault++;
      digest.add(t, DIGEST_DROP_FAULT * 2 + kindBit(packet), packet.src, packet.dst, packet.entropy);
      return;
    }
    const busy = busyUntil[link]!;
    if (switchPort[link] !== 0) {
      const backlog = busy > t ? (busy - t) / psPerByte : 0;
      if (backlog + wire > bufferBytes) {
        droppedQueue[link]!++;
        dropsQueue++;
        digest.add(t, DIGEST_DROP_QUEUE * 2 + kindBit(packet), packet.src, packet.dst, packet.entropy);
        return;
      }
      const queued = backlog + wire;
      if (queued > maxQueue[link]!) maxQueue[link] = queued;
      if (queued > maxQueueBytes) maxQueueBytes = queued;
    }
    const start = busy > t ? busy : t;
    const end = start + Math.round(wire * psPerByte);
    busyUntil[link] = end;
    bytesSent[link]! += wire;
    packetsSent[link]!++;
    const observers = taps[link];
    if (observers !== undefined) for (const observe of observers) observe(packet, start);
    let arrival = end + propagationPs + (endsAtHost[link] !== 0 ? nicLatencyPs : switchLatencyPs);
    let onward = packet;
    if (faults.active[link] !== 0) {
      if (faults.apply(link) === FATE_DROP) {
        droppedFault[link]!++;
        dropsFault++;
        digest.add(end, DIGEST_DROP_FAULT * 2 + kindBit(packet), packet.src, packet.dst, packet.entropy);
        return;
      }
      arrival += faults.extraPs;
      // Copies, so a tap's or the sender's reference never sees what happened downstream.
      if (faults.corrupt) {
        onward = { ...packet, corrupted: true };
        corrupted++;
      }
      if (faults.duplicate) {
        duplicated++;
        des.at(arrival, HOP, { ...onward }, link);
      }
    }
    des.at(arrival, HOP, onward, link);
  };

  const hop: DesHandler = (arg, num) => {
    const packet = arg as Packet;
    const next = topo.next(num, packet.src, packet.dst, packet.entropy, routeDeadCount > 0 ? routeDead : null);
    if (next >= 0) {
      enqueue(next, packet, des.now);
      return;
    }
    const receive = receivers[packet.dst];
    if (receive === undefined) {
      unattached++;
      digest.add(des.now, DIGEST_DROP_FAULT * 2 + kindBit(packet), packet.src, packet.dst, packet.entropy);
      return;
    }
    delivered++;
    digest.add(des.now, DIGEST_DELIVER * 2 + kindBit(packet), packet.src, packet.dst, packet.entropy);
    receive(packet);
  };
  const HOP = des.register(hop);
  const CALL = des.register((arg) => {
    const scheduled = arg as Scheduled;
    if (scheduled.done) return;
    scheduled.done = true;
    scheduled.fn();
  });

  const schedule = (atPs: Ps, fn: () => void): (() => void) => {
    assert(Number.isSafeInteger(atPs) && atPs >= des.now, `schedule at ${atPs} must be an integer ≥ now ${des.now}`);
    const scheduled: Scheduled = { fn, done: false };
    des.at(atPs, CALL, scheduled, 0);
    return () => {
      scheduled.done = true;
    };
  };

  const fabric: NetFabric = {
    config,
    hostCount,
    get now() {
      return des.now;
    },
    attach(host: HostId, onPacket: (packet: Packet) => void) {
      checkHost(host, 'attach host');
      if (receivers[host] !== undefined) throw new EmuError('EFA_HOST_ATTACHED', `host ${host} already has a NIC attached`, { host });
      receivers[host] = onPacket;
    },
    send(packet: Packet) {
      checkPacket(packet);
      enqueue(topo.hostUplink(packet.src), packet, des.now + nicLatencyPs);
    },
    schedule,
    run(limits) {
      return des.run(limits);
    },
    links(): readonly LinkInfo[] {
      return topo.links;
    },
    route(src, dst, entropy) {
      checkHost(src, 'route src');
      checkHost(dst, 'route dst');
      const path: number[] = [];
      let link = topo.hostUplink(src);
      while (link >= 0) {
        assert(path.length < ROUTE_HOPS_MAX, `route from ${src} to ${dst} exceeds ${ROUTE_HOPS_MAX} hops`);
        path.push(link);
        link = topo.next(link, src, dst, entropy, routeDeadCount > 0 ? routeDead : null);
      }
      return path;
    },
    fault(linkId: number, atPs: Ps, fault: LinkFault) {
      checkLink(linkId);
      LinkFaults.validate(fault);
      schedule(atPs, () => faults.set(linkId, fault));
    },
    routingConverge(linkId: number, atPs: Ps, delayPs: Ps) {
      checkLink(linkId);
      if (!Number.isSafeInteger(delayPs) || delayPs < 0) throw new EmuError('EFA_BAD_FAULT', 'convergence delay must be a non-negative integer', { delayPs });
      schedule(atPs + delayPs, () => {
        if (routeDead[linkId] === 0) routeDeadCount++;
        routeDead[linkId] = 1;
      });
    },
    tap(linkId: number, observer: (packet: Packet, atPs: Ps) => void) {
      checkLink(linkId);
      const list = taps[linkId] ?? [];
      list.push(observer);
      taps[linkId] = list;
    },
    interpose(linkId: number, fn: Interposer) {
      checkLink(linkId);
      if (typeof fn !== 'function') throw new EmuError('EFA_BAD_INTERPOSER', 'an interposer is a function');
      interposers ??= new Array<Interposer[] | undefined>(linkCount).fill(undefined);
      const chain = interposers[linkId] ?? [];
      if (chain.length >= INTERPOSERS_PER_LINK_MAX) {
        throw new EmuError('EFA_BAD_INTERPOSER', `at most ${INTERPOSERS_PER_LINK_MAX} interposers on one link`, { linkId });
      }
      chain.push(fn);
      interposers[linkId] = chain;
    },
    random(name: string) {
      let stream = streams.get(name);
      if (stream === undefined) {
        stream = new FabricRandom(config.seed, `user/${name}`);
        streams.set(name, stream);
      }
      return stream;
    },
    stats() {
      return {
        eventsRun: des.eventsRun,
        packetsDelivered: delivered,
        packetsDroppedQueue: dropsQueue,
        packetsDroppedFault: dropsFault,
        maxQueueBytes,
        packetsUnattached: unattached,
        packetsDuplicated: duplicated,
        packetsCorrupted: corrupted,
      };
    },
    digest: () => digest.hex(),
    registerHandler: (handler) => des.register(handler),
    post(atPs, handlerId, arg, num) {
      des.at(atPs, handlerId, arg, num);
    },
    linkStats(linkId) {
      checkLink(linkId);
      return {
        bytesSent: bytesSent[linkId]!,
        packetsSent: packetsSent[linkId]!,
        droppedQueue: droppedQueue[linkId]!,
        droppedFault: droppedFault[linkId]!,
        maxQueueBytes: maxQueue[linkId]!,
      };
    },
    queueBytes(linkId) {
      checkLink(linkId);
      const backlog = busyUntil[linkId]! - des.now;
      return backlog > 0 ? backlog / psPerByte : 0;
    },
  };
  return fabric;
}
