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
