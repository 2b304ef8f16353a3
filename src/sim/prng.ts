import { sha256 } from '../crypto/index.ts';
import { assert } from '../errors.ts';

/**
 * A named, seeded stream of random bytes: SHA-256 in counter mode over a key derived from
 * (seed, stream name). Independent streams mean adding a consumer never shifts another's draws.
 */
export class Prng {
  readonly name: string;
  readonly #key: Uint8Array;
  #counter = 0;
  #buffer = new Uint8Array(0);
  #offset = 0;

  constructor(seed: number, name: string) {
    assert(Number.isSafeInteger(seed) && seed >= 0, `seed must be a non-negative safe integer, got ${seed}`);
    this.name = name;
    this.#key = sha256(new TextEncoder().encode(`nitro-emu/prng/v1/${seed}/${name}`));
  }

  bytes(length: number): Uint8Array {
    assert(Number.isSafeInteger(length) && length >= 0 && length <= 1 << 30, `bad random length ${length}`);
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      if (this.#offset === this.#buffer.length) this.#refill();
      const take = Math.min(length - filled, this.#buffer.length - this.#offset);
      out.set(this.#buffer.subarray(this.#offset, this.#offset + take), filled);
      this.#offset += take;
      filled += take;
    }
    return out;
  }

  u32(): number {
    const b = this.bytes(4);
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  }

  /** Uniform integer in [0, bound) without modulo bias. */
  below(bound: number): number {
    assert(Number.isSafeInteger(bound) && bound > 0 && bound <= 2 ** 32, `bad bound ${bound}`);
    const limit = 2 ** 32 - (2 ** 32 % bound);
    for (let attempt = 0; attempt < 64; attempt++) {
      const x = this.u32();
      if (x < limit) return x % bound;
    }
    throw new Error('unreachable: 64 rejections in a row');
  }

  /** True with probability numerator/denominator; integers only, so no float drift across platforms. */
  chance(numerator: number, denominator: number): boolean {
    assert(numerator >= 0 && numerator <= denominator && denominator > 0, 'bad ratio');
    return this.below(denominator) < numerator;
  }

  #refill(): void {
    // 8 blocks per refill keeps hashing overhead low for bulk draws.
    const blocks = 8;
    const buffer = new Uint8Array(32 * blocks);
    const input = new Uint8Array(this.#key.length + 8);
    input.set(this.#key);
    const view = new DataView(input.buffer);
    for (let i = 0; i < blocks; i++) {
      view.setBigUint64(this.#key.length, BigInt(this.#counter++));
      buffer.set(sha256(input), 32 * i);
    }
    this.#buffer = buffer;
    this.#offset = 0;
  }
}
