import { assert } from '../../errors.ts';

export type ReplayVerdict = 'fresh' | 'replayed' | 'tooOld';

const WINDOW_MAX = 1 << 20;

/**
 * Sliding anti-replay window over transmission counters (RFC 4303 §3.4.3 style, bitmap). SRD delivers out of
 * order, so a strict "counter > last" check would reject legitimate packets (NET-04): anything within `size`
 * of the newest counter is accepted once. `check` never changes state; `mark` is called only after the tag
 * verified, so a forged packet cannot move the window.
 */
export class ReplayWindow {
  readonly size: number;
  readonly #bits: Uint32Array;
  #highest = -1;

  constructor(size: number) {
    assert(Number.isSafeInteger(size) && size >= 32 && size <= WINDOW_MAX && size % 32 === 0, `bad window size ${size}`);
    this.size = size;
    this.#bits = new Uint32Array(size / 32);
  }

  get highest(): number {
    return this.#highest;
  }

  check(counter: number): ReplayVerdict {
    assert(Number.isSafeInteger(counter) && counter >= 0, `bad counter ${counter}`);
    if (counter > this.#highest) return 'fresh';
    if (counter <= this.#highest - this.size) return 'tooOld';
    return this.#get(counter) ? 'replayed' : 'fresh';
  }

  mark(counter: number): void {
    assert(this.check(counter) === 'fresh', 'mark() only after check() said fresh');
    if (counter > this.#highest) {
      // Clear the slots that slide into the window; a jump of a whole window or more clears everything.
      const advance = this.#highest < 0 ? this.size : counter - this.#highest;
      if (advance >= this.size) {
        this.#bits.fill(0);
      } else {
        for (let c = this.#highest + 1; c <= counter; c++) this.#set(c, false);
      }
      this.#highest = counter;
    }
    this.#set(counter, true);
  }

  #get(counter: number): boolean {
    const slot = counter % this.size;
    return ((this.#bits[slot >>> 5]! >>> (slot & 31)) & 1) === 1;
  }

  #set(counter: number, on: boolean): void {
    const slot = counter % this.size;
    const word = slot >>> 5;
    const mask = 1 << (slot & 31);
    this.#bits[word] = on ? this.#bits[word]! | mask : this.#bits[word]! & ~mask;
  }
}
