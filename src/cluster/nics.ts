// The cluster's fabric and each host's EFA device: SRD in the NIC with the host's secure-link protector, the
// libfabric-shaped domain over them, and the NIC's receive demultiplexer (handshake frames to the enclaves' link
// agents, everything else to SRD). Real Nitro Enclaves cannot reach EFA, so every packet the enclave sends or
// receives crosses its parent's device: the parent's view is recorded at these ports.
import {
  createDomain,
  createFabric,
  createSecureLinkProtector,
  createSrdTransport,
  mtuPadding,
  type Domain,
  type Fabric,
  type HostId,
  type NetFabric,
  type Packet,
  type PaddingPolicy,
  type SecureLinkProtector,
} from '../efa/index.ts';
import { assert } from '../errors.ts';
import type { ResolvedClusterOptions } from './options.ts';
import { linkDefencesOf, placeRanks } from './options.ts';

/**
 * Room kept free under the fabric's MTU for the padding prefix: the transports segment at MTU − 64, so a packet
 * padded to its size class still fits the wire.
 */
export const PADDING_HEADROOM_BYTES = 64;

export interface ClusterNics {
  readonly fabric: NetFabric;
  /** The fabric as the transports and the domain see it (the MTU less the padding headroom). */
  readonly transportFabric: Fabric;
  readonly domain: Domain;
  readonly protectors: ReadonlyMap<HostId, SecureLinkProtector>;
  readonly hostOfRank: readonly HostId[];
  rankOfHost(host: HostId): number | undefined;
  /** The link from a host to its leaf, and back. */
  uplinkOf(host: HostId): number;
  downlinkOf(host: HostId): number;
  /** Frames whose header says link handshake go here, not to SRD. */
  onHandshakeFrame(handler: (host: HostId, packet: Packet) => void): void;
  /** Packets that arrived for a host whose transport was not created yet (nothing listens: counted, dropped). */
  readonly unclaimed: () => number;
}

/** Handshake frames are recognised by their header; SRD's headers never carry this tag. */
export const HANDSHAKE_FRAME_TAG = 'cluster-link-handshake';

/** The link handshake's own frames (public values and attestation, authenticated by its transcript): not link data. */
export function isHandshakeFrame(packet: Packet): boolean {
  const header = packet.header;
  return typeof header === 'object' && header !== null && (header as { readonly t?: unknown }).t === HANDSHAKE_FRAME_TAG;
}

export function buildNics(options: ResolvedClusterOptions): ClusterNics {
  const placement = placeRanks(options.hosts, options.seed);
  const fabric = createFabric(placement.config);
  const mtu = placement.config.mtuPayloadBytes - PADDING_HEADROOM_BYTES;
  const srdHandlers: (((packet: Packet) => void) | undefined)[] = new Array(fabric.hostCount).fill(undefined);
  // The transports' view: same clock, events and wire, a smaller MTU, and attach() lands in our demultiplexer.
  const transportFabric = Object.create(fabric, {
    config: { value: Object.freeze({ ...fabric.config, mtuPayloadBytes: mtu }) },
    attach: {
      value: (host: HostId, onPacket: (packet: Packet) => void) => {
        assert(srdHandlers[host] === undefined, `host ${host} already has a transport`);
        srdHandlers[host] = onPacket;
      },
    },
  }) as NetFabric;
  const padding: PaddingPolicy | undefined = options.worldDefences.linkPadding ? mtuPadding(mtu) : undefined;
  const defences = linkDefencesOf(options.worldDefences);
  const protectors = new Map<HostId, SecureLinkProtector>();
  for (const host of placement.hostOfRank) {
    protectors.set(
      host,
      createSecureLinkProtector({
        host,
        defences,
        mode: options.crypto === 'real' ? 'real' : 'accounted',
        ...(padding === undefined ? {} : { padding }),
        ...options.link,
      }),
    );
  }
  let handshake: ((host: HostId, packet: Packet) => void) | undefined;
  let unclaimed = 0;
  for (const host of placement.hostOfRank) {
    fabric.attach(host, (packet) => {
      if (isHandshakeFrame(packet)) {
        if (handshake !== undefined) handshake(host, packet);
        else unclaimed++;
        return;
      }
      const srd = srdHandlers[host];
      if (srd !== undefined) srd(packet);
      else unclaimed++;
    });
  }
  const domain: Domain = createDomain({
    fabric: transportFabric,
    transportFor: (host) => createSrdTransport(transportFabric, host, { protector: protectors.get(host)!, admit: (segment) => domain.admit(host, segment) }),
  });
  const linkNamed = (name: string): number => {
    const link = fabric.links().find((l) => l.name === name);
    assert(link !== undefined, `the fabric has no link ${name}`);
    return link.id;
  };
  const hostsPerLeaf = placement.config.topology.kind === 'leaf-spine' ? placement.config.topology.hostsPerLeaf : 1;
  const leafOf = (host: HostId) => Math.floor(host / hostsPerLeaf);
  return {
    fabric,
    transportFabric,
    domain,
    protectors,
    hostOfRank: placement.hostOfRank,
    rankOfHost: (host) => {
      const rank = placement.hostOfRank.indexOf(host);
      return rank < 0 ? undefined : rank;
    },
    uplinkOf: (host) => linkNamed(`h${host}->leaf${leafOf(host)}`),
    downlinkOf: (host) => linkNamed(`leaf${leafOf(host)}->h${host}`),
    onHandshakeFrame(handler) {
      handshake = handler;
    },
    unclaimed: () => unclaimed,
  };
}
