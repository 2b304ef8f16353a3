// The target side of RDMA write and read: the NIC checks key, access and bounds of the whole operation on every
// packet (so a bad operation writes nothing), places or fetches the bytes without the target application, and
// answers. efa-direct also insists the initiator is in the target's address vector (fi_efa(7)).
import { nameKey, type EndpointName } from './address.ts';
import { BLANK, type EpCore } from './core.ts';
import { FI_ADDR_UNSPEC, FI_REMOTE_READ, FI_REMOTE_WRITE } from './types.ts';
import { PktType, RESP_CODES, type RespCode, type WirePacket } from './wire.ts';

/** Writes being assembled at once per endpoint; the oldest partial one is forgotten beyond this. */
export const RMA_WRITES_TRACKED_MAX = 4096;

export class RmaTarget {
  readonly #core: EpCore;
  /** Bytes placed so far per (initiator, opId). */
  readonly #writes = new Map<string, number>();

  constructor(core: EpCore) {
    this.#core = core;
  }

  onWrite(pkt: WirePacket, from: EndpointName): void {
    const refused = this.#check(pkt, from, FI_REMOTE_WRITE);
    if (refused !== undefined) {
      this.#respond(from, pkt, refused);
      return;
    }
    const region = this.#core.mr.check(pkt.rkey, pkt.rOffset, pkt.totalLen, FI_REMOTE_WRITE);
    if (!region.ok) return;
    region.region.bytes.set(pkt.payload, pkt.rOffset + pkt.segOffset);
    const key = `${nameKey(from)}#${pkt.opId}`;
    const placed = (this.#writes.get(key) ?? 0) + pkt.payload.length;
    if (placed < pkt.totalLen) {
      if (!this.#writes.has(key) && this.#writes.size >= RMA_WRITES_TRACKED_MAX) {
        const oldest = this.#writes.keys().next().value as string;
        this.#writes.delete(oldest);
        this.#core.count('rmaWritesForgotten');
      }
      this.#writes.set(key, placed);
      return;
    }
    this.#writes.delete(key);
    this.#core.count('rmaWritesPlaced');
    this.#respond(from, pkt, 'OK');
  }

  onReadReq(pkt: WirePacket, from: EndpointName): void {
    const refused = this.#check(pkt, from, FI_REMOTE_READ);
    if (refused !== undefined) {
      this.#respond(from, pkt, refused);
      return;
    }
    const region = this.#core.mr.check(pkt.rkey, pkt.rOffset, pkt.totalLen, FI_REMOTE_READ);
    if (!region.ok) return;
    if (pkt.totalLen === 0) {
      this.#respond(from, pkt, 'OK');
      return;
    }
    const step = this.#core.limits.segmentBytesMax;
    const base = pkt.rOffset;
    for (let offset = 0; offset < pkt.totalLen; offset += step) {
      const end = Math.min(pkt.totalLen, offset + step);
      this.#core.send(from, {
        ...BLANK, type: PktType.READ_RESP, opId: pkt.opId, totalLen: pkt.totalLen, segOffset: offset,
        payload: region.region.bytes.slice(base + offset, base + end),
      });
    }
    this.#core.count('rmaReadsServed');
  }

  #check(pkt: WirePacket, from: EndpointName, access: number): RespCode | undefined {
    if (pkt.totalLen > this.#core.limits.rmaSizeMax) return 'MSG_TOO_LARGE';
    if (this.#core.mode === 'efa-direct' && this.#core.av.reverse(from) === FI_ADDR_UNSPEC) return 'RMA_PEER_UNKNOWN';
    const result = this.#core.mr.check(pkt.rkey, pkt.rOffset, pkt.totalLen, access);
    if (!result.ok) {
      this.#core.count(`rmaRefused.${result.code}`);
      return result.code;
    }
    return undefined;
  }

  #respond(to: EndpointName, pkt: WirePacket, code: RespCode): void {
    this.#core.send(to, { ...BLANK, type: PktType.RESP, opId: pkt.opId, code: RESP_CODES.indexOf(code) });
  }
}
