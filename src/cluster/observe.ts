// Who saw what on the fabric, filed in the hosts' ledgers: each parent sees every frame its EFA device sends or
// receives; the network sees what its taps and interposers touch. The fabric is one network shared by all hosts,
// so the network principal's observations go to every host's ledger (each world's checkers see the same network).
import { isSealedHeader, type Packet } from '../efa/index.ts';
import type { HostState } from './hosts.ts';
import type { ClusterNics } from './nics.ts';

/**
 * What an observer of the wire obtains from a frame: its payload (headers are the transports' counters and
 * addresses). With `crypto: 'model'` the NIC charges encryption without running AES, so a sealed frame still holds
 * plaintext in memory; what the wire would carry is ciphertext of that length, and zeros of that length are filed.
 */
function payloadOf(packet: Packet, modelCrypto: boolean): Uint8Array | undefined {
  const payload = packet.payload;
  if (!(payload instanceof Uint8Array) || payload.length === 0) return undefined;
  return modelCrypto && isSealedHeader(packet.header) ? new Uint8Array(payload.length) : payload;
}

export function recordNetwork(hosts: readonly HostState[], channel: string, packet: Packet, modelCrypto: boolean): void {
  const payload = payloadOf(packet, modelCrypto);
  if (payload === undefined) return;
  for (const h of hosts) h.world.observe('network', channel, payload);
}

/** Taps each rank's host link in both directions for its parent (the parent's EFA device is on that path). */
export function watchParents(nics: ClusterNics, hosts: readonly HostState[], modelCrypto: boolean): void {
  for (const h of hosts) {
    nics.fabric.tap(nics.uplinkOf(h.host), (packet) => {
      const payload = payloadOf(packet, modelCrypto);
      if (payload !== undefined) h.world.observe('parent-admin', `efa h${h.host} tx`, payload);
    });
    nics.fabric.tap(nics.downlinkOf(h.host), (packet) => {
      const payload = payloadOf(packet, modelCrypto);
      if (payload !== undefined) h.world.observe('parent-admin', `efa h${h.host} rx`, payload);
    });
  }
}

/** A copy the observer may keep or change without touching the packet in flight (or the sender's copy of it). */
export function packetCopy(packet: Packet): Packet {
  const copy: Packet = { src: packet.src, dst: packet.dst, entropy: packet.entropy, kind: packet.kind, wireBytes: packet.wireBytes, header: structuredClone(packet.header) };
  if (packet.payload !== undefined) copy.payload = packet.payload.slice();
  if (packet.corrupted === true) copy.corrupted = true;
  return copy;
}
