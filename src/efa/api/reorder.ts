// The efa provider's per-peer receive reorder window over a 32-bit wrapping msg_id (protocol v4): messages are
// handed up strictly in msg_id order (send-after-send), at most `size` ahead of the next expected id; one further
// ahead is an error (fi_efa(7)). Ids the sender aborted are skipped so the window keeps moving.
import { assert } from '../../errors.ts';

const ID_SPACE = 0x1_0000_0000;
const HALF_SPACE = 0x8000_0000;

export type WindowPlace = 'expected' | 'in-window' | 'past' | 'beyond';

export class ReorderWindow<T> {
  readonly size: number;
  #expected: number;
  readonly #items = new Map<number, T>();
  /** Aborted ids (in or beyond the window) still to be stepped over; bounded by `skipsMax`. */
  readonly #skips = new Set<number>();
  readonly #skipsMax: number;

  constructor(size: number, initialId = 0, skipsMax = 1024) {
    assert(Number.isInteger(size) && size >= 1, 'window size must be a positive integer');
    assert(Number.isInteger(initialId) && initialId >= 0 && initialId < ID_SPACE, 'initial id must be a u32');
    this.size = size;
    this.#expected = initialId;
    this.#skipsMax = skipsMax;
  }

  get expected(): number {
    return this.#expected;
  }

  get pending(): number {
    return this.#items.size;
  }

  /** Where `msgId` falls relative to the window (distance taken mod 2^32; more than 2^31 behind is "past"). */
  place(msgId: number): WindowPlace {
    const distance = (msgId - this.#expected + ID_SPACE) % ID_SPACE;
    if (distance === 0) return 'expected';
    if (distance < this.size) return 'in-window';
    if (distance >= HALF_SPACE) return 'past';
    return 'beyond';
  }

  isSkipped(msgId: number): boolean {
    return this.#skips.has(msgId);
  }

  has(msgId: number): boolean {
    return this.#items.has(msgId);
  }

  get(msgId: number): T | undefined {
    return this.#items.get(msgId);
  }

  /** Stores a message (or its staging state) inside the window. */
  put(msgId: number, item: T): void {
    const place = this.place(msgId);
    assert(place === 'expected' || place === 'in-window', 'put outside the window');
    this.#items.set(msgId, item);
  }

  /** Marks an id as aborted; false when the skip set is full (the caller must treat the peer as broken). */
  skip(msgId: number): boolean {
    if (this.place(msgId) === 'past') return true;
    if (this.#skips.size >= this.#skipsMax) return false;
    this.#items.delete(msgId);
    this.#skips.add(msgId);
    return true;
  }

  /**
   * Pops the next in-order item when `ready(item)` says it is complete, stepping over skipped ids; undefined when
   * the expected id has not (fully) arrived.
   */
  takeNext(ready: (item: T) => boolean): T | undefined {
    for (let guard = 0; guard <= this.#skipsMax; guard++) {
      if (this.#skips.delete(this.#expected)) {
        this.#advance();
        continue;
      }
      const item = this.#items.get(this.#expected);
      if (item === undefined || !ready(item)) return undefined;
      this.#items.delete(this.#expected);
      this.#advance();
      return item;
    }
    return undefined;
  }

  #advance(): void {
    this.#expected = (this.#expected + 1) % ID_SPACE;
  }
}
