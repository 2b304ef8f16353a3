import { assert } from '../../errors.ts';
import type { HostId, TransferCompletion } from '../contracts.ts';
import type { RateStamp } from './congestion.ts';
import { PSN_WINDOW } from './constants.ts';

/** A work request being sent: segmented into ≤ MTU packets, one PSN each. */
export interface SrdMessage {
  readonly id: number;
  readonly dst: HostId;
  readonly bytes: number;
  readonly payload: Uint8Array | undefined;
  readonly onComplete: (completion: TransferCompletion) => void;
  readonly postedPs: number;
  readonly packetsTotal: number;
  packetsAcked: number;
  packetsMade: number;
  nextOffset: number;
  done: boolean;
}

/** One PSN's state while unresolved; the object is reused across its retransmissions. */
export interface TxEntry extends RateStamp {
  readonly psn: number;
  readonly msg: SrdMessage;
  readonly offset: number;
  readonly length: number;
  readonly wire: number;
  ev: number;
  pathSeq: number;
  sentPs: number;
  txCount: number;
  timeouts: number;
  acked: boolean;
  inFlight: boolean;
  /** Its wire bytes count in the sender's inflightBytes (a backed-off retransmission stops counting after one RTO). */
  charged: boolean;
}

const RING_INITIAL = 64;
/** Compact a consumed queue prefix once it is this long (amortised O(1) dequeue). */
const COMPACT_AT = 1024;

/**
 * Unresolved PSNs of one context in a power-of-two ring indexed by PSN, growing up to PSN_WINDOW. `basePsn` is the
 * oldest unresolved PSN; the sender never lets nextPsn − basePsn reach PSN_WINDOW (the receiver's dedup window).
 */
export class PsnRing {
  basePsn = 0;
  nextPsn = 0;
  #slots: (TxEntry | undefined)[] = new Array<TxEntry | undefined>(RING_INITIAL).fill(undefined);
  #mask = RING_INITIAL - 1;

  get full(): boolean {
    return this.nextPsn - this.basePsn >= PSN_WINDOW;
  }

  lookup(psn: number): TxEntry | undefined {
    if (psn < this.basePsn || psn >= this.nextPsn) return undefined;
    const e = this.#slots[psn & this.#mask];
    return e !== undefined && e.psn === psn ? e : undefined;
  }

  /** Stores a new entry; its PSN must be `nextPsn` (the caller built it with that PSN). */
  insert(entry: TxEntry): void {
    assert(entry.psn === this.nextPsn && !this.full, 'SRD PSN out of order or window full');
    this.nextPsn++;
    if (this.nextPsn - this.basePsn > this.#slots.length) this.#grow();
    assert(this.#slots[entry.psn & this.#mask] === undefined, 'SRD ring slot still taken');
    this.#slots[entry.psn & this.#mask] = entry;
  }

  remove(psn: number): void {
    this.#slots[psn & this.#mask] = undefined;
  }

  advanceBase(): void {
    while (this.basePsn < this.nextPsn && this.#slots[this.basePsn & this.#mask] === undefined) this.basePsn++;
  }

  #grow(): void {
    const old = this.#slots;
    const oldMask = this.#mask;
    const size = old.length * 2;
    assert(size <= PSN_WINDOW, 'SRD ring beyond the PSN window');
    this.#slots = new Array<TxEntry | undefined>(size).fill(undefined);
    this.#mask = size - 1;
    for (let psn = this.basePsn; psn < this.nextPsn - 1; psn++) {
      const e = old[psn & oldMask];
      if (e !== undefined && e.psn === psn) this.#slots[psn & this.#mask] = e;
    }
  }
}

/** A FIFO with a moving head over a plain array; stale items are skipped by the caller's predicate. */
export class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  push(item: T): void {
    this.#items.push(item);
  }

  /** The first item `live` accepts; items before it are dropped. */
  first(live: (item: T) => boolean): T | undefined {
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head]!;
      if (live(item)) return item;
      this.#head++;
      if (this.#head >= COMPACT_AT && this.#head * 2 >= this.#items.length) {
        this.#items.splice(0, this.#head);
        this.#head = 0;
      }
    }
    if (this.#head > 0) {
      this.#items = [];
      this.#head = 0;
    }
    return undefined;
  }
}

/**
 * Transmissions per EV in pathSeq order, for the FIFO-gap detector (research §5.3): paths are FIFO, so an ACK for
 * pathSeq k on an EV means every earlier transmission on it that is still in flight was lost.
 */
export class PathFifos {
  readonly #entries: TxEntry[][];
  readonly #seqs: number[][];
  readonly #head: Int32Array;

  constructor(paths: number) {
    this.#entries = Array.from({ length: paths }, () => []);
    this.#seqs = Array.from({ length: paths }, () => []);
    this.#head = new Int32Array(paths);
  }

  push(ev: number, entry: TxEntry, pathSeq: number): void {
    this.#entries[ev]!.push(entry);
    this.#seqs[ev]!.push(pathSeq);
  }

  /** Pops every transmission on `ev` up to pathSeq k; appends to `lost` those before k still in flight there. */
  popThrough(ev: number, k: number, lost: TxEntry[]): void {
    const entries = this.#entries[ev]!;
    const seqs = this.#seqs[ev]!;
    let head = this.#head[ev]!;
    while (head < seqs.length) {
      const seq = seqs[head]!;
      if (seq > k) break;
      const entry = entries[head]!;
      head++;
      // Superseded transmissions (acked, or resent elsewhere) no longer match (ev, pathSeq): skip them.
      if (seq < k && entry.inFlight && !entry.acked && entry.ev === ev && entry.pathSeq === seq && !entry.msg.done) lost.push(entry);
    }
    if (head >= COMPACT_AT && head * 2 >= seqs.length) {
      entries.splice(0, head);
      seqs.splice(0, head);
      head = 0;
    }
    this.#head[ev] = head;
  }
}
