/**
 * CBOR at trust boundaries. cbor-x decodes permissively, so bytes are first walked by a strict
 * structural validator: duplicate map keys, tags not allowed by the caller, trailing bytes,
 * non-minimal or reserved encodings, and nesting/length beyond bounds are typed errors
 * (codes CBOR_MALFORMED, CBOR_DUPLICATE_KEY, CBOR_UNEXPECTED_TAG, CBOR_TRAILING_BYTES, CBOR_TOO_LARGE, CBOR_TOO_DEEP).
 *
 * The validator (cbor-tree.ts) already builds a typed tree, and JS values are made from that tree rather than by
 * cbor-x: cbor-x 1.6.9 throws on indefinite-length strings (which are well-formed and must be accepted), returns
 * bigint for every 8-byte integer, and turns some tags into its own classes. Building values from the tree keeps one
 * parser, one pass, and the exact types the validator saw. Callers that must tell a float from an integer use
 * `parseCborTree` (exported) instead of these plain values.
 */
import { EmuError, assert } from '../errors.ts';
import { type CborNode, parseCborTree } from './cbor-tree.ts';
import { CborWriter } from './cbor-writer.ts';

export interface StrictCborOptions {
  /** Tags allowed anywhere (default none). */
  readonly allowedTags?: readonly number[];
  readonly maxBytes?: number;
  readonly maxDepth?: number;
}

/** A tagged item, as decoded (when the caller allowed the tag) and as accepted by `encodeCbor`. */
export class CborTag {
  constructor(
    readonly tag: number,
    readonly value: unknown,
  ) {
    assert(Number.isSafeInteger(tag) && tag >= 0, `bad CBOR tag ${tag}`);
  }
}

/** Plain JS value of a validated tree node (byte strings copied out of the input). */
export function cborNodeToValue(node: CborNode): unknown {
  switch (node.kind) {
    case 'uint':
    case 'nint':
    case 'text':
    case 'float':
    case 'bool':
      return node.value;
    case 'bytes':
      return node.value.slice();
    case 'null':
      return null;
    case 'undefined':
      return undefined;
    case 'array':
      return node.items.map(cborNodeToValue);
    case 'map': {
      const map = new Map<unknown, unknown>();
      for (const [key, value] of node.entries) map.set(cborNodeToValue(key), cborNodeToValue(value));
      return map;
    }
    case 'tag':
      // Tags above 2^53 are never in allowedTags, so the walker has already refused them.
      assert(typeof node.tag === 'number', 'unexpected bigint tag');
      return new CborTag(node.tag, cborNodeToValue(node.item));
  }
}

/** Decodes one CBOR item strictly. Maps decode to `Map` (keys keep their CBOR type), byte strings to Uint8Array, integers beyond 2^53 to bigint. */
export function decodeCborStrict(bytes: Uint8Array, what: string, options?: StrictCborOptions): unknown {
  return cborNodeToValue(parseCborTree(bytes, what, options));
}

// Cycles and absurd nesting in values handed to the encoder are caller bugs; this bound turns them into errors.
const ENCODE_DEPTH_MAX = 64;

function unencodable(message: string): never {
  throw new EmuError('CBOR_UNENCODABLE', message);
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function encodeInto(writer: CborWriter, value: unknown, depth: number): void {
  if (depth > ENCODE_DEPTH_MAX) unencodable(`value nested deeper than ${ENCODE_DEPTH_MAX} (a cycle?)`);
  if (value === null) {
    writer.byte(0xf6);
  } else if (value === undefined) {
    writer.byte(0xf7);
  } else if (typeof value === 'boolean') {
    writer.byte(value ? 0xf5 : 0xf4);
  } else if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) {
      if (value >= 0) writer.head(0, value);
      else writer.head(1, -1 - value);
    } else {
      writer.float64(value);
    }
  } else if (typeof value === 'bigint') {
    if (value >= 0n && value < 1n << 64n) writer.head(0, value);
    else if (value < 0n && value >= -(1n << 64n)) writer.head(1, -1n - value);
    else unencodable(`integer ${value} does not fit in 64 bits`);
  } else if (typeof value === 'string') {
    writer.text(value);
  } else if (value instanceof Uint8Array) {
    writer.bytes(value);
  } else if (Array.isArray(value)) {
    writer.head(4, value.length);
    for (const item of value) encodeInto(writer, item, depth + 1);
  } else if (value instanceof Map) {
    writer.head(5, value.size);
    const seen = new Set<string>();
    for (const [key, item] of value) {
      const keyWriter = new CborWriter(32);
      encodeInto(keyWriter, key, depth + 1);
      const keyBytes = keyWriter.finish();
      const encodedKey = Buffer.from(keyBytes).toString('latin1');
      // We would refuse this map when decoding it, so we do not write it either.
      if (seen.has(encodedKey)) unencodable('two map keys have the same encoding');
      seen.add(encodedKey);
      writer.raw(keyBytes);
      encodeInto(writer, item, depth + 1);
    }
  } else if (value instanceof CborTag) {
    writer.head(6, value.tag);
    encodeInto(writer, value.value, depth + 1);
  } else if (typeof value === 'object' && isPlainObject(value)) {
    const keys = Object.keys(value);
    writer.head(5, keys.length);
    for (const key of keys) {
      writer.text(key);
      encodeInto(writer, value[key], depth + 1);
    }
  } else {
    unencodable(`cannot encode a value of type ${typeof value}`);
  }
}

/** Encodes with definite lengths; integers that do not fit in 32 bits must be passed as bigint. Maps are `Map`s (insertion order kept). */
export function encodeCbor(value: unknown): Uint8Array {
  const writer = new CborWriter();
  encodeInto(writer, value, 0);
  return writer.finish();
}

export { type CborNode, type CborTreeOptions, parseCborTree } from './cbor-tree.ts';
export { CborWriter } from './cbor-writer.ts';
