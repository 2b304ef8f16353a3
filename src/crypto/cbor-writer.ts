import { assert } from '../errors.ts';

const UINT64_MAX = (1n << 64n) - 1n;

/** Appends CBOR heads and raw bytes to a growing buffer; every head uses its shortest form (RFC 8949 §4.2.1). */
export class CborWriter {
  #buffer: Uint8Array;
  #view: DataView;
  #length = 0;

  constructor(initialCapacity = 256) {
    this.#buffer = new Uint8Array(initialCapacity);
    this.#view = new DataView(this.#buffer.buffer);
  }

  #reserve(extra: number): void {
    const needed = this.#length + extra;
    if (needed <= this.#buffer.length) return;
    let capacity = this.#buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
    this.#view = new DataView(grown.buffer);
  }

  byte(value: number): this {
    this.#reserve(1);
    this.#buffer[this.#length++] = value;
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.#reserve(bytes.length);
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
    return this;
  }

  /** A head with major type `major` and argument `value` (a non-negative integer below 2^64). */
  head(major: number, value: number | bigint): this {
    assert(major >= 0 && major <= 7, `bad major type ${major}`);
    const type = major << 5;
    if (typeof value === 'number') {
      assert(Number.isSafeInteger(value) && value >= 0, `bad CBOR argument ${value}`);
      if (value < 24) return this.byte(type | value);
      if (value <= 0xff) return this.byte(type | 24).byte(value);
      if (value <= 0xffff) {
        this.#reserve(3);
        this.#buffer[this.#length] = type | 25;
        this.#view.setUint16(this.#length + 1, value);
        this.#length += 3;
        return this;
      }
      if (value <= 0xffffffff) {
        this.#reserve(5);
        this.#buffer[this.#length] = type | 26;
        this.#view.setUint32(this.#length + 1, value);
        this.#length += 5;
        return this;
      }
      return this.head(major, BigInt(value));
    }
    assert(value >= 0n && value <= UINT64_MAX, `CBOR argument ${value} out of range`);
    if (value <= 0xffffffffn) return this.head(major, Number(value));
    this.#reserve(9);
    this.#buffer[this.#length] = type | 27;
    this.#view.setBigUint64(this.#length + 1, value);
    this.#length += 9;
    return this;
  }

  bytes(value: Uint8Array): this {
    return this.head(2, value.length).raw(value);
  }

  text(value: string): this {
    const encoded = Buffer.from(value, 'utf8');
    return this.head(3, encoded.length).raw(encoded);
  }

  float64(value: number): this {
    this.#reserve(9);
    this.#buffer[this.#length] = 0xfb;
    this.#view.setFloat64(this.#length + 1, value);
    this.#length += 9;
    return this;
  }

  get length(): number {
    return this.#length;
  }

  /** A copy of what was written, sized exactly. */
  finish(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }
}
