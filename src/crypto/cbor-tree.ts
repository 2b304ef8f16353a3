import { EmuError, assert } from '../errors.ts';

/**
 * The strict CBOR walker. It parses one item into a typed tree that keeps each item's major type, its encoded
 * span and whether it used an indefinite length, so callers can tell a float 5.0 from a uint 5 and can re-slice the
 * exact signed bytes. Every rejection is a typed error (RFC 8949 well-formedness plus our strictness rules):
 * truncation, reserved additional-info values, non-minimal heads, bad indefinite-string chunks, stray break
 * codes, unassigned simple values, invalid UTF-8, duplicate map keys (by encoded bytes), tags not allowed,
 * nesting beyond maxDepth, input beyond maxBytes, trailing bytes.
 */

interface Span {
  /** Offset of the item's first head byte in the input. */
  readonly start: number;
  /** Offset just past the item. */
  readonly end: number;
}

export type CborNode =
  | (Span & { readonly kind: 'uint'; readonly value: number | bigint })
  | (Span & { readonly kind: 'nint'; readonly value: number | bigint })
  /** value is a view into the input for definite strings; copy it before keeping it. */
  | (Span & { readonly kind: 'bytes'; readonly value: Uint8Array; readonly indefinite: boolean })
  | (Span & { readonly kind: 'text'; readonly value: string; readonly indefinite: boolean })
  | (Span & { readonly kind: 'array'; readonly items: readonly CborNode[]; readonly indefinite: boolean })
  | (Span & {
      readonly kind: 'map';
      readonly entries: readonly (readonly [CborNode, CborNode])[];
      readonly indefinite: boolean;
    })
  | (Span & { readonly kind: 'tag'; readonly tag: number | bigint; readonly item: CborNode })
  | (Span & { readonly kind: 'float'; readonly value: number; readonly bits: 16 | 32 | 64 })
  | (Span & { readonly kind: 'bool'; readonly value: boolean })
  | (Span & { readonly kind: 'null' })
  | (Span & { readonly kind: 'undefined' });

export interface CborTreeOptions {
  readonly allowedTags?: readonly number[];
  readonly maxBytes?: number;
  readonly maxDepth?: number;
}

export const CBOR_MAX_BYTES_DEFAULT = 16 * 1024;
export const CBOR_MAX_DEPTH_DEFAULT = 32;
// Recursion depth is bounded by maxDepth; this caps what a caller may ask for so the JS stack is never at risk.
const CBOR_MAX_DEPTH_LIMIT = 256;
const CBOR_MAX_BYTES_LIMIT = 64 * 1024 * 1024;

const BREAK = 0xff;
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

class Walker {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #latin1: Buffer;
  readonly #what: string;
  readonly #allowedTags: ReadonlySet<number>;
  readonly #maxDepth: number;
  #pos = 0;

  constructor(bytes: Uint8Array, what: string, allowedTags: readonly number[], maxDepth: number) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#latin1 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#what = what;
    this.#allowedTags = new Set(allowedTags);
    this.#maxDepth = maxDepth;
  }

  get position(): number {
    return this.#pos;
  }

  fail(code: string, message: string, at = this.#pos): never {
    throw new EmuError(code, `${this.#what}: ${message} (at byte ${at})`, { what: this.#what, offset: at });
  }

  #need(count: number): void {
    if (count > this.#bytes.length - this.#pos) this.fail('CBOR_MALFORMED', 'truncated input');
  }

  #u8(): number {
    this.#need(1);
    return this.#bytes[this.#pos++]!;
  }

  /** Reads the argument of a head whose additional info is `info` (0..27), enforcing the shortest form. */
  #argument(info: number, headAt: number): number | bigint {
    if (info < 24) return info;
    let value: number | bigint;
    let minimum: number | bigint;
    if (info === 24) {
      value = this.#u8();
      minimum = 24;
    } else if (info === 25) {
      this.#need(2);
      value = this.#view.getUint16(this.#pos);
      this.#pos += 2;
      minimum = 0x100;
    } else if (info === 26) {
      this.#need(4);
      value = this.#view.getUint32(this.#pos);
      this.#pos += 4;
      minimum = 0x10000;
    } else if (info === 27) {
      this.#need(8);
      const big = this.#view.getBigUint64(this.#pos);
      this.#pos += 8;
      value = big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
      minimum = 0x100000000;
    } else {
      return this.fail('CBOR_MALFORMED', `reserved additional information ${info}`, headAt);
    }
    if (value < minimum) this.fail('CBOR_MALFORMED', 'integer or length not in its shortest form', headAt);
    return value;
  }

  #length(arg: number | bigint, unitBytes: number, headAt: number): number {
    // Every element takes at least unitBytes, so a count beyond what is left is truncation (and never allocated).
    if (typeof arg === 'bigint' || arg * unitBytes > this.#bytes.length - this.#pos) {
      return this.fail('CBOR_MALFORMED', 'declared length runs past the end of the input', headAt);
    }
    return arg;
  }

  item(depth: number): CborNode {
    if (depth > this.#maxDepth) this.fail('CBOR_TOO_DEEP', `nesting deeper than ${this.#maxDepth}`);
    const start = this.#pos;
    const initial = this.#u8();
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (info === 31) return this.#indefinite(major, start, depth);
    switch (major) {
      case 0: {
        const value = this.#argument(info, start);
        return { kind: 'uint', value, start, end: this.#pos };
      }
      case 1: {
        const n = this.#argument(info, start);
        const value = typeof n === 'number' && n < Number.MAX_SAFE_INTEGER ? -1 - n : -1n - BigInt(n);
        return { kind: 'nint', value, start, end: this.#pos };
      }
      case 2: {
        const length = this.#length(this.#argument(info, start), 1, start);
        const value = this.#bytes.subarray(this.#pos, this.#pos + length);
        this.#pos += length;
        return { kind: 'bytes', value, indefinite: false, start, end: this.#pos };
      }
      case 3: {
        const length = this.#length(this.#argument(info, start), 1, start);
        const value = this.#utf8(this.#pos, length);
        this.#pos += length;
        return { kind: 'text', value, indefinite: false, start, end: this.#pos };
      }
      case 4: {
        const count = this.#length(this.#argument(info, start), 1, start);
        const items: CborNode[] = [];
        for (let i = 0; i < count; i++) items.push(this.item(depth + 1));
        return { kind: 'array', items, indefinite: false, start, end: this.#pos };
      }
      case 5: {
        const count = this.#length(this.#argument(info, start), 2, start);
        const entries: (readonly [CborNode, CborNode])[] = [];
        const seen = new Set<string>();
        for (let i = 0; i < count; i++) entries.push(this.#entry(depth, seen));
        return { kind: 'map', entries, indefinite: false, start, end: this.#pos };
      }
      case 6: {
        const tag = this.#argument(info, start);
        if (typeof tag !== 'number' || !this.#allowedTags.has(tag)) {
          this.fail('CBOR_UNEXPECTED_TAG', `tag ${tag} is not allowed here`, start);
        }
        const item = this.item(depth + 1);
        return { kind: 'tag', tag, item, start, end: this.#pos };
      }
      default:
        return this.#simpleOrFloat(info, start);
    }
  }

  #entry(depth: number, seen: Set<string>): readonly [CborNode, CborNode] {
    const key = this.item(depth + 1);
    const encoded = this.#latin1.toString('latin1', key.start, key.end);
    if (seen.has(encoded)) this.fail('CBOR_DUPLICATE_KEY', 'duplicate map key', key.start);
    seen.add(encoded);
    return [key, this.item(depth + 1)];
  }

  #simpleOrFloat(info: number, start: number): CborNode {
    switch (info) {
      case 20:
      case 21:
        return { kind: 'bool', value: info === 21, start, end: this.#pos };
      case 22:
        return { kind: 'null', start, end: this.#pos };
      case 23:
        return { kind: 'undefined', start, end: this.#pos };
      case 25: {
        this.#need(2);
        const value = halfToNumber(this.#view.getUint16(this.#pos));
        this.#pos += 2;
        return { kind: 'float', value, bits: 16, start, end: this.#pos };
      }
      case 26: {
        this.#need(4);
        const value = this.#view.getFloat32(this.#pos);
        this.#pos += 4;
        return { kind: 'float', value, bits: 32, start, end: this.#pos };
      }
      case 27: {
        this.#need(8);
        const value = this.#view.getFloat64(this.#pos);
        this.#pos += 8;
        return { kind: 'float', value, bits: 64, start, end: this.#pos };
      }
      case 24: {
        const value = this.#u8();
        // f8 with a value below 32 is not well-formed; the rest are unassigned.
        return this.fail('CBOR_MALFORMED', `simple value ${value} is not allowed`, start);
      }
      default:
        return info > 27
          ? this.fail('CBOR_MALFORMED', `reserved additional information ${info}`, start)
          : this.fail('CBOR_MALFORMED', `unassigned simple value ${info}`, start);
    }
  }

  #indefinite(major: number, start: number, depth: number): CborNode {
    switch (major) {
      case 2:
      case 3:
        return this.#indefiniteString(major, start);
      case 4: {
        const items: CborNode[] = [];
        while (!this.#takeBreak()) items.push(this.item(depth + 1));
        return { kind: 'array', items, indefinite: true, start, end: this.#pos };
      }
      case 5: {
        const entries: (readonly [CborNode, CborNode])[] = [];
        const seen = new Set<string>();
        while (!this.#takeBreak()) entries.push(this.#entry(depth, seen));
        return { kind: 'map', entries, indefinite: true, start, end: this.#pos };
      }
      case 7:
        return this.fail('CBOR_MALFORMED', 'break code outside an indefinite-length item', start);
      default:
        return this.fail('CBOR_MALFORMED', `major type ${major} cannot have an indefinite length`, start);
    }
  }

  /** Consumes a break code if one is next; the loops above end at the input's end through #need's truncation error. */
  #takeBreak(): boolean {
    this.#need(1);
    if (this.#bytes[this.#pos] !== BREAK) return false;
    this.#pos++;
    return true;
  }

  #indefiniteString(major: number, start: number): CborNode {
    const chunks: Uint8Array[] = [];
    const texts: string[] = [];
    while (!this.#takeBreak()) {
      const chunkAt = this.#pos;
      const initial = this.#u8();
      if (initial >> 5 !== major || (initial & 0x1f) === 31) {
        this.fail('CBOR_MALFORMED', 'an indefinite-length string chunk must be a definite string of the same type', chunkAt);
      }
      const length = this.#length(this.#argument(initial & 0x1f, chunkAt), 1, chunkAt);
      // Each text chunk must be valid UTF-8 on its own (RFC 8949 §3.2.3): no code point split across chunks.
      if (major === 3) texts.push(this.#utf8(this.#pos, length));
      else chunks.push(this.#bytes.subarray(this.#pos, this.#pos + length));
      this.#pos += length;
    }
    if (major === 3) return { kind: 'text', value: texts.join(''), indefinite: true, start, end: this.#pos };
    return { kind: 'bytes', value: new Uint8Array(Buffer.concat(chunks)), indefinite: true, start, end: this.#pos };
  }

  #utf8(offset: number, length: number): string {
    try {
      return utf8Strict.decode(this.#bytes.subarray(offset, offset + length));
    } catch {
      return this.fail('CBOR_MALFORMED', 'text string is not valid UTF-8', offset);
    }
  }
}

function halfToNumber(half: number): number {
  const exponent = (half >> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  const sign = half & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

/** Parses exactly one CBOR item (no trailing bytes) into a typed tree. */
export function parseCborTree(bytes: Uint8Array, what: string, options: CborTreeOptions = {}): CborNode {
  const maxBytes = options.maxBytes ?? CBOR_MAX_BYTES_DEFAULT;
  const maxDepth = options.maxDepth ?? CBOR_MAX_DEPTH_DEFAULT;
  assert(Number.isSafeInteger(maxBytes) && maxBytes > 0 && maxBytes <= CBOR_MAX_BYTES_LIMIT, `bad maxBytes ${maxBytes}`);
  assert(Number.isSafeInteger(maxDepth) && maxDepth > 0 && maxDepth <= CBOR_MAX_DEPTH_LIMIT, `bad maxDepth ${maxDepth}`);
  if (!(bytes instanceof Uint8Array)) throw new EmuError('CBOR_MALFORMED', `${what}: expected bytes`, { what });
  if (bytes.length > maxBytes) {
    throw new EmuError('CBOR_TOO_LARGE', `${what}: ${bytes.length} bytes is over the ${maxBytes}-byte limit`, {
      what,
      length: bytes.length,
      maxBytes,
    });
  }
  // Node Buffers answer slice() with a view, not a copy; walking a plain Uint8Array view keeps every later
  // slice() a real copy, so nothing we keep can change when the caller reuses their buffer.
  const plain = Object.getPrototypeOf(bytes) === Uint8Array.prototype ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const walker = new Walker(plain, what, options.allowedTags ?? [], maxDepth);
  const root = walker.item(1);
  if (walker.position !== bytes.length) {
    walker.fail('CBOR_TRAILING_BYTES', `${bytes.length - walker.position} bytes after the item`);
  }
  return root;
}
