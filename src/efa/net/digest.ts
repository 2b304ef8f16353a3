import { absorb32 } from './hash.ts';

/**
 * Running trace digest over (time, event kind, src, dst, entropy) of every delivered or dropped packet. Two 32-bit
 * lanes with different starting points give a 64-bit value: the same seed gives the same digest, and a one-event
 * difference anywhere changes it.
 */
export class TraceDigest {
  #a = 0x811c_9dc5;
  #b = 0x0123_4567;
  #count = 0;

  add(timePs: number, kindCode: number, src: number, dst: number, entropy: number): void {
    const lo = timePs >>> 0;
    const hi = Math.floor(timePs / 0x1_0000_0000) >>> 0;
    let a = this.#a;
    let b = this.#b;
    a = absorb32(absorb32(absorb32(a, lo), hi), kindCode);
    a = absorb32(absorb32(absorb32(a, src), dst), entropy >>> 0);
    b = absorb32(absorb32(b ^ a, lo ^ 0x5bd1_e995), src + (dst << 16));
    this.#a = a;
    this.#b = b;
    this.#count++;
  }

  hex(): string {
    const hex = (x: number) => (x >>> 0).toString(16).padStart(8, '0');
    return `${hex(this.#a)}${hex(this.#b)}-${this.#count}`;
  }
}

/** Event kind codes in the digest. */
export const DIGEST_DELIVER = 1;
export const DIGEST_DROP_QUEUE = 2;
export const DIGEST_DROP_FAULT = 3;
