// What the application layer checks on delivery (research/efa-srd.md §2.2, the `efa` fabric's send-after-send
// ordering): every segment delivered exactly once, messages released in send order through a reorder window of 16
// messages (FI_EFA_RECVWIN_SIZE); a message that would need a deeper window is an error, as in libfabric.
import type { DeliveredSegment } from '../contracts.ts';

export const RECV_WINDOW_MESSAGES = 16;
/** Segments per message tracked for the exactly-once check (a 1 GiB message has 131072 of 8 KiB). */
const SEGMENTS_TRACKED_MAX = 1 << 17;

interface Assembly {
  readonly offsets: Set<number>;
  received: number;
  readonly total: number;
}

export class SasChecker {
  windowOverflows = 0;
  duplicateSegments = 0;
  releasedMessages = 0;
  releasedBytes = 0;
  /** Deepest reorder the window had to hold, in messages. */
  depthMax = 0;
  #next = 0;
  readonly #assembling = new Map<number, Assembly>();
  readonly #complete = new Set<number>();
  readonly #overflowed = new Set<number>();

  /** `sequence` is the message's send-order number on this connection (0, 1, 2, …). */
  accept(sequence: number, segment: DeliveredSegment): void {
    if (sequence < this.#next || this.#complete.has(sequence)) {
      this.duplicateSegments++;
      return;
    }
    if (sequence >= this.#next + RECV_WINDOW_MESSAGES) {
      if (!this.#overflowed.has(sequence)) this.windowOverflows++;
      this.#overflowed.add(sequence);
    }
    let a = this.#assembling.get(sequence);
    if (a === undefined) {
      a = { offsets: new Set(), received: 0, total: segment.messageBytes };
      this.#assembling.set(sequence, a);
    }
    if (a.offsets.has(segment.offset) || a.offsets.size >= SEGMENTS_TRACKED_MAX) {
      this.duplicateSegments++;
      return;
    }
    a.offsets.add(segment.offset);
    a.received += segment.length;
    if (a.received < a.total && !(a.total === 0 && segment.length === 0)) return;
    this.#assembling.delete(sequence);
    this.#complete.add(sequence);
    this.depthMax = Math.max(this.depthMax, sequence - this.#next + 1);
    while (this.#complete.has(this.#next)) {
      this.#complete.delete(this.#next);
      this.releasedMessages++;
      this.#next++;
    }
    this.releasedBytes += a.total;
  }
}
