// SPDM 1.1 (DMTF DSP0274) wire basics: codes, algorithm bits, little-endian reader/writer, transport framing.
import { EmuError, assert } from '../errors.ts';
import { concatBytes } from './bytes.ts';

export const SPDM_V10 = 0x10;
export const SPDM_V11 = 0x11;

/** Request and response codes (DSP0274 table "SPDM request/response codes"). */
export const SpdmCode = {
  GET_DIGESTS: 0x81,
  DIGESTS: 0x01,
  GET_CERTIFICATE: 0x82,
  CERTIFICATE: 0x02,
  GET_VERSION: 0x84,
  VERSION: 0x04,
  GET_MEASUREMENTS: 0xe0,
  MEASUREMENTS: 0x60,
  GET_CAPABILITIES: 0xe1,
  CAPABILITIES: 0x61,
  NEGOTIATE_ALGORITHMS: 0xe3,
  ALGORITHMS: 0x63,
  KEY_EXCHANGE: 0xe4,
  KEY_EXCHANGE_RSP: 0x64,
  FINISH: 0xe5,
  FINISH_RSP: 0x65,
  END_SESSION: 0xec,
  END_SESSION_ACK: 0x6c,
  VENDOR_DEFINED_REQUEST: 0xfe,
  VENDOR_DEFINED_RESPONSE: 0x7e,
  ERROR: 0x7f,
} as const;

/** ERROR codes (param1 of ERROR). */
export const SpdmErrorCode = {
  InvalidRequest: 0x01,
  Busy: 0x03,
  UnexpectedRequest: 0x04,
  Unspecified: 0x05,
  DecryptError: 0x06,
  UnsupportedRequest: 0x07,
  SessionLimitExceeded: 0x0a,
  VersionMismatch: 0x41,
  VendorDefined: 0xff,
} as const;

export function spdmErrorName(code: number): string {
  for (const [name, value] of Object.entries(SpdmErrorCode)) if (value === code) return name;
  return `0x${code.toString(16).padStart(2, '0')}`;
}

/** CAPABILITIES flags (1.1). */
export const SpdmCap = {
  CERT: 1 << 1,
  CHAL: 1 << 2,
  MEAS_SIG: 2 << 3,
  MEAS_FRESH: 1 << 5,
  ENCRYPT: 1 << 6,
  MAC: 1 << 7,
  KEY_EX: 1 << 9,
  KEY_UPD: 1 << 14,
} as const;

/** The one suite both ends accept (NVIDIA's g_SpdmAlgoCheckTable_GH100, research gpu-cc.md §1.4). */
export const SpdmAlg = {
  MEAS_SPEC_DMTF: 0x01,
  MEAS_HASH_SHA384: 0x04,
  BASE_ASYM_ECDSA_P384: 0x80,
  BASE_HASH_SHA384: 0x02,
  DHE_SECP384R1: 0x10,
  AEAD_AES256_GCM: 0x02,
  REQ_ASYM_ECDSA_P384: 0x80,
  KEY_SCHEDULE_SPDM: 0x01,
} as const;

/** Algorithm structure types in NEGOTIATE_ALGORITHMS / ALGORITHMS. */
export const SpdmAlgType = { DHE: 2, AEAD: 3, REQ_BASE_ASYM: 4, KEY_SCHEDULE: 5 } as const;

export const SPDM_HASH_BYTES = 48;
export const SPDM_SIGNATURE_BYTES = 96;
export const SPDM_DHE_BYTES = 96;
export const SPDM_RANDOM_BYTES = 32;
export const SPDM_NONCE_BYTES = 32;
/** Bounds any one message we accept or build (the cert chain travels in portions far below this). */
export const SPDM_MESSAGE_BYTES_MAX = 64 * 1024;

/**
 * Transport framing: one byte of message type before every message, as MCTP carries SPDM (DSP0275: 0x05 SPDM,
 * 0x06 secured SPDM). The byte lets a mailbox tell a secured message (which starts with a session id) from a plain one.
 */
export const SPDM_FRAME_PLAIN = 0x05;
export const SPDM_FRAME_SECURED = 0x06;

export function frame(type: number, message: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(type), message);
}

export function malformed(message: string, details?: Record<string, unknown>): never {
  throw new EmuError('SPDM_MALFORMED', message, details);
}

/** Little-endian reader that refuses to run past the end (SPDM_MALFORMED). */
export class SpdmReader {
  #offset = 0;
  constructor(readonly bytes: Uint8Array, readonly what: string) {}
  get offset(): number {
    return this.#offset;
  }
  take(n: number, field: string): Uint8Array {
    if (n < 0 || this.#offset + n > this.bytes.length) malformed(`${this.what}: ends inside ${field}`, { offset: this.#offset });
    const out = this.bytes.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    return out;
  }
  u8(field: string): number {
    return this.take(1, field)[0]!;
  }
  u16(field: string): number {
    const b = this.take(2, field);
    return b[0]! | (b[1]! << 8);
  }
  u24(field: string): number {
    const b = this.take(3, field);
    return b[0]! | (b[1]! << 8) | (b[2]! << 16);
  }
  u32(field: string): number {
    const b = this.take(4, field);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }
  zeros(n: number, field: string): void {
    if (this.take(n, field).some((b) => b !== 0)) malformed(`${this.what}: reserved ${field} is not zero`);
  }
  end(): void {
    if (this.#offset !== this.bytes.length) malformed(`${this.what}: ${this.bytes.length - this.#offset} trailing bytes`);
  }
}

/** Little-endian writer for messages we build (programmer errors are assertions). */
export class SpdmWriter {
  readonly #parts: Uint8Array[] = [];
  u8(v: number): this {
    assert(Number.isInteger(v) && v >= 0 && v <= 0xff, `u8 out of range: ${v}`);
    this.#parts.push(Uint8Array.of(v));
    return this;
  }
  u16(v: number): this {
    assert(Number.isInteger(v) && v >= 0 && v <= 0xffff, `u16 out of range: ${v}`);
    this.#parts.push(Uint8Array.of(v & 0xff, v >>> 8));
    return this;
  }
  u24(v: number): this {
    assert(Number.isInteger(v) && v >= 0 && v <= 0xffffff, `u24 out of range: ${v}`);
    this.#parts.push(Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, v >>> 16));
    return this;
  }
  u32(v: number): this {
    assert(Number.isInteger(v) && v >= 0 && v <= 0xffffffff, `u32 out of range: ${v}`);
    this.#parts.push(Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24));
    return this;
  }
  bytes(b: Uint8Array): this {
    this.#parts.push(b.slice());
    return this;
  }
  zeros(n: number): this {
    this.#parts.push(new Uint8Array(n));
    return this;
  }
  done(): Uint8Array {
    return concatBytes(...this.#parts);
  }
}

/** Header fields every message starts with. */
export interface SpdmHeader {
  readonly version: number;
  readonly code: number;
  readonly param1: number;
  readonly param2: number;
}

export function readHeader(message: Uint8Array): SpdmHeader {
  if (message.length < 4) malformed('an SPDM message has a 4-byte header');
  return { version: message[0]!, code: message[1]!, param1: message[2]!, param2: message[3]! };
}

export function header(version: number, code: number, param1 = 0, param2 = 0): SpdmWriter {
  return new SpdmWriter().u8(version).u8(code).u8(param1).u8(param2);
}
