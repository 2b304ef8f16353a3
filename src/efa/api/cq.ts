// Completion queue (FI_CQ_FORMAT_TAGGED). Successful and error completions sit in two FIFOs: read() drains the
// first, readerr() the second (the real fi_cq_read returns -FI_EAVAIL at an error; we keep the two apart and
// expose `errorsAvailable` instead). Each entry of an operation holds that operation's tx/rx credit until the
// application reads it, so the queue cannot overrun: its capacity is txSize + rxSize + the unsolicited bound.
import type { CqEntry, CqErrEntry } from './types.ts';

export type Credit = 'tx' | 'rx' | 'none';

interface Slot<T> {
  readonly entry: T;
  readonly credit: Credit;
}

/** Error entries with no operation (malformed packets, window errors) beyond this are only counted. */
export const UNSOLICITED_ERRORS_MAX = 256;

export class CompletionQueue {
  readonly #ok: Slot<CqEntry>[] = [];
  readonly #err: Slot<CqErrEntry>[] = [];
  #okHead = 0;
  #errHead = 0;
  #unsolicited = 0;
  #unsolicitedDropped = 0;
  readonly #release: (credit: Credit) => void;
  readonly #schedule: (fn: () => void) => void;
  #waitHandler: (() => void) | undefined;
  #signalPending = false;

  /** `schedule` runs a function at the current virtual time, after the event that is running. */
  constructor(release: (credit: Credit) => void, schedule: (fn: () => void) => void) {
    this.#release = release;
    this.#schedule = schedule;
  }

  /** Up to `countMax` successful completions, oldest first. */
  read(countMax = 1): CqEntry[] {
    const out: CqEntry[] = [];
    while (out.length < countMax && this.#okHead < this.#ok.length) {
      const slot = this.#ok[this.#okHead]!;
      this.#okHead += 1;
      out.push(slot.entry);
      this.#release(slot.credit);
    }
    this.#compact();
    return out;
  }

  /** The oldest error completion, or undefined. */
  readerr(): CqErrEntry | undefined {
    if (this.#errHead >= this.#err.length) return undefined;
    const slot = this.#err[this.#errHead]!;
    this.#errHead += 1;
    if (slot.credit === 'none') this.#unsolicited -= 1;
    this.#release(slot.credit);
    this.#compact();
    return slot.entry;
  }

  get available(): number {
    return this.#ok.length - this.#okHead;
  }

  get errorsAvailable(): number {
    return this.#err.length - this.#errHead;
  }

  /** Unsolicited error entries that found the queue's unsolicited share full. */
  get unsolicitedDropped(): number {
    return this.#unsolicitedDropped;
  }

  /**
   * The wait object (fi_cq_sread's role in a simulation): `handler` runs once per virtual instant in which
   * completions were written, after the writing event. One handler per queue.
   */
  setWaitHandler(handler: (() => void) | undefined): void {
    this.#waitHandler = handler;
  }

  push(entry: CqEntry, credit: Credit): void {
    this.#ok.push({ entry, credit });
    this.#signal();
  }

  pushError(entry: CqErrEntry, credit: Credit): void {
    if (credit === 'none') {
      if (this.#unsolicited >= UNSOLICITED_ERRORS_MAX) {
        this.#unsolicitedDropped += 1;
        return;
      }
      this.#unsolicited += 1;
    }
    this.#err.push({ entry, credit });
    this.#signal();
  }

  #signal(): void {
    if (this.#waitHandler === undefined || this.#signalPending) return;
    this.#signalPending = true;
    this.#schedule(() => {
      this.#signalPending = false;
      this.#waitHandler?.();
    });
  }

  #compact(): void {
    if (this.#okHead > 1024 && this.#okHead * 2 > this.#ok.length) {
      this.#ok.splice(0, this.#okHead);
      this.#okHead = 0;
    }
    if (this.#errHead > 1024 && this.#errHead * 2 > this.#err.length) {
      this.#err.splice(0, this.#errHead);
      this.#errHead = 0;
    }
  }
}
