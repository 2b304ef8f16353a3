// SPDM 1.1 codecs for the connection phase (VERSION, CAPABILITIES, ALGORITHMS), DIGESTS, CERTIFICATE, ERROR,
// END_SESSION and VENDOR_DEFINED. Decoders are strict: exact lengths, reserved bytes zero, no trailing bytes.
import {
  SPDM_HASH_BYTES,
  SPDM_V10,
  SPDM_V11,
  SpdmAlgType,
  SpdmCode,
  SpdmReader,
  header,
  malformed,
} from './spdm-wire.ts';

function expectHeader(r: SpdmReader, version: number, code: number): { param1: number; param2: number } {
  const v = r.u8('version');
  const c = r.u8('code');
  if (c !== code) malformed(`${r.what}: code 0x${c.toString(16)} where 0x${code.toString(16)} was expected`);
  if (v !== version) malformed(`${r.what}: version 0x${v.toString(16)} where 0x${version.toString(16)} was expected`);
  return { param1: r.u8('param1'), param2: r.u8('param2') };
}

export const encodeGetVersion = (): Uint8Array => header(SPDM_V10, SpdmCode.GET_VERSION).done();

export function decodeGetVersion(m: Uint8Array): void {
  const r = new SpdmReader(m, 'GET_VERSION');
  expectHeader(r, SPDM_V10, SpdmCode.GET_VERSION);
  r.end();
}

/** VERSION with entries as u16 (major.minor in the high byte: 1.1 = 0x1100). */
export function encodeVersion(entries: readonly number[]): Uint8Array {
  const w = header(SPDM_V10, SpdmCode.VERSION).u8(0).u8(entries.length);
  for (const e of entries) w.u16(e);
  return w.done();
}

export function decodeVersion(m: Uint8Array): number[] {
  const r = new SpdmReader(m, 'VERSION');
  expectHeader(r, SPDM_V10, SpdmCode.VERSION);
  r.u8('reserved');
  const count = r.u8('entry count');
  const entries: number[] = [];
  for (let i = 0; i < count; i++) entries.push(r.u16('version entry'));
  r.end();
  return entries;
}

/** GET_CAPABILITIES and CAPABILITIES share the 1.1 layout: reserved, CTExponent, reserved(2), flags(4). */
export function encodeCapabilities(code: number, ctExponent: number, flags: number): Uint8Array {
  return header(SPDM_V11, code).u8(0).u8(ctExponent).u16(0).u32(flags).done();
}

export function decodeCapabilities(m: Uint8Array, code: number): { ctExponent: number; flags: number } {
  const r = new SpdmReader(m, code === SpdmCode.CAPABILITIES ? 'CAPABILITIES' : 'GET_CAPABILITIES');
  expectHeader(r, SPDM_V11, code);
  r.u8('reserved');
  const ctExponent = r.u8('CTExponent');
  r.u16('reserved');
  const flags = r.u32('flags');
  r.end();
  return { ctExponent, flags };
}

/** One of the four algorithm tables: type → supported (request) or selected (response) bits; no external entries. */
export type AlgTables = Readonly<Record<'dhe' | 'aead' | 'reqBaseAsym' | 'keySchedule', number>>;

const TABLE_ORDER = [
  ['dhe', SpdmAlgType.DHE],
  ['aead', SpdmAlgType.AEAD],
  ['reqBaseAsym', SpdmAlgType.REQ_BASE_ASYM],
  ['keySchedule', SpdmAlgType.KEY_SCHEDULE],
] as const;

function readTables(r: SpdmReader, count: number): AlgTables {
  const out: Record<string, number> = { dhe: 0, aead: 0, reqBaseAsym: 0, keySchedule: 0 };
  let lastType = 0;
  for (let i = 0; i < count; i++) {
    const type = r.u8('AlgType');
    const algCount = r.u8('AlgCount');
    const supported = r.u16('AlgSupported');
    // Fixed-size entries are 2 bytes; external algorithm entries are not part of this profile.
    if (algCount !== 0x20) malformed(`${r.what}: AlgCount 0x${algCount.toString(16)} (external algorithms are not supported)`);
    if (type <= lastType || type > SpdmAlgType.KEY_SCHEDULE || type < SpdmAlgType.DHE) {
      malformed(`${r.what}: algorithm table type ${type} repeated, out of order or unknown`);
    }
    lastType = type;
    const name = TABLE_ORDER.find(([, t]) => t === type)![0];
    out[name] = supported;
  }
  return out as AlgTables;
}

function writeTables(w: ReturnType<typeof header>, tables: AlgTables): void {
  for (const [name, type] of TABLE_ORDER) w.u8(type).u8(0x20).u16(tables[name]);
}

export interface NegotiateAlgorithms {
  readonly measurementSpec: number;
  readonly baseAsym: number;
  readonly baseHash: number;
  readonly tables: AlgTables;
}

/** 1.1 limits NEGOTIATE_ALGORITHMS to 128 bytes. */
const NEGOTIATE_BYTES_MAX = 128;

export function encodeNegotiateAlgorithms(n: NegotiateAlgorithms): Uint8Array {
  const length = 32 + 4 * TABLE_ORDER.length;
  const w = header(SPDM_V11, SpdmCode.NEGOTIATE_ALGORITHMS, TABLE_ORDER.length).u16(length).u8(n.measurementSpec).u8(0);
  w.u32(n.baseAsym).u32(n.baseHash).zeros(12).u8(0).u8(0).u16(0);
  writeTables(w, n.tables);
  return w.done();
}

export function decodeNegotiateAlgorithms(m: Uint8Array): NegotiateAlgorithms {
  if (m.length > NEGOTIATE_BYTES_MAX) malformed('NEGOTIATE_ALGORITHMS is longer than 128 bytes');
  const r = new SpdmReader(m, 'NEGOTIATE_ALGORITHMS');
  const { param1 } = expectHeader(r, SPDM_V11, SpdmCode.NEGOTIATE_ALGORITHMS);
  if (r.u16('Length') !== m.length) malformed('NEGOTIATE_ALGORITHMS: Length does not match the message');
  const measurementSpec = r.u8('MeasurementSpecification');
  r.u8('reserved');
  const baseAsym = r.u32('BaseAsymAlgo');
  const baseHash = r.u32('BaseHashAlgo');
  r.take(12, 'reserved');
  const extAsym = r.u8('ExtAsymCount');
  const extHash = r.u8('ExtHashCount');
  r.u16('reserved');
  if (extAsym !== 0 || extHash !== 0) r.take(4 * (extAsym + extHash), 'extended algorithms');
  const tables = readTables(r, param1);
  r.end();
  return { measurementSpec, baseAsym, baseHash, tables };
}

export interface Algorithms {
  readonly measurementSpec: number;
  readonly measurementHash: number;
  readonly baseAsym: number;
  readonly baseHash: number;
  readonly tables: AlgTables;
}

export function encodeAlgorithms(a: Algorithms): Uint8Array {
  const length = 36 + 4 * TABLE_ORDER.length;
  const w = header(SPDM_V11, SpdmCode.ALGORITHMS, TABLE_ORDER.length).u16(length).u8(a.measurementSpec).u8(0);
  w.u32(a.measurementHash).u32(a.baseAsym).u32(a.baseHash).zeros(12).u8(0).u8(0).u16(0);
  writeTables(w, a.tables);
  return w.done();
}

export function decodeAlgorithms(m: Uint8Array): Algorithms {
  const r = new SpdmReader(m, 'ALGORITHMS');
  const { param1 } = expectHeader(r, SPDM_V11, SpdmCode.ALGORITHMS);
  if (r.u16('Length') !== m.length) malformed('ALGORITHMS: Length does not match the message');
  const measurementSpec = r.u8('MeasurementSpecificationSel');
  r.u8('reserved');
  const measurementHash = r.u32('MeasurementHashAlgo');
  const baseAsym = r.u32('BaseAsymSel');
  const baseHash = r.u32('BaseHashSel');
  r.take(12, 'reserved');
  if (r.u8('ExtAsymSelCount') !== 0 || r.u8('ExtHashSelCount') !== 0) malformed('ALGORITHMS: extended algorithms selected');
  r.u16('reserved');
  const tables = readTables(r, param1);
  r.end();
  return { measurementSpec, measurementHash, baseAsym, baseHash, tables };
}

export const encodeGetDigests = (): Uint8Array => header(SPDM_V11, SpdmCode.GET_DIGESTS).done();

export function decodeGetDigests(m: Uint8Array): void {
  const r = new SpdmReader(m, 'GET_DIGESTS');
  expectHeader(r, SPDM_V11, SpdmCode.GET_DIGESTS);
  r.end();
}

/** DIGESTS for slot 0 only: param2 = slot mask 0x01, one SHA-384 of the chain. */
export function encodeDigests(slot0ChainHash: Uint8Array): Uint8Array {
  return header(SPDM_V11, SpdmCode.DIGESTS, 0, 0x01).bytes(slot0ChainHash).done();
}

export function decodeDigests(m: Uint8Array): Uint8Array[] {
  const r = new SpdmReader(m, 'DIGESTS');
  const { param2: mask } = expectHeader(r, SPDM_V11, SpdmCode.DIGESTS);
  const digests: Uint8Array[] = [];
  for (let slot = 0; slot < 8; slot++) if (mask & (1 << slot)) digests.push(r.take(SPDM_HASH_BYTES, `slot ${slot} digest`).slice());
  r.end();
  if ((mask & 1) === 0) malformed('DIGESTS: slot 0 is not provisioned');
  return digests;
}

export function encodeGetCertificate(slot: number, offset: number, length: number): Uint8Array {
  return header(SPDM_V11, SpdmCode.GET_CERTIFICATE, slot).u16(offset).u16(length).done();
}

export function decodeGetCertificate(m: Uint8Array): { slot: number; offset: number; length: number } {
  const r = new SpdmReader(m, 'GET_CERTIFICATE');
  const { param1 } = expectHeader(r, SPDM_V11, SpdmCode.GET_CERTIFICATE);
  const offset = r.u16('Offset');
  const length = r.u16('Length');
  r.end();
  return { slot: param1 & 0x0f, offset, length };
}

export function encodeCertificate(slot: number, portion: Uint8Array, remainder: number): Uint8Array {
  return header(SPDM_V11, SpdmCode.CERTIFICATE, slot).u16(portion.length).u16(remainder).bytes(portion).done();
}

export function decodeCertificate(m: Uint8Array): { slot: number; portion: Uint8Array; remainder: number } {
  const r = new SpdmReader(m, 'CERTIFICATE');
  const { param1 } = expectHeader(r, SPDM_V11, SpdmCode.CERTIFICATE);
  const portionLength = r.u16('PortionLength');
  const remainder = r.u16('RemainderLength');
  const portion = r.take(portionLength, 'certificate chain portion').slice();
  r.end();
  return { slot: param1 & 0x0f, portion, remainder };
}

export function encodeError(code: number, data = 0, extended: Uint8Array = new Uint8Array(0), version = SPDM_V11): Uint8Array {
  return header(version, SpdmCode.ERROR, code, data).bytes(extended).done();
}

export function decodeError(m: Uint8Array): { code: number; data: number; extended: Uint8Array } {
  const r = new SpdmReader(m, 'ERROR');
  if (r.u8('version') > SPDM_V11 + 2) malformed('ERROR: unknown version');
  if (r.u8('code') !== SpdmCode.ERROR) malformed('not an ERROR message');
  const code = r.u8('ErrorCode');
  const data = r.u8('ErrorData');
  return { code, data, extended: m.slice(4) };
}

export const isError = (m: Uint8Array): boolean => m.length >= 4 && m[1] === SpdmCode.ERROR;

export const encodeEndSession = (): Uint8Array => header(SPDM_V11, SpdmCode.END_SESSION).done();
export const encodeEndSessionAck = (): Uint8Array => header(SPDM_V11, SpdmCode.END_SESSION_ACK).done();

export function decodeBare(m: Uint8Array, code: number, what: string): void {
  const r = new SpdmReader(m, what);
  expectHeader(r, SPDM_V11, code);
  r.end();
}

/**
 * VENDOR_DEFINED_REQUEST/RESPONSE: StandardID 3 (PCI-SIG) with the 2-byte vendor id 0xFFFF, PCI's "no vendor":
 * the emulated device claims no real vendor's registry entry.
 */
export const VENDOR_STANDARD_PCI_SIG = 3;
export const VENDOR_ID_EMULATED = 0xffff;
export const VENDOR_PAYLOAD_BYTES_MAX = 0xffff;

export function encodeVendorDefined(code: number, payload: Uint8Array): Uint8Array {
  return header(SPDM_V11, code).u16(VENDOR_STANDARD_PCI_SIG).u8(2).u16(VENDOR_ID_EMULATED).u16(payload.length).bytes(payload).done();
}

export function decodeVendorDefined(m: Uint8Array, code: number): Uint8Array {
  const r = new SpdmReader(m, code === SpdmCode.VENDOR_DEFINED_REQUEST ? 'VENDOR_DEFINED_REQUEST' : 'VENDOR_DEFINED_RESPONSE');
  expectHeader(r, SPDM_V11, code);
  if (r.u16('StandardID') !== VENDOR_STANDARD_PCI_SIG || r.u8('Len') !== 2 || r.u16('VendorID') !== VENDOR_ID_EMULATED) {
    malformed(`${r.what}: not the emulated vendor's registry entry`);
  }
  const payload = r.take(r.u16('payload length'), 'payload').slice();
  r.end();
  return payload;
}
