// CONTRACT: the fabric's ports. Signatures are fixed (other engineers code against them); implementations live in
// src/efa/net (fabric), src/efa/srd (SRD transport), src/efa/baselines (TCP-like, go-back-N), src/efa/secure (link
// encryption), src/efa/api (libfabric-shaped endpoints), src/efa/experiments. Time is integer picoseconds.

/** Integer picoseconds of fabric time (safe to 2^53 ps ≈ 2.5 h). */
export type Ps = number;
export const PS_PER_NS = 1000;
export const PS_PER_US = 1_000_000;
export const PS_PER_MS = 1_000_000_000;

export type HostId = number;

export type TopologySpec =
  | { readonly kind: 'leaf-spine'; readonly leaves: number; readonly spines: number; readonly hostsPerLeaf: number }
  /** k-ary three-tier fat tree: k pods, k/2 edge + k/2 aggregation switches per pod, (k/2)^2 cores, k^3/4 hosts. */
  | { readonly kind: 'fat-tree'; readonly k: number };

/** research/efa-srd.md §5.2 defaults; every number a parameter. */
export interface FabricConfig {
  readonly topology: TopologySpec;
  readonly linkGbps: number;
  readonly propagationPs: Ps;
  readonly switchLatencyPs: Ps;
  /** Nitro card latency per direction (crypto included). */
  readonly nicLatencyPs: Ps;
  /** Drop-tail buffer per switch output port. */
  readonly bufferBytes: number;
  readonly mtuPayloadBytes: number;
  /** Encapsulation + SRD + 32 B crypto overhead on the wire per packet. */
  readonly headerBytes: number;
  readonly ackBytes: number;
  /** Seed of the ECMP hash and of every per-link fault stream. */
  readonly seed: number;
}

export type PacketKind = 'data' | 'ack';

/**
 * One packet on the wire. `header` is the transport's (SRD, TCP-like, GBN) own fields; the fabric routes by
 * (src, dst, entropy) only and never reads `header` or `payload`. `payload` is real bytes when the upper layer
 * carries them (encrypted on the wire when the secure link is on); simulation-only traffic leaves it absent and
 * only `wireBytes` counts.
 */
export interface Packet {
  readonly src: HostId;
  readonly dst: HostId;
  /** ECMP entropy value: the same value always takes the same route (so each path is FIFO). */
  readonly entropy: number;
  readonly kind: PacketKind;
  readonly wireBytes: number;
  readonly header: unknown;
  payload?: Uint8Array;
  /** Set by a corruption fault; a secure link's tag check turns it into a drop. */
  corrupted?: boolean;
}

export type LinkFault =
  | { readonly kind: 'down' } // black hole: silent drop, routing not told
  | { readonly kind: 'up' }
  | { readonly kind: 'loss'; readonly probability: number }
  | { readonly kind: 'corrupt'; readonly probability: number }
  | { readonly kind: 'duplicate'; readonly probability: number }
  | { readonly kind: 'delay'; readonly extraPs: Ps }
  | { readonly kind: 'reorder'; readonly probability: number; readonly extraPs: Ps };

export interface LinkInfo {
  readonly id: number;
  /** e.g. "h3->leaf0", "leaf0->spine5". */
  readonly name: string;
  readonly tier: 'host' | 'leaf-spine' | 'edge-agg' | 'agg-core';
}

export interface FabricStats {
  readonly eventsRun: number;
  readonly packetsDelivered: number;
  readonly packetsDroppedQueue: number;
  readonly packetsDroppedFault: number;
  readonly maxQueueBytes: number;
}

/** The fabric: a deterministic discrete-event network. One per experiment or multi-host world. */
export interface Fabric {
  readonly config: FabricConfig;
  readonly hostCount: number;
  readonly now: Ps;
  /** The NIC of `host` receives every packet addressed to it here (after the RX NIC latency). */
  attach(host: HostId, onPacket: (packet: Packet) => void): void;
  /** The NIC of `packet.src` transmits (after the TX NIC latency, then serialisation on the host link). */
  send(packet: Packet): void;
  /** Runs `fn` at `atPs` (≥ now); returns a cancel function. Same time: insertion order. */
  schedule(atPs: Ps, fn: () => void): () => void;
  /** Runs events until the queue is empty, `untilPs` is passed, or `eventsMax` ran; returns events run. */
  run(limits?: { readonly untilPs?: Ps; readonly eventsMax?: number }): number;
  links(): readonly LinkInfo[];
  /** The links (ids) a packet from src to dst with this entropy crosses, in order. */
  route(src: HostId, dst: HostId, entropy: number): readonly number[];
  /** Applies a fault to a link at a time (faults are scheduled events, deterministic from the seed). */
  fault(linkId: number, atPs: Ps, fault: LinkFault): void;
  /** After `delayPs`, switches stop routing over `linkId` (drives the single-path baselines' recovery). */
  routingConverge(linkId: number, atPs: Ps, delayPs: Ps): void;
  /** Passive capture of every packet crossing a link (NET-01): the tap sees what the wire carries. */
  tap(linkId: number, observer: (packet: Packet, atPs: Ps) => void): void;
  /**
   * Active man in the middle on a link (NET-02…05, 09): every packet about to enter `linkId` goes through `fn`, which
   * returns what enters instead (none: dropped; a changed copy: modified; several: duplicated or replayed). Called at
   * the packet's entry time, in event order (deterministic); interposers on one link run in the order added, and
   * taps see what they let through. Optional: fabrics without it cannot host an active network attacker.
   */
  interpose?(linkId: number, fn: (packet: Packet, atPs: Ps) => readonly Packet[]): void;
  /** Deterministic random stream for a named component (seed + name). */
  random(name: string): { next(): number; bytes(n: number): Uint8Array };
  stats(): FabricStats;
  /** FNV-1a or SHA-256 over (time, kind, src, dst, entropy) of every delivered/dropped packet: same seed, same digest. */
  digest(): string;
}

/** What a transport tells its user. `code` on error: REMOTE_UNRESPONSIVE, RNR, BAD_QP, MSG_TOO_LARGE… */
export interface TransferCompletion {
  readonly id: number;
  readonly ok: boolean;
  readonly code?: string;
  /** Virtual time the message was posted and completed (acked end to end). */
  readonly postedPs: Ps;
  readonly completedPs: Ps;
}

/** A message as delivered to the receiving host, piece by piece (SRD may deliver out of order). */
export interface DeliveredSegment {
  readonly src: HostId;
  readonly messageId: number;
  readonly offset: number;
  readonly length: number;
  readonly messageBytes: number;
  readonly payload?: Uint8Array;
  readonly atPs: Ps;
}

export type TransportKind = 'srd' | 'tcp' | 'tcp-1ms' | 'gbn';

/**
 * One host's transport engine (SRD in the NIC, or a baseline). Messages of any size are segmented into ≤ MTU
 * packets; completion comes when every byte is acknowledged, or with an error after the retry budget.
 */
export interface Transport {
  readonly kind: TransportKind;
  readonly host: HostId;
  /** Sends `bytes` (with optional real payload of that length) to `dst`; `onComplete` fires exactly once. */
  post(message: {
    readonly id: number;
    readonly dst: HostId;
    readonly bytes: number;
    readonly payload?: Uint8Array;
    readonly onComplete: (completion: TransferCompletion) => void;
  }): void;
  /** Every segment delivered to this host (exactly once per packet for SRD: duplicates are filtered). */
  onDeliver(handler: (segment: DeliveredSegment) => void): void;
  /** Counters for experiments: retransmissions, timeouts, bytes acked, paths quarantined… */
  stats(): Readonly<Record<string, number>>;
}

/**
 * Wire protection between two NICs' trusted components (installed by src/efa/secure): seal on transmit with a
 * fresh nonce per transmission (retransmissions included), open on receive with an anti-replay window; a packet
 * that fails is dropped (counted), never delivered. `null` for an unprotected link (encryption off).
 */
export interface PacketProtector {
  seal(packet: Packet): Packet;
  /** Returns the opened packet, or null (tampered, replayed, spliced, reflected, unknown peer): counted. */
  open(packet: Packet): Packet | null;
  stats(): Readonly<Record<string, number>>;
}
