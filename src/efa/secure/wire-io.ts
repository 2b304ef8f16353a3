import { EmuError, assert } from '../../errors.ts';

// Bounded big-endian writer/reader for handshake messages. Every read is checked: a short or oversized field is
// LINK_HANDSHAKE_MALFORMED, never an exception of another kind.

const MESSAGE_BYTES_MAX = 64 * 1024;

export class WireWriter {
  readonly #parts: Uint8Array[] = [];
  #length = 0;

  #push(bytes: Uint8Array): this {
    assert(this.#length + bytes.length <= MESSAGE_BYTES_MAX, 'handshake message over its bound');
    this.#parts.push(bytes);
    this.#length += bytes.length;
    return this;
  }
  u8(value: number): this {
    return this.#push(Uint8Array.of(value & 0xff));
  }
  u16(value: number): this {
    assert(Number.isInteger(value) && value >= 0 && value <= 0xffff, `u16 out of range: ${value}`);
    return this.#push(Uint8Array.of(value >>> 8, value & 0xff));
  }
  u32(value: number): this {
    assert(Number.isInteger(value) && value >= 0 && value <= 0xffffffff, `u32 out of range: ${value}`);
    return this.#push(Uint8Array.of(value >>> 24, value >>> 16, value >>> 8, value & 0xff));
  }
  raw(bytes: Uint8Array): this {
    return this.#push(bytes.slice());
  }
  /** u16 length prefix (all our variable fields are < 64 KiB). */
  vec(bytes: Uint8Array): this {
    this.u16(bytes.length);
    return this.raw(bytes);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let offset = 0;
    for (const part of this.#parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
}

export class WireReader {
  readonly #bytes: Uint8Array;
  #offset = 0;

  constructor(bytes: Uint8Array) {
    if (!(bytes instanceof Uint8Array) || bytes.length > MESSAGE_BYTES_MAX) {
      throw new EmuError('LINK_HANDSHAKE_MALFORMED', 'handshake message is not bytes or is over its bound');
    }
    this.#bytes = bytes;
  }

  get offset(): number {
    return this.#offset;
  }

  #take(length: number, what: string): Uint8Array {
    if (this.#offset + length > this.#bytes.length) {
      throw new EmuError('LINK_HANDSHAKE_MALFORMED', `handshake message truncated in ${what}`, { offset: this.#offset });
    }
    const out = this.#bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return out;
  }
  u8(what: string): number {
    return this.#take(1, what)[0]!;
  }
  u16(what: string): number {
    const b = this.#take(2, what);
    return (b[0]! << 8) | b[1]!;
  }
  u32(what: string): number {
    const b = this.#take(4, what);
    return ((b[0]! << 24) >>> 0) + ((b[1]! << 16) | (b[2]! << 8) | b[3]!);
  }
  raw(length: number, what: string): Uint8Array {
    return this.#take(length, what).slice();
  }
  vec(what: string, lengthMax: number): Uint8Array {
    const length = this.u16(what);
    if (length > lengthMax) {
      throw new EmuError('LINK_HANDSHAKE_MALFORMED', `${what} is ${length} bytes, over ${lengthMax}`);
    }
    return this.raw(length, what);
  }
  end(): void {
    if (this.#offset !== this.#bytes.length) {
      throw new EmuError('LINK_HANDSHAKE_MALFORMED', 'trailing bytes after the handshake message', {
        trailing: this.#bytes.length - this.#offset,
      });
    }
  }
}
