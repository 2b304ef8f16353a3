// fi_domain over a whole emulated fabric: one NIC per host (its Transport, its endpoints by qpn), the message ids
// handed to the transport, reassembly of delivered segments into our packets, strict decoding, and the NIC's own
// BAD_QP answer for packets to endpoints that do not exist.
import { EmuError, assert } from '../../errors.ts';
import type { DeliveredSegment, Fabric, HostId, Transport } from '../contracts.ts';
import { QPN_MAX, type EndpointName } from './address.ts';
import type { PacketDone, ResolvedLimits } from './core.ts';
import { Endpoint } from './endpoint.ts';
import { ENDPOINT_DEFAULTS, ENDPOINT_LIMITS, type EndpointOptions } from './types.ts';
import {
  PktFlag, PktType, RESP_CODES, WIRE_HEADER_BYTES, decodePacket, encodePacket, isOrderedType, type WirePacket,
} from './wire.ts';

export interface DomainOptions {
  readonly fabric: Fabric;
  /** The NIC transport of a host (SRD, or a baseline). Called once per host; one domain per transport. */
  readonly transportFor: (host: HostId) => Transport;
}

/** A NIC's verdict on an arriving segment before it ACKs (shape of SrdOptions['admit']'s result). */
export type Admission = 'OK' | 'RNR' | 'BAD_QP';

export interface Domain {
  readonly fabric: Fabric;
  endpoint(options: EndpointOptions): Endpoint;
  /**
   * Optional device-level receive check for transports that have one (SRD's `admit` hook): BAD_QP for a request
   * to an endpoint that does not exist, RNR for an efa-direct send with no receive posted; the sender's transport
   * then fails the message with that code. Wire it as
   * `createSrdTransport(fabric, h, { admit: (s) => domain.admit(h, s) })`. Without it the same refusals come
   * back as RESP packets.
   */
  admit(host: HostId, segment: DeliveredSegment): Admission;
  stats(): Readonly<Record<string, number>>;
}

/** Partially delivered transport messages kept per host; the oldest is dropped (counted) beyond this. */
export const REASSEMBLY_MAX = 8192;
const ENDPOINTS_PER_HOST_MAX = 4096;

interface Partial {
  readonly bytes: Uint8Array;
  received: number;
}

interface Nic {
  readonly host: HostId;
  readonly transport: Transport;
  readonly endpoints: Map<number, Endpoint>;
  readonly partials: Map<string, Partial>;
  nextQpn: number;
  nextMessageId: number;
  readonly random: { bytes(n: number): Uint8Array };
}

export function createDomain(options: DomainOptions): Domain {
  const { fabric, transportFor } = options;
  const nics = new Map<HostId, Nic>();
  const counters = new Map<string, number>();
  const count = (name: string): void => {
    counters.set(name, (counters.get(name) ?? 0) + 1);
  };
  const mtu = fabric.config.mtuPayloadBytes;
  assert(Number.isInteger(mtu) && mtu > WIRE_HEADER_BYTES, 'fabric MTU must exceed the endpoint header');
  // Our packets are at most header + MTU (an efa-direct send of a full MTU); anything larger is not ours.
  const packetBytesMax = WIRE_HEADER_BYTES + mtu;

  function nic(host: HostId): Nic {
    let found = nics.get(host);
    if (found === undefined) {
      const transport = transportFor(host);
      assert(transport.host === host, 'transportFor(host) returned another host\'s transport');
      found = {
        host, transport, endpoints: new Map(), partials: new Map(), nextQpn: 1, nextMessageId: 1,
        random: fabric.random(`efa-api/nic/${host}`),
      };
      const created = found;
      transport.onDeliver((segment) => onSegment(created, segment));
      nics.set(host, found);
    }
    return found;
  }

  function transmit(from: Nic, dstHost: HostId, bytes: Uint8Array, done: PacketDone | undefined): void {
    count('packetsSent');
    if (dstHost === from.host) {
      // Same host: the NIC loops the packet back (shm-like), at the current instant.
      fabric.schedule(fabric.now, () => {
        onPacket(from, from.host, bytes);
        done?.(true, undefined);
      });
      return;
    }
    const id = from.nextMessageId;
    from.nextMessageId = (from.nextMessageId % Number.MAX_SAFE_INTEGER) + 1;
    from.transport.post({
      id, dst: dstHost, bytes: bytes.length, payload: bytes,
      onComplete: (completion) => done?.(completion.ok, completion.code),
    });
  }

  function onSegment(to: Nic, segment: DeliveredSegment): void {
    const { payload } = segment;
    if (payload === undefined || payload.length !== segment.length || segment.messageBytes > packetBytesMax
      || segment.offset + segment.length > segment.messageBytes) {
      count('segmentsMalformed');
      return;
    }
    if (segment.offset === 0 && segment.length === segment.messageBytes) {
      onPacket(to, segment.src, payload);
      return;
    }
    const key = `${segment.src}:${segment.messageId}`;
    let partial = to.partials.get(key);
    if (partial === undefined) {
      if (to.partials.size >= REASSEMBLY_MAX) {
        to.partials.delete(to.partials.keys().next().value as string);
        count('reassemblyEvicted');
      }
      partial = { bytes: new Uint8Array(segment.messageBytes), received: 0 };
      to.partials.set(key, partial);
    } else if (partial.bytes.length !== segment.messageBytes) {
      count('segmentsMalformed');
      return;
    }
    partial.bytes.set(payload, segment.offset);
    partial.received += segment.length;
    if (partial.received < partial.bytes.length) return;
    to.partials.delete(key);
    onPacket(to, segment.src, partial.bytes);
  }

  function onPacket(to: Nic, srcHost: HostId, bytes: Uint8Array): void {
    let pkt: WirePacket;
    try {
      pkt = decodePacket(bytes, ENDPOINT_LIMITS.sizeMax);
    } catch (error) {
      count('packetsMalformed');
      // Report to the endpoint the header names, if any: an injected packet is a visible event, not a crash.
      if (bytes.length >= 6) {
        const qpn = bytes[4]! | (bytes[5]! << 8);
        to.endpoints.get(qpn)?.reportMalformed(error instanceof EmuError ? error.message : 'undecodable packet');
      }
      return;
    }
    const from: EndpointName = { host: srcHost, qpn: pkt.srcQpn, connid: pkt.srcConnId };
    const endpoint = to.endpoints.get(pkt.dstQpn);
    if (endpoint === undefined || endpoint.connid !== pkt.dstConnId || endpoint.closed) {
      badQp(to, srcHost, pkt);
      return;
    }
    count('packetsDelivered');
    endpoint.deliver(pkt, from);
  }

  /** The NIC answers requests to a missing endpoint itself, as SRD acks with drop=BAD_QP. */
  function badQp(to: Nic, srcHost: HostId, pkt: WirePacket): void {
    count('badQp');
    const ordered = isOrderedType(pkt.type);
    const request = ordered || pkt.type === PktType.DIRECT_SEND || pkt.type === PktType.WRITE
      || pkt.type === PktType.READ_REQ;
    if (!request) return;
    const resp = encodePacket({
      type: PktType.RESP, flags: ordered ? PktFlag.ORDERED : 0, dstQpn: pkt.srcQpn, srcQpn: pkt.dstQpn,
      dstConnId: pkt.srcConnId, srcConnId: pkt.dstConnId, msgId: pkt.msgId, opId: pkt.opId, tag: 0n, data: 0,
      totalLen: 0, segOffset: 0, rkey: 0, rOffset: 0, code: RESP_CODES.indexOf('BAD_QP'),
    });
    transmit(to, srcHost, resp, undefined);
  }

  function admit(host: HostId, segment: DeliveredSegment): Admission {
    const { payload } = segment;
    // Only a packet's first segment carries the header; anything odd is left to the strict decoder.
    if (segment.offset !== 0 || payload === undefined || payload.length < WIRE_HEADER_BYTES) return 'OK';
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    const type = view.getUint8(1);
    const request = isOrderedType(type) || type === PktType.DIRECT_SEND || type === PktType.WRITE
      || type === PktType.READ_REQ;
    if (!request) return 'OK';
    const endpoint = nics.get(host)?.endpoints.get(view.getUint16(4, true));
    if (endpoint === undefined || endpoint.closed || endpoint.connid !== view.getUint32(8, true)) {
      count('admitBadQp');
      return 'BAD_QP';
    }
    if (type !== PktType.DIRECT_SEND || endpoint.mode !== 'efa-direct') return 'OK';
    const from = { host: segment.src, qpn: view.getUint16(6, true), connid: view.getUint32(12, true) };
    if (endpoint.admitsDirectSend(from)) return 'OK';
    count('admitRnr');
    return 'RNR';
  }

  function resolveLimits(options: EndpointOptions): ResolvedLimits {
    const pick = (name: keyof typeof ENDPOINT_DEFAULTS, max: number): number => {
      const value = (options as unknown as Record<string, unknown>)[name] ?? ENDPOINT_DEFAULTS[name];
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
        throw new EmuError('EP_BAD_OPTION', `${name} must be an integer in [0, ${max}]`, { [name]: value });
      }
      return value;
    };
    const { queueSizeMax, recvWindowSizeMax, sizeMax } = ENDPOINT_LIMITS;
    const direct = options.mode === 'efa-direct';
    const recvWindowSize = pick('recvWindowSize', recvWindowSizeMax);
    if (recvWindowSize < 1) throw new EmuError('EP_BAD_OPTION', 'recvWindowSize must be at least 1');
    const initialMsgId = options.initialMsgId ?? 0;
    if (!Number.isInteger(initialMsgId) || initialMsgId < 0 || initialMsgId > 0xffff_ffff) {
      throw new EmuError('EP_BAD_OPTION', 'initialMsgId must be a u32', { initialMsgId });
    }
    return {
      txSize: pick('txSize', queueSizeMax),
      rxSize: pick('rxSize', queueSizeMax),
      unexpectedMsgsMax: direct ? 0 : pick('unexpectedMsgsMax', queueSizeMax),
      recvWindowSize,
      senderWindowLimit: options.senderWindowLimit ?? true,
      responseTimeoutPs: Math.max(1, pick('responseTimeoutPs', Number.MAX_SAFE_INTEGER)),
      ctsWindowBytes: Math.max(1, pick('ctsWindowBytes', sizeMax)),
      msgSizeMax: direct ? mtu : pick('msgSizeMax', sizeMax),
      rmaSizeMax: pick('rmaSizeMax', sizeMax),
      initialMsgId,
      segmentBytesMax: mtu - WIRE_HEADER_BYTES,
      eagerBytesMax: mtu - WIRE_HEADER_BYTES,
    };
  }

  return {
    fabric,
    endpoint(options: EndpointOptions): Endpoint {
      if (options.mode !== 'efa' && options.mode !== 'efa-direct') {
        throw new EmuError('EP_BAD_OPTION', "mode must be 'efa' or 'efa-direct'", { mode: options.mode });
      }
      if (!Number.isInteger(options.host) || options.host < 0 || options.host >= fabric.hostCount) {
        throw new EmuError('EP_BAD_OPTION', 'host is not on this fabric', { host: options.host });
      }
      const limits = resolveLimits(options);
      const host = nic(options.host);
      if (host.endpoints.size >= ENDPOINTS_PER_HOST_MAX || host.nextQpn > QPN_MAX) {
        throw new EmuError('EP_LIMIT', 'no free queue pair number on this host', { host: options.host });
      }
      const qpn = host.nextQpn;
      host.nextQpn += 1;
      const randomU32 = (): number => {
        const b = host.random.bytes(4);
        return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
      };
      const endpoint = new Endpoint({
        host: options.host, qpn, connid: randomU32(), mode: options.mode, limits,
        now: () => fabric.now,
        schedule: (atPs, fn) => fabric.schedule(atPs, fn),
        transmit: (dstHost, bytes, done) => transmit(host, dstHost, bytes, done),
        randomU32,
        onClose: () => {
          host.endpoints.delete(qpn);
        },
      });
      host.endpoints.set(qpn, endpoint);
      return endpoint;
    },
    admit,
    stats(): Readonly<Record<string, number>> {
      return Object.fromEntries([...counters].sort(([a], [b]) => (a < b ? -1 : 1)));
    },
  };
}
