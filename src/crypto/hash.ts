import { createHash, type Hash } from 'node:crypto';
import { toHex } from './bytes.ts';

export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

export function sha384(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha384').update(data).digest());
}

export function sha256Hex(data: Uint8Array): string {
  return toHex(sha256(data));
}

/** Incremental SHA-256 whose current value can be read without ending the stream. */
export class Sha256Stream {
  readonly #hash: Hash = createHash('sha256');
  #length = 0;

  update(data: Uint8Array | string): this {
    this.#hash.update(data);
    this.#length += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    return this;
  }

  get length(): number {
    return this.#length;
  }

  peekHex(): string {
    return this.#hash.copy().digest('hex');
  }
}
