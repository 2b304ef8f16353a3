import { absorb32, fmix32, fnv1a32String } from './hash.ts';

/**
 * xoshiro128** (Blackman & Vigna): a fast seeded stream for per-packet fault draws, where a SHA-256 counter stream
 * would cost more than the packet. State comes from (seed, name) through the 32-bit mixer, so each named stream is
 * independent and adding a stream never shifts another's draws.
 */
export class FabricRandom {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number, name: string) {
    let h = absorb32(fmix32(0x6a09_e667), seed >>> 0);
    h = absorb32(h, Math.floor(seed / 0x1_0000_0000) >>> 0);
    h = absorb32(h, fnv1a32String(name));
    h = absorb32(h, name.length);
    this.#a = h = absorb32(h, 1);
    this.#b = h = absorb32(h, 2);
    this.#c = h = absorb32(h, 3);
    this.#d = absorb32(h, 4);
    // xoshiro's all-zero state is a fixed point.
    if ((this.#a | this.#b | this.#c | this.#d) === 0) this.#a = 1;
  }

  /** Next uniform 32-bit unsigned integer. */
  u32(): number {
    const b = this.#b;
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.u32() / 0x1_0000_0000;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      let word = this.u32();
      for (let j = i; j < Math.min(i + 4, length); j++) {
        out[j] = word & 0xff;
        word >>>= 8;
      }
    }
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
