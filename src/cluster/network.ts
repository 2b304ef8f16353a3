// The network attacker's handle on the cluster's fabric (DESIGN.md §2 `network`): taps, interposers, injection,
// faults, and a hand on the link handshake as it crosses. Everything it is shown is filed under 'network'.
import type { LinkFault, Packet, Ps } from '../efa/index.ts';
import { EmuError } from '../errors.ts';
import type { HostState } from './hosts.ts';
import type { ClusterNics } from './nics.ts';
import { packetCopy, recordNetwork } from './observe.ts';
import type { NetworkHandle } from './types.ts';

export type HandshakeStep = 'clientHello' | 'serverHello' | 'finished';
export type HandshakeRewriter = (message: Uint8Array, step: HandshakeStep, from: number, to: number) => Uint8Array;

/** Bound on handshake rewriters (each one runs on every handshake message). */
export const HANDSHAKE_REWRITERS_MAX = 16;

export interface NetworkControl {
  readonly handle: NetworkHandle;
  /** The rewriters in the order the attacker installed them (the mesh applies them to every message). */
  readonly rewriters: readonly HandshakeRewriter[];
}

export function createNetwork(nics: ClusterNics, hosts: readonly HostState[], modelCrypto: boolean): NetworkControl {
  const { fabric } = nics;
  const rewriters: HandshakeRewriter[] = [];
  const nameOf = (linkId: number): string => fabric.links()[linkId]?.name ?? `link ${linkId}`;
  const checkRank = (rank: number): HostState => {
    const host = Number.isSafeInteger(rank) ? hosts[rank] : undefined;
    if (host === undefined) throw new EmuError('CLUSTER_BAD_RANK', `no rank ${rank} in this cluster (0…${hosts.length - 1})`, { rank });
    return host;
  };
  // The same checks the fabric applies when a NIC sends, made up front so a scheduled injection fails at the call.
  const checkPacket = (packet: Packet): void => {
    const hostOk = (h: unknown) => typeof h === 'number' && Number.isSafeInteger(h) && h >= 0 && h < fabric.hostCount;
    const wireMax = fabric.config.mtuPayloadBytes + fabric.config.headerBytes;
    if (typeof packet !== 'object' || packet === null || !hostOk(packet.src) || !hostOk(packet.dst)) {
      throw new EmuError('CLUSTER_BAD_PACKET', 'an injected packet needs src and dst hosts of this fabric');
    }
    if (!Number.isSafeInteger(packet.wireBytes) || packet.wireBytes < 1 || packet.wireBytes > wireMax) {
      throw new EmuError('CLUSTER_BAD_PACKET', `wireBytes must be an integer in 1…${wireMax}`, { wireBytes: packet.wireBytes });
    }
    if (!Number.isSafeInteger(packet.entropy) || packet.entropy < 0 || packet.entropy > 0xffff_ffff) {
      throw new EmuError('CLUSTER_BAD_PACKET', 'entropy must be a 32-bit unsigned integer', { entropy: packet.entropy });
    }
    if (packet.kind !== 'data' && packet.kind !== 'ack') throw new EmuError('CLUSTER_BAD_PACKET', 'kind must be data or ack');
    if (packet.payload !== undefined && !(packet.payload instanceof Uint8Array)) throw new EmuError('CLUSTER_BAD_PACKET', 'payload must be bytes');
  };

  const handle: NetworkHandle = {
    links: () => fabric.links(),
    uplinkOf(rank: number, direction: 'up' | 'down' = 'up'): number {
      const host = checkRank(rank);
      if (direction !== 'up' && direction !== 'down') throw new EmuError('CLUSTER_BAD_OPTIONS', 'direction must be up or down', { direction });
      return direction === 'up' ? nics.uplinkOf(host.host) : nics.downlinkOf(host.host);
    },
    tap(linkId: number, observer: (packet: Packet, atPs: Ps) => void): void {
      const channel = `fabric tap ${nameOf(linkId)}`;
      fabric.tap(linkId, (packet, atPs) => {
        recordNetwork(hosts, channel, packet, modelCrypto);
        observer(packetCopy(packet), atPs);
      });
    },
    interpose(linkId: number, fn: (packet: Packet, atPs: Ps) => readonly Packet[]): void {
      const channel = `fabric interpose ${nameOf(linkId)}`;
      fabric.interpose!(linkId, (packet, atPs) => {
        recordNetwork(hosts, channel, packet, modelCrypto);
        return fn(packetCopy(packet), atPs);
      });
    },
    inject(packet: Packet, atPs?: Ps): void {
      checkPacket(packet);
      const own = packetCopy(packet);
      if (atPs === undefined || atPs === fabric.now) {
        fabric.send(own);
        return;
      }
      if (!Number.isSafeInteger(atPs) || atPs < fabric.now) {
        throw new EmuError('CLUSTER_BAD_PACKET', `injection time ${atPs} must be an integer ≥ now (${fabric.now} ps)`, { atPs });
      }
      fabric.schedule(atPs, () => fabric.send(own));
    },
    fault(linkId: number, atPs: Ps, fault: LinkFault): void {
      fabric.fault(linkId, atPs, fault);
    },
    interposeHandshake(fn): void {
      if (typeof fn !== 'function') throw new EmuError('CLUSTER_BAD_OPTIONS', 'a handshake interposer is a function');
      if (rewriters.length >= HANDSHAKE_REWRITERS_MAX) throw new EmuError('CLUSTER_BAD_OPTIONS', `at most ${HANDSHAKE_REWRITERS_MAX} handshake interposers`);
      rewriters.push(fn);
    },
  };
  return { handle, rewriters };
}
