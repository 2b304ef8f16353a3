import { EmuError } from '../../errors.ts';
import { utf8 } from '../../crypto/index.ts';

// The transport's header is `unknown` to the fabric; the protector authenticates all of it (the SRD PSN, ACK
// fields…) by a canonical byte encoding that both ends compute the same way: keys sorted, types tagged, lengths
// prefixed, so no two different headers encode alike. The packet's ECMP entropy lives on the Packet, not here,
// and is deliberately left out of the AAD (research/efa-srd.md §3.4).

const DEPTH_MAX = 8;
const ENTRIES_MAX = 256;
const BYTES_MAX = 4096;

/**
 * A header this encoding cannot take (too deep, too big, not plain data). On open() the header came off the wire,
 * so this is bad input (a typed error the protector turns into a 'malformed' drop), not an emulator bug.
 */
export const HEADER_UNENCODABLE = 'LINK_HEADER_UNENCODABLE';

function check(condition: boolean, message: string): void {
  if (!condition) throw new EmuError(HEADER_UNENCODABLE, message);
}

const enum Tag {
  Undefined = 0,
  Null = 1,
  False = 2,
  True = 3,
  Number = 4,
  String = 5,
  Bytes = 6,
  Array = 7,
  Object = 8,
  BigInt = 9,
}

class Sink {
  readonly buffer = new Uint8Array(BYTES_MAX);
  readonly view = new DataView(this.buffer.buffer);
  length = 0;
  #room(bytes: number): void {
    check(this.length + bytes <= BYTES_MAX, `transport header encodes to more than ${BYTES_MAX} bytes`);
  }
  byte(value: number): void {
    this.#room(1);
    this.buffer[this.length++] = value & 0xff;
  }
  u32(value: number): void {
    this.#room(4);
    this.view.setUint32(this.length, value >>> 0);
    this.length += 4;
  }
  f64(value: number): void {
    this.#room(8);
    this.view.setFloat64(this.length, value);
    this.length += 8;
  }
  bytes(value: Uint8Array): void {
    this.u32(value.length);
    this.#room(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
  }
}

// Field names repeat on every packet: encode each once (bounded, so odd headers cannot grow it without limit).
const KEY_CACHE_MAX = 1024;
const keyBytes = new Map<string, Uint8Array>();
function keyUtf8(key: string): Uint8Array {
  let bytes = keyBytes.get(key);
  if (bytes === undefined) {
    bytes = utf8(key);
    if (keyBytes.size < KEY_CACHE_MAX) keyBytes.set(key, bytes);
  }
  return bytes;
}

function encodeValue(sink: Sink, value: unknown, depth: number): void {
  check(depth <= DEPTH_MAX, 'transport header nests too deeply');
  if (value === undefined) return sink.byte(Tag.Undefined);
  if (value === null) return sink.byte(Tag.Null);
  if (typeof value === 'boolean') return sink.byte(value ? Tag.True : Tag.False);
  if (typeof value === 'number') {
    sink.byte(Tag.Number);
    return sink.f64(value);
  }
  if (typeof value === 'bigint') {
    sink.byte(Tag.BigInt);
    return sink.bytes(utf8(value.toString(16)));
  }
  if (typeof value === 'string') {
    sink.byte(Tag.String);
    return sink.bytes(utf8(value));
  }
  if (value instanceof Uint8Array) {
    sink.byte(Tag.Bytes);
    return sink.bytes(value);
  }
  if (Array.isArray(value)) {
    check(value.length <= ENTRIES_MAX, 'transport header array too long');
    sink.byte(Tag.Array);
    sink.u32(value.length);
    for (const item of value) encodeValue(sink, item, depth + 1);
    return;
  }
  check(typeof value === 'object', `transport header holds a ${typeof value}, which has no canonical encoding`);
  const keys = Object.keys(value).sort();
  check(keys.length <= ENTRIES_MAX, 'transport header has too many fields');
  sink.byte(Tag.Object);
  sink.u32(keys.length);
  for (const key of keys) {
    sink.bytes(keyUtf8(key));
    encodeValue(sink, (value as Record<string, unknown>)[key], depth + 1);
  }
}

const SINK = new Sink();

/** Canonical bytes of a transport header (plain data: numbers, strings, booleans, bytes, arrays, objects). */
export function encodeTransportHeader(header: unknown): Uint8Array {
  // One scratch buffer: encoding is synchronous and never re-entered, and the result is copied out.
  const sink = SINK;
  sink.length = 0;
  encodeValue(sink, header, 0);
  return sink.buffer.slice(0, sink.length);
}
