import { assert } from '../../errors.ts';
import type { HostId, LinkInfo } from '../contracts.ts';

/**
 * A fabric's wiring and forwarding rule. Links are per direction and numbered densely; forwarding is computed per
 * hop from (link just crossed, src, dst, entropy), so a packet in flight carries no route and a hop allocates nothing.
 */
export interface Topology {
  readonly hostCount: number;
  readonly links: readonly LinkInfo[];
  /** 1 where the link ends at a host NIC (the hop after it is delivery, after the RX NIC latency). */
  readonly endsAtHost: Uint8Array;
  /** 1 where the link is a switch output port (drop-tail buffer applies); host uplinks are NIC queues. */
  readonly switchPort: Uint8Array;
  hostUplink(host: HostId): number;
  /**
   * The next link after crossing `linkId`, or -1 when the packet has reached `dst`. `routeDead` (null when nothing
   * has converged away) marks links that routing has removed; ECMP then picks among the remaining choices.
   */
  next(linkId: number, src: HostId, dst: HostId, entropy: number, routeDead: Uint8Array | null): number;
}

/** Hops bound for route walks: a three-tier fat tree has 6 links; anything longer is a wiring bug. */
export const ROUTE_HOPS_MAX = 8;

/**
 * Chooses one of `fanout` equal-cost next hops: hash mod fan-out, unless routing removed that choice; then the
 * survivors are indexed by the same hash (flows whose first choice survives keep their path: resilient hashing).
 */
export function ecmpChoose(hash: number, fanout: number, alive: ((choice: number) => boolean) | null): number {
  const first = hash % fanout;
  if (alive === null || alive(first)) return first;
  let count = 0;
  for (let c = 0; c < fanout; c++) if (alive(c)) count++;
  if (count === 0) return first;
  let want = hash % count;
  for (let c = 0; c < fanout; c++) {
    if (!alive(c)) continue;
    if (want === 0) return c;
    want--;
  }
  return first;
}

/** One block of switch-to-switch links: up to three nested loops, outermost first, one link per innermost step. */
export interface SwitchLinkBlock {
  /** The id the block's first link must get: the topology's id formula, checked against the dense numbering. */
  readonly firstId: number;
  readonly tier: LinkInfo['tier'];
  readonly extents: readonly [number, number] | readonly [number, number, number];
  name(i: number, j: number, k: number): string;
}

/**
 * Wiring shared by the topologies where every host hangs off one switch: host h's uplink is link h and its
 * downlink N + h, then the switch-to-switch blocks in order, numbered densely. Every link but a host uplink is a
 * switch output port; the downlinks end at hosts.
 */
export function hostAttachedTopology(spec: {
  readonly hostCount: number;
  /** Name of the switch host `h` hangs off. */
  readonly hostSwitch: (host: HostId) => string;
  readonly blocks: readonly SwitchLinkBlock[];
  readonly next: Topology['next'];
}): Topology {
  const n = spec.hostCount;
  const links: LinkInfo[] = [];
  for (let h = 0; h < n; h++) links.push({ id: h, name: `h${h}->${spec.hostSwitch(h)}`, tier: 'host' });
  for (let h = 0; h < n; h++) links.push({ id: n + h, name: `${spec.hostSwitch(h)}->h${h}`, tier: 'host' });
  for (const block of spec.blocks) {
    assert(links.length === block.firstId, `link block ${block.tier} starts at ${links.length}, its formula says ${block.firstId}`);
    const [a, b, c = 1] = block.extents;
    for (let i = 0; i < a; i++) {
      for (let j = 0; j < b; j++) {
        for (let k = 0; k < c; k++) links.push({ id: links.length, name: block.name(i, j, k), tier: block.tier });
      }
    }
  }
  const endsAtHost = new Uint8Array(links.length);
  endsAtHost.fill(1, n, 2 * n);
  const switchPort = new Uint8Array(links.length);
  switchPort.fill(1, n);
  return { hostCount: n, links, endsAtHost, switchPort, hostUplink: (host) => host, next: spec.next };
}
