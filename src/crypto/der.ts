import { EmuError } from '../errors.ts';

/**
 * A small strict DER reader for the parts of X.509 on the verification hot path. asn1js (under
 * @peculiar/asn1-schema) takes ~400 µs to map one certificate, two thirds of a P-384 verify; walking the few
 * fields we need here takes a few µs. Only DER is accepted: definite, shortest-form lengths and one-byte tags.
 */
export interface Tlv {
  readonly tag: number;
  /** Offset of the tag byte. */
  readonly start: number;
  readonly contentStart: number;
  /** Offset just past the content. */
  readonly end: number;
}

export const DER = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  TELETEX_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

export function derFail(code: string, message: string, offset?: number): never {
  throw new EmuError(code, offset === undefined ? message : `${message} (at byte ${offset})`, { offset });
}

/** Reads consecutive TLVs from bytes[start, end). Errors carry `code` (X509_MALFORMED by default). */
export class DerReader {
  readonly bytes: Uint8Array;
  #pos: number;
  readonly #end: number;
  readonly #code: string;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length, code = 'X509_MALFORMED') {
    this.bytes = bytes;
    this.#pos = start;
    this.#end = end;
    this.#code = code;
  }

  get atEnd(): boolean {
    return this.#pos >= this.#end;
  }

  peekTag(): number | undefined {
    return this.#pos < this.#end ? this.bytes[this.#pos] : undefined;
  }

  fail(message: string, offset = this.#pos): never {
    return derFail(this.#code, message, offset);
  }

  next(): Tlv {
    const start = this.#pos;
    if (this.#end - start < 2) this.fail('truncated DER element');
    const tag = this.bytes[start]!;
    if ((tag & 0x1f) === 0x1f) this.fail('multi-byte DER tags are not used in X.509');
    const first = this.bytes[start + 1]!;
    let length: number;
    let contentStart: number;
    if (first < 0x80) {
      length = first;
      contentStart = start + 2;
    } else {
      const count = first & 0x7f;
      if (count === 0) this.fail('indefinite length is not DER');
      if (count > 4) this.fail('DER length too large');
      if (this.#end - start < 2 + count) this.fail('truncated DER length');
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + this.bytes[start + 2 + i]!;
      if (length < 0x80 || this.bytes[start + 2] === 0) this.fail('DER length not in its shortest form');
      contentStart = start + 2 + count;
    }
    const end = contentStart + length;
    if (end > this.#end) this.fail('DER element runs past its container');
    this.#pos = end;
    return { tag, start, contentStart, end };
  }

  expect(tag: number, what: string): Tlv {
    const tlv = this.next();
    if (tlv.tag !== tag) this.fail(`${what}: expected tag 0x${tag.toString(16)}, got 0x${tlv.tag.toString(16)}`, tlv.start);
    return tlv;
  }

  /** Reads the next element if it has this tag, else nothing. */
  optional(tag: number): Tlv | undefined {
    return this.peekTag() === tag ? this.next() : undefined;
  }

  done(what: string): void {
    if (!this.atEnd) this.fail(`${what}: unexpected trailing element`);
  }
}

export function content(bytes: Uint8Array, tlv: Tlv): Uint8Array {
  return bytes.subarray(tlv.contentStart, tlv.end);
}

export function whole(bytes: Uint8Array, tlv: Tlv): Uint8Array {
  return bytes.subarray(tlv.start, tlv.end);
}

/** Reader over the content of a constructed element. */
export function inside(bytes: Uint8Array, tlv: Tlv, code = 'X509_MALFORMED'): DerReader {
  return new DerReader(bytes, tlv.contentStart, tlv.end, code);
}

/** Dotted-decimal text of an OBJECT IDENTIFIER's content. */
export function decodeOid(value: Uint8Array, code = 'X509_MALFORMED'): string {
  if (value.length === 0 || value.length > 64) derFail(code, 'bad OBJECT IDENTIFIER length');
  const arcs: number[] = [];
  let arc = 0;
  let started = false;
  for (let i = 0; i < value.length; i++) {
    const b = value[i]!;
    if (!started && b === 0x80) derFail(code, 'OBJECT IDENTIFIER arc not in its shortest form');
    started = true;
    arc = arc * 128 + (b & 0x7f);
    if (arc > Number.MAX_SAFE_INTEGER / 128) derFail(code, 'OBJECT IDENTIFIER arc too large');
    if ((b & 0x80) === 0) {
      arcs.push(arc);
      arc = 0;
      started = false;
    }
  }
  if (started) derFail(code, 'truncated OBJECT IDENTIFIER');
  const first = arcs[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

/** Content of a BIT STRING that must have no unused bits. */
export function bitStringBytes(bytes: Uint8Array, tlv: Tlv, code = 'X509_MALFORMED'): Uint8Array {
  if (tlv.tag !== DER.BIT_STRING) derFail(code, 'expected a BIT STRING', tlv.start);
  if (tlv.end - tlv.contentStart < 1 || bytes[tlv.contentStart] !== 0) {
    derFail(code, 'BIT STRING with unused bits where whole octets are required', tlv.start);
  }
  return bytes.subarray(tlv.contentStart + 1, tlv.end);
}

/** Magnitude bytes of a non-negative DER INTEGER (shortest form, no sign byte), for ECDSA r and s. */
export function unsignedIntegerBytes(bytes: Uint8Array, tlv: Tlv, code = 'X509_MALFORMED'): Uint8Array {
  if (tlv.tag !== DER.INTEGER) derFail(code, 'expected an INTEGER', tlv.start);
  let value = bytes.subarray(tlv.contentStart, tlv.end);
  if (value.length === 0) derFail(code, 'empty INTEGER', tlv.start);
  if (value[0]! & 0x80) derFail(code, 'negative INTEGER where a positive one is required', tlv.start);
  if (value.length > 1 && value[0] === 0) {
    if ((value[1]! & 0x80) === 0) derFail(code, 'INTEGER not in its shortest form', tlv.start);
    value = value.subarray(1);
  }
  return value;
}
