// The fabric boundary: a packet from the wire reaches the receiving NIC's secure-link protector (open), and what
// it lets through is decoded as an SRD header. Packets are objects on the wire of this emulator, so an input is
// the packet as JSON (payload as base64); JSON-aware mutations change its header's fields, types and nesting.
import { createDomainProtectors, type Packet } from '../../src/efa/index.ts';
import { isAckHeader, isDataHeader } from '../../src/efa/srd/header.ts';
import { type FuzzTarget, StateChangedAfterRefusal } from '../types.ts';

const HOSTS = [1, 2];
const DOMAIN_SECRET = new Uint8Array(32).fill(0x5a);
const JOB = 'fuzz-job';

function protectors() {
  const map = createDomainProtectors({ hosts: HOSTS, jobId: JOB, domainSecret: DOMAIN_SECRET });
  return { sender: map.get(1)!, receiver: map.get(2)! };
}

function toJson(packet: Packet): Uint8Array {
  const { payload, ...rest } = packet;
  return new TextEncoder().encode(JSON.stringify({ ...rest, ...(payload === undefined ? {} : { payload: Buffer.from(payload).toString('base64') }) }));
}

/** The wire form back into a Packet; fields keep whatever type the input gave them (the protector must cope). */
function fromJson(input: Uint8Array): Packet | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(input));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const fields = value as Record<string, unknown>;
  // src, dst, entropy, kind and wireBytes are the fabric's own typed fields (it routes and counts by them);
  // header and payload are what a peer puts on the wire, so they stay as hostile as the input makes them.
  const { src, dst, entropy, kind, wireBytes } = fields;
  const isInt = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (!isInt(src) || !isInt(dst) || !isInt(entropy) || !isInt(wireBytes) || (kind !== 'data' && kind !== 'ack')) return undefined;
  const packet = { ...fields } as unknown as Packet;
  if (typeof fields['payload'] === 'string') packet.payload = new Uint8Array(Buffer.from(fields['payload'], 'base64'));
  else delete (packet as { payload?: unknown }).payload;
  return packet;
}

export const fabricPacket: FuzzTarget = {
  name: 'fabric-packet',
  format: 'json',
  setup() {
    const { sender } = protectors();
    const data = (psn: number, payload: Uint8Array): Packet => ({
      src: 1,
      dst: 2,
      entropy: psn % 7,
      kind: 'data',
      wireBytes: payload.length + 64,
      header: { t: 'srd-data', psn, basePsn: 0, ev: psn % 7, pathSeq: psn, txPs: 1000 * psn, msgId: 1, offset: 0, length: payload.length, msgBytes: payload.length },
      payload,
    });
    const ack: Packet = { src: 1, dst: 2, entropy: 3, kind: 'ack', wireBytes: 64, header: { t: 'srd-ack', psn: 0, cumPsn: 1, ev: 3, pathSeq: 0, txPs: 5, drop: 0 } };
    const sealed = [sender.seal(data(0, new TextEncoder().encode('gradient shard'))), sender.seal(ack), sender.seal(data(1, new Uint8Array(512).fill(3)))];
    const seeds = sealed.map(toJson);
    return {
      seeds,
      run(input) {
        const packet = fromJson(input);
        if (packet === undefined) return 'typed';
        const { receiver } = protectors();
        const opened = receiver.open(packet);
        if (opened !== null) return isDataHeader(opened.header) || isAckHeader(opened.header) ? 'valid' : 'typed';
        // A refused packet must not have moved the replay window or the epoch: every genuine packet still opens.
        for (const genuine of sealed) {
          if (receiver.open({ ...genuine }) === null) throw new StateChangedAfterRefusal(`a genuine packet no longer opens after refusing ${new TextDecoder().decode(input).slice(0, 120)}`);
        }
        return 'typed';
      },
    };
  },
};
