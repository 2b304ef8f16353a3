// KEY_EXCHANGE / KEY_EXCHANGE_RSP / FINISH / FINISH_RSP (SPDM 1.1, ECDHE P-384, no mutual auth, handshake
// encrypted), the certificate chain buffer, and the transcript both ends hash (VCA ‖ H(chain) ‖ K ‖ F).
import { EmuError, assert } from '../errors.ts';
import { concatBytes, equalBytes } from './bytes.ts';
import { sha384 } from './hash.ts';
import {
  SPDM_DHE_BYTES,
  SPDM_HASH_BYTES,
  SPDM_RANDOM_BYTES,
  SPDM_SIGNATURE_BYTES,
  SPDM_V11,
  SpdmCode,
  SpdmReader,
  header,
  malformed,
} from './spdm-wire.ts';

export const SUMMARY_NONE = 0x00;
export const SUMMARY_TCB = 0x01;
export const SUMMARY_ALL = 0xff;
export const KEY_EXCHANGE_OPAQUE_BYTES_MAX = 1024;

export interface KeyExchange {
  readonly summaryType: number;
  readonly slot: number;
  readonly reqSessionId: number;
  readonly random: Uint8Array;
  /** P-384 X ‖ Y, 96 bytes. */
  readonly dhe: Uint8Array;
  readonly opaque: Uint8Array;
}

export function encodeKeyExchange(k: KeyExchange): Uint8Array {
  return header(SPDM_V11, SpdmCode.KEY_EXCHANGE, k.summaryType, k.slot)
    .u16(k.reqSessionId)
    .u16(0)
    .bytes(k.random)
    .bytes(k.dhe)
    .u16(k.opaque.length)
    .bytes(k.opaque)
    .done();
}

export function decodeKeyExchange(m: Uint8Array): KeyExchange {
  const r = new SpdmReader(m, 'KEY_EXCHANGE');
  r.take(2, 'header');
  const summaryType = r.u8('MeasurementSummaryHashType');
  const slot = r.u8('SlotID');
  const reqSessionId = r.u16('ReqSessionID');
  r.u16('reserved');
  const random = r.take(SPDM_RANDOM_BYTES, 'RandomData').slice();
  const dhe = r.take(SPDM_DHE_BYTES, 'ExchangeData').slice();
  const opaqueLength = r.u16('OpaqueDataLength');
  if (opaqueLength > KEY_EXCHANGE_OPAQUE_BYTES_MAX) malformed('KEY_EXCHANGE: opaque data over 1024 bytes');
  const opaque = r.take(opaqueLength, 'OpaqueData').slice();
  r.end();
  if (summaryType !== SUMMARY_NONE && summaryType !== SUMMARY_TCB && summaryType !== SUMMARY_ALL) {
    malformed(`KEY_EXCHANGE: measurement summary hash type ${summaryType}`);
  }
  return { summaryType, slot, reqSessionId, random, dhe, opaque };
}

export interface KeyExchangeRsp {
  readonly heartbeatPeriod: number;
  readonly rspSessionId: number;
  readonly mutAuthRequested: number;
  readonly reqSlotIdParam: number;
  readonly random: Uint8Array;
  readonly dhe: Uint8Array;
  /** Empty when the request asked for no summary. */
  readonly summaryHash: Uint8Array;
  readonly opaque: Uint8Array;
}

/** The response up to (not including) the signature: what the signature and TH1 start from. */
export function encodeKeyExchangeRspPartial(k: KeyExchangeRsp): Uint8Array {
  return header(SPDM_V11, SpdmCode.KEY_EXCHANGE_RSP, k.heartbeatPeriod, 0)
    .u16(k.rspSessionId)
    .u8(k.mutAuthRequested)
    .u8(k.reqSlotIdParam)
    .bytes(k.random)
    .bytes(k.dhe)
    .bytes(k.summaryHash)
    .u16(k.opaque.length)
    .bytes(k.opaque)
    .done();
}

export interface DecodedKeyExchangeRsp extends KeyExchangeRsp {
  readonly partial: Uint8Array;
  readonly signature: Uint8Array;
  readonly verifyData: Uint8Array;
}

/** `summaryPresent` comes from our own request: the response does not say whether it carries the hash. */
export function decodeKeyExchangeRsp(m: Uint8Array, summaryPresent: boolean): DecodedKeyExchangeRsp {
  const r = new SpdmReader(m, 'KEY_EXCHANGE_RSP');
  r.take(2, 'header');
  const heartbeatPeriod = r.u8('HeartbeatPeriod');
  r.u8('reserved');
  const rspSessionId = r.u16('RspSessionID');
  const mutAuthRequested = r.u8('MutAuthRequested');
  const reqSlotIdParam = r.u8('ReqSlotIDParam');
  const random = r.take(SPDM_RANDOM_BYTES, 'RandomData').slice();
  const dhe = r.take(SPDM_DHE_BYTES, 'ExchangeData').slice();
  const summaryHash = r.take(summaryPresent ? SPDM_HASH_BYTES : 0, 'MeasurementSummaryHash').slice();
  const opaqueLength = r.u16('OpaqueDataLength');
  if (opaqueLength > KEY_EXCHANGE_OPAQUE_BYTES_MAX) malformed('KEY_EXCHANGE_RSP: opaque data over 1024 bytes');
  const opaque = r.take(opaqueLength, 'OpaqueData').slice();
  const partialEnd = r.offset;
  const signature = r.take(SPDM_SIGNATURE_BYTES, 'Signature').slice();
  const verifyData = r.take(SPDM_HASH_BYTES, 'ResponderVerifyData').slice();
  r.end();
  return {
    heartbeatPeriod,
    rspSessionId,
    mutAuthRequested,
    reqSlotIdParam,
    random,
    dhe,
    summaryHash,
    opaque,
    partial: m.slice(0, partialEnd),
    signature,
    verifyData,
  };
}

/** FINISH without mutual auth: header ‖ RequesterVerifyData. */
export const FINISH_HEADER = (): Uint8Array => header(SPDM_V11, SpdmCode.FINISH, 0, 0).done();

export function decodeFinish(m: Uint8Array): { header: Uint8Array; verifyData: Uint8Array } {
  const r = new SpdmReader(m, 'FINISH');
  r.take(2, 'header');
  if (r.u8('param1') !== 0) malformed('FINISH: a signature (mutual auth) was not requested');
  if (r.u8('param2') !== 0) malformed('FINISH: requester slot must be 0');
  const verifyData = r.take(SPDM_HASH_BYTES, 'RequesterVerifyData').slice();
  r.end();
  return { header: m.slice(0, 4), verifyData };
}

export const encodeFinishRsp = (): Uint8Array => header(SPDM_V11, SpdmCode.FINISH_RSP, 0, 0).done();

/** P-384 X ‖ Y ↔ SEC1 uncompressed point. */
export function dheToPoint(dhe: Uint8Array): Uint8Array {
  assert(dhe.length === SPDM_DHE_BYTES, 'P-384 exchange data is 96 bytes');
  return concatBytes(Uint8Array.of(0x04), dhe);
}

export function pointToDhe(point: Uint8Array): Uint8Array {
  assert(point.length === 97 && point[0] === 0x04, 'expected an uncompressed P-384 point');
  return point.slice(1);
}

// ---- certificate chain buffer: Length(2) ‖ Reserved(2) ‖ H(root DER) ‖ DER certificates, root first ----

export const CERT_CHAIN_BYTES_MAX = 0xffff;
const CHAIN_CERTS_MAX = 16;

export function buildCertChain(chainDer: readonly Uint8Array[]): Uint8Array {
  assert(chainDer.length > 0 && chainDer.length <= CHAIN_CERTS_MAX, 'a chain holds 1..16 certificates');
  const certs = concatBytes(...chainDer);
  const length = 4 + SPDM_HASH_BYTES + certs.length;
  assert(length <= CERT_CHAIN_BYTES_MAX, 'certificate chain over 65535 bytes');
  return concatBytes(Uint8Array.of(length & 0xff, length >>> 8, 0, 0), sha384(chainDer[0]!), certs);
}

/** Splits a chain buffer into DER certificates (root first) and checks Length and the root hash. */
export function splitCertChain(chain: Uint8Array): Uint8Array[] {
  if (chain.length < 4 + SPDM_HASH_BYTES) malformed('certificate chain shorter than its header');
  const length = chain[0]! | (chain[1]! << 8);
  if (length !== chain.length) malformed('certificate chain Length does not match the bytes received');
  if (chain[2] !== 0 || chain[3] !== 0) malformed('certificate chain reserved bytes are not zero');
  const certs: Uint8Array[] = [];
  let offset = 4 + SPDM_HASH_BYTES;
  while (offset < chain.length) {
    if (certs.length >= CHAIN_CERTS_MAX) malformed('certificate chain holds too many certificates');
    const end = offset + derElementLength(chain, offset);
    certs.push(chain.slice(offset, end));
    offset = end;
  }
  if (certs.length === 0) malformed('certificate chain holds no certificate');
  if (!equalBytes(sha384(certs[0]!), chain.subarray(4, 4 + SPDM_HASH_BYTES))) {
    throw new EmuError('SPDM_CHAIN_DIGEST_MISMATCH', 'the chain RootHash is not the hash of its first certificate');
  }
  return certs;
}

function derElementLength(bytes: Uint8Array, at: number): number {
  if (bytes.length - at < 2 || bytes[at] !== 0x30) malformed('certificate chain: expected a DER SEQUENCE', { offset: at });
  const first = bytes[at + 1]!;
  let length = first;
  let head = 2;
  if (first >= 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 3 || bytes.length - at < 2 + count) malformed('certificate chain: bad DER length', { offset: at });
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[at + 2 + i]!;
    head += count;
  }
  if (at + head + length > bytes.length) malformed('certificate chain: certificate runs past the chain', { offset: at });
  return head + length;
}

/** The bytes the KEY_EXCHANGE/FINISH transcript hashes: VCA ‖ H(chain) ‖ the session's messages so far. */
export class SessionTranscript {
  readonly #parts: Uint8Array[];
  constructor(vca: Uint8Array, chainHash: Uint8Array) {
    assert(chainHash.length === SPDM_HASH_BYTES, 'Ct is a SHA-384');
    this.#parts = [vca.slice(), chainHash.slice()];
  }
  append(bytes: Uint8Array): this {
    this.#parts.push(bytes.slice());
    return this;
  }
  /** The transcript bytes with `extra` appended (not kept). */
  with(...extra: Uint8Array[]): Uint8Array {
    return concatBytes(...this.#parts, ...extra);
  }
  hashWith(...extra: Uint8Array[]): Uint8Array {
    return sha384(this.with(...extra));
  }
}
