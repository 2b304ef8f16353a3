import { EmuError } from '../../errors.ts';
import type { Packet, Ps } from '../contracts.ts';

// The fabric's active man in the middle (Fabric.interpose): a link's interposers rewrite each packet about to enter
// it. Whatever they return is held to the rules a host's own send is held to, so an attacker's packet can never
// reach a switch that a NIC could not have sent.

/** Bounds on the active man in the middle: interposers per link, and packets one call may put in the link's place. */
export const INTERPOSERS_PER_LINK_MAX = 16;
export const INTERPOSED_PACKETS_MAX = 64;

export type Interposer = (packet: Packet, atPs: Ps) => readonly Packet[];

/** The check that `host` is a host of a fabric of `hostCount` hosts; `field` names it in the error. */
export function hostChecker(hostCount: number): (host: number, field: string) => void {
  return (host, field) => {
    if (!Number.isSafeInteger(host) || host < 0 || host >= hostCount) {
      throw new EmuError('EFA_BAD_HOST', `${field} ${host} is not a host of this fabric (0..${hostCount - 1})`, { host });
    }
  };
}

/** The checks `send` applies to a packet a host makes: hosts of this fabric, wire size, 32-bit entropy, kind. */
export function packetChecker(hostCount: number, wireBytesMax: number): (packet: Packet) => void {
  const checkHost = hostChecker(hostCount);
  return (packet) => {
    checkHost(packet.src, 'packet src');
    checkHost(packet.dst, 'packet dst');
    if (!Number.isSafeInteger(packet.wireBytes) || packet.wireBytes < 1 || packet.wireBytes > wireBytesMax) {
      throw new EmuError('EFA_BAD_PACKET', `wireBytes must be an integer in 1..${wireBytesMax}`, { wireBytes: packet.wireBytes });
    }
    if (!Number.isSafeInteger(packet.entropy) || packet.entropy < 0 || packet.entropy > 0xffff_ffff) {
      throw new EmuError('EFA_BAD_PACKET', 'entropy must be a 32-bit unsigned integer', { entropy: packet.entropy });
    }
    if (packet.kind !== 'data' && packet.kind !== 'ack') throw new EmuError('EFA_BAD_PACKET', 'kind must be data or ack', { kind: packet.kind });
  };
}

/** Runs a link's interposers in order over one packet; every packet they return is checked before any enters. */
export function runInterposers(chain: readonly Interposer[], packet: Packet, atPs: Ps, check: (packet: Packet) => void): readonly Packet[] {
  let current: readonly Packet[] = [packet];
  for (const fn of chain) {
    const next: Packet[] = [];
    for (const p of current) {
      const out = fn(p, atPs);
      if (!Array.isArray(out) || out.length > INTERPOSED_PACKETS_MAX) {
        throw new EmuError('EFA_BAD_PACKET', `an interposer must return an array of at most ${INTERPOSED_PACKETS_MAX} packets`);
      }
      for (const q of out as readonly Packet[]) {
        check(q);
        next.push(q);
      }
      if (next.length > INTERPOSED_PACKETS_MAX) {
        throw new EmuError('EFA_BAD_PACKET', `interposers on one link made more than ${INTERPOSED_PACKETS_MAX} packets of one`);
      }
    }
    current = next;
  }
  return current;
}
