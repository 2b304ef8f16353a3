// The endpoint layer's packet: one fixed 64-byte header + payload, carried as one Transport message. Decoding is
// strict (a tap or a buggy peer can put anything on the wire): every malformed packet is a typed error, never a
// half-read structure.
import { EmuError } from '../../errors.ts';

export const WIRE_HEADER_BYTES = 64;
const WIRE_MAGIC = 0xe1;

export const PktType = {
  /** efa: whole message in one packet (RTM with msg_id). */
  EAGER: 1,
  /** efa: one segment of a ≤ 64 KiB message (RTM with msg_id and seg_offset). */
  MEDIUM: 2,
  /** efa-direct: one device send, no msg_id. */
  DIRECT_SEND: 3,
  /** Receiver → sender verdict on one operation (opId, code). */
  RESP: 4,
  WRITE: 5,
  READ_REQ: 6,
  READ_RESP: 7,
  /** efa: the sender gave up on msg_id (transport error): the receiver skips it to keep the window moving. */
  SKIP: 8,
  /** efa long-CTS: request to send (no data). */
  LONG_RTS: 9,
  /** efa long-CTS: receiver grants [segOffset, segOffset+segLen) of op opId; `rkey` carries the receiver's id. */
  CTS: 10,
  /** efa long-CTS: data of a granted window; `rkey` echoes the receiver's id. */
  CTS_DATA: 11,
  /** efa long-read (≥ 1 MiB): request to send; `rkey` names the sender's buffer, which the receiver RDMA-reads. */
  LONG_READ_RTS: 12,
} as const;
export type PktTypeValue = (typeof PktType)[keyof typeof PktType];
const PKT_TYPE_MAX = 12;

/** ORDERED (on RESP): the answer is about an efa msg_id, so it frees a slot of the sender's window. */
export const PktFlag = { TAGGED: 1, CQ_DATA: 2, ORDERED: 4 } as const;
const PKT_FLAGS_ALL = PktFlag.TAGGED | PktFlag.CQ_DATA | PktFlag.ORDERED;

/** Response codes carried in RESP.code (0 = accepted). Index into RESP_CODES. */
export const RESP_CODES = [
  'OK',
  'RNR',
  'RECV_WINDOW_OVERFLOW',
  'BAD_QP',
  'RMA_KEY_INVALID',
  'RMA_OUT_OF_BOUNDS',
  'RMA_ACCESS_DENIED',
  'RMA_PEER_UNKNOWN',
  'PROTOCOL_MISMATCH',
  'MSG_TOO_LARGE',
  'SKIPPED',
  'CANCELED',
  /** A long message's RTS was taken in order and waits for a receive (its CTS comes later). */
  'QUEUED',
  /** A long-read message was matched in order; the receiver is now reading it. */
  'READING',
] as const;
export type RespCode = (typeof RESP_CODES)[number];

/** Packets that carry an efa msg_id through the receiver's reorder window. */
export function isOrderedType(type: number): boolean {
  return type === PktType.EAGER || type === PktType.MEDIUM || type === PktType.LONG_RTS || type === PktType.LONG_READ_RTS
    || type === PktType.SKIP;
}

export interface WirePacket {
  readonly type: PktTypeValue;
  readonly flags: number;
  readonly dstQpn: number;
  readonly srcQpn: number;
  readonly dstConnId: number;
  readonly srcConnId: number;
  readonly msgId: number;
  readonly opId: number;
  readonly tag: bigint;
  readonly data: number;
  readonly totalLen: number;
  readonly segOffset: number;
  readonly rkey: number;
  readonly rOffset: number;
  readonly code: number;
  readonly payload: Uint8Array;
}

export type WireFields = Omit<WirePacket, 'payload'> & { readonly payload?: Uint8Array };

export function encodePacket(p: WireFields): Uint8Array {
  const payload = p.payload ?? new Uint8Array(0);
  const out = new Uint8Array(WIRE_HEADER_BYTES + payload.length);
  const v = new DataView(out.buffer);
  v.setUint8(0, WIRE_MAGIC);
  v.setUint8(1, p.type);
  v.setUint16(2, p.flags, true);
  v.setUint16(4, p.dstQpn, true);
  v.setUint16(6, p.srcQpn, true);
  v.setUint32(8, p.dstConnId, true);
  v.setUint32(12, p.srcConnId, true);
  v.setUint32(16, p.msgId, true);
  v.setUint32(20, p.opId, true);
  v.setBigUint64(24, BigInt.asUintN(64, p.tag), true);
  v.setUint32(32, p.data, true);
  v.setUint32(36, p.totalLen, true);
  v.setUint32(40, p.segOffset, true);
  v.setUint32(44, payload.length, true);
  v.setUint32(48, p.rkey, true);
  v.setUint32(52, p.rOffset, true);
  v.setUint32(56, p.code, true);
  out.set(payload, WIRE_HEADER_BYTES);
  return out;
}

function malformed(reason: string): EmuError {
  return new EmuError('MALFORMED_PACKET', reason);
}

/** Every field is checked against its type's shape; `totalLenMax` bounds what a packet may claim. */
export function decodePacket(bytes: Uint8Array, totalLenMax: number): WirePacket {
  if (bytes.length < WIRE_HEADER_BYTES) throw malformed('shorter than the header');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint8(0) !== WIRE_MAGIC) throw malformed('bad magic');
  const type = v.getUint8(1);
  if (type < 1 || type > PKT_TYPE_MAX) throw malformed('unknown packet type');
  const flags = v.getUint16(2, true);
  if ((flags & ~PKT_FLAGS_ALL) !== 0) throw malformed('unknown flag bits');
  const segLen = v.getUint32(44, true);
  if (v.getUint32(60, true) !== 0) throw malformed('reserved field set');
  if (bytes.length !== WIRE_HEADER_BYTES + segLen) throw malformed('length does not match segment length');
  const totalLen = v.getUint32(36, true);
  const segOffset = v.getUint32(40, true);
  const code = v.getUint32(56, true);
  if (totalLen > totalLenMax) throw malformed('total length over the limit');
  if (code >= RESP_CODES.length) throw malformed('unknown response code');
  const t = type as PktTypeValue;
  const carriesData = t === PktType.EAGER || t === PktType.MEDIUM || t === PktType.DIRECT_SEND || t === PktType.WRITE
    || t === PktType.READ_RESP || t === PktType.CTS_DATA;
  if (carriesData) {
    if (segOffset + segLen > totalLen) throw malformed('segment beyond the message');
  } else if (segLen !== 0) {
    throw malformed('control packet with payload');
  }
  if ((t === PktType.EAGER || t === PktType.DIRECT_SEND) && (segOffset !== 0 || segLen !== totalLen)) {
    throw malformed('single-packet message must carry all of it');
  }
  if ((t === PktType.MEDIUM || t === PktType.WRITE || t === PktType.READ_RESP || t === PktType.CTS_DATA)
    && segLen === 0 && totalLen !== 0) {
    throw malformed('empty data segment');
  }
  if (t === PktType.CTS && (segOffset >= totalLen || v.getUint32(52, true) === 0
    || segOffset + v.getUint32(52, true) > totalLen)) {
    throw malformed('CTS grant outside the message');
  }
  if (t !== PktType.RESP && code !== 0) throw malformed('code on a non-response packet');
  return {
    type: t,
    flags,
    dstQpn: v.getUint16(4, true),
    srcQpn: v.getUint16(6, true),
    dstConnId: v.getUint32(8, true),
    srcConnId: v.getUint32(12, true),
    msgId: v.getUint32(16, true),
    opId: v.getUint32(20, true),
    tag: v.getBigUint64(24, true),
    data: v.getUint32(32, true),
    totalLen,
    segOffset,
    rkey: v.getUint32(48, true),
    rOffset: v.getUint32(52, true),
    code,
    payload: bytes.subarray(WIRE_HEADER_BYTES),
  };
}
