import { assert } from '../../errors.ts';
import { utf8 } from '../../crypto/index.ts';

// The transport's header is `unknown` to the fabric; the protector authenticates all of it (the SRD PSN, ACK
// fields…) by a canonical byte encoding that both ends compute the same way: keys sorted, types tagged, lengths
// prefixed, so no two different headers encode alike. The packet's ECMP entropy lives on the Packet, not here,
// and is deliberately left out of the AAD (research/efa-srd.md §3.4).

const DEPTH_MAX = 8;
const ENTRIES_MAX = 256;
const BYTES_MAX = 4096;

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
  readonly parts: number[] = [];
  byte(value: number): void {
    assert(this.parts.length < BYTES_MAX, `transport header encodes to more than ${BYTES_MAX} bytes`);
    this.parts.push(value & 0xff);
  }
  u32(value: number): void {
    this.byte(value >>> 24);
    this.byte(value >>> 16);
    this.byte(value >>> 8);
    this.byte(value);
  }
  bytes(value: Uint8Array): void {
    assert(this.parts.length + value.length <= BYTES_MAX, `transport header encodes to more than ${BYTES_MAX} bytes`);
    this.u32(value.length);
    for (const b of value) this.parts.push(b);
  }
}

const scratch = new DataView(new ArrayBuffer(8));

function encodeValue(sink: Sink, value: unknown, depth: number): void {
  assert(depth <= DEPTH_MAX, 'transport header nests too deeply');
  if (value === undefined) return sink.byte(Tag.Undefined);
  if (value === null) return sink.byte(Tag.Null);
  if (typeof value === 'boolean') return sink.byte(value ? Tag.True : Tag.False);
  if (typeof value === 'number') {
    sink.byte(Tag.Number);
    scratch.setFloat64(0, value);
    for (let i = 0; i < 8; i++) sink.byte(scratch.getUint8(i));
    return;
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
    assert(value.length <= ENTRIES_MAX, 'transport header array too long');
    sink.byte(Tag.Array);
    sink.u32(value.length);
    for (const item of value) encodeValue(sink, item, depth + 1);
    return;
  }
  assert(typeof value === 'object', `transport header holds a ${typeof value}, which has no canonical encoding`);
  const keys = Object.keys(value).sort();
  assert(keys.length <= ENTRIES_MAX, 'transport header has too many fields');
  sink.byte(Tag.Object);
  sink.u32(keys.length);
  for (const key of keys) {
    sink.bytes(utf8(key));
    encodeValue(sink, (value as Record<string, unknown>)[key], depth + 1);
  }
}

/** Canonical bytes of a transport header (plain data: numbers, strings, booleans, bytes, arrays, objects). */
export function encodeTransportHeader(header: unknown): Uint8Array {
  const sink = new Sink();
  encodeValue(sink, header, 0);
  return Uint8Array.from(sink.parts);
}
