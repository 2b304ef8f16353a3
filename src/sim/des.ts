import { assert } from '../errors.ts';

/**
 * The fabric's fast discrete-event kernel (research/efa-srd.md §5.1). Time is integer picoseconds in a JS number
 * (exact to 2^53 ps ≈ 2.5 h). Events are (time, seq, handlerId, arg, num) kept in parallel arrays of a binary
 * min-heap ordered by (time, seq), so equal times run in scheduling order. Handlers are registered once; posting
 * an event allocates nothing but the slot it may grow into, which keeps a packet hop to a few array writes.
 */
export type DesHandler = (arg: unknown, num: number) => void;

export interface DesRunLimits {
  readonly untilPs?: number;
  readonly eventsMax?: number;
}

const CAPACITY_INITIAL = 1024;
/** A runaway producer is a bug: 2^24 pending events is far beyond any fabric experiment (≈ 16 M packets in flight). */
export const DES_PENDING_MAX = 1 << 24;
const HANDLERS_MAX = 1 << 16;

export class Des {
  #now = 0;
  #eventsRun = 0;
  #nextSeq = 0;
  #size = 0;
  #capacity = CAPACITY_INITIAL;
  #time = new Float64Array(CAPACITY_INITIAL);
  #seq = new Float64Array(CAPACITY_INITIAL);
  #handler = new Int32Array(CAPACITY_INITIAL);
  #num = new Float64Array(CAPACITY_INITIAL);
  #arg: unknown[] = new Array<unknown>(CAPACITY_INITIAL).fill(undefined);
  #handlers: DesHandler[] = [];
  /** Tombstones: cancelled events stay in the heap and are skipped when they surface (no O(n) search). */
  #cancelled = new Set<number>();
  #running = false;

  get now(): number {
    return this.#now;
  }

  get eventsRun(): number {
    return this.#eventsRun;
  }

  /** Pending events, cancelled ones included until they surface. */
  get size(): number {
    return this.#size;
  }

  /** Registers a handler once; events name it by the returned id. */
  register(handler: DesHandler): number {
    assert(this.#handlers.length < HANDLERS_MAX, 'too many DES handlers');
    this.#handlers.push(handler);
    return this.#handlers.length - 1;
  }

  /** Posts an event at `timePs` (integer, ≥ now); returns its sequence number (the cancel handle). */
  at(timePs: number, handlerId: number, arg?: unknown, num = 0): number {
    assert(Number.isSafeInteger(timePs) && timePs >= this.#now, `event time ${timePs} is not an integer ≥ now ${this.#now}`);
    assert(handlerId >= 0 && handlerId < this.#handlers.length, `unknown DES handler ${handlerId}`);
    if (this.#size === this.#capacity) this.#grow();
    const seq = this.#nextSeq++;
    this.#siftUp(this.#size++, timePs, seq, handlerId, arg, num);
    return seq;
  }

  /** Cancels a pending event by its sequence number. The caller guarantees it has not run yet. */
  cancel(seq: number): void {
    assert(Number.isSafeInteger(seq) && seq >= 0 && seq < this.#nextSeq, `unknown event ${seq}`);
    this.#cancelled.add(seq);
  }

  /**
   * Runs events in (time, seq) order until the queue is empty, the next event is later than `untilPs`, or
   * `eventsMax` events ran. With `untilPs` the clock then stands at `untilPs` (unless stopped by `eventsMax`).
   * Returns the number of events run (cancelled ones do not count).
   */
  run(limits: DesRunLimits = {}): number {
    const untilPs = limits.untilPs ?? Number.POSITIVE_INFINITY;
    const eventsMax = limits.eventsMax ?? Number.POSITIVE_INFINITY;
    assert(untilPs >= this.#now, `run until ${untilPs} is before now ${this.#now}`);
    assert(eventsMax >= 0, 'eventsMax must be ≥ 0');
    // A handler that runs the kernel would pop events out from under the outer loop's clock.
    assert(!this.#running, 'Des.run called from inside an event handler');
    this.#running = true;
    try {
      return this.#loop(untilPs, eventsMax);
    } finally {
      this.#running = false;
    }
  }

  #loop(untilPs: number, eventsMax: number): number {
    const handlers = this.#handlers;
    const cancelled = this.#cancelled;
    let ran = 0;
    while (this.#size > 0 && ran < eventsMax) {
      const timePs = this.#time[0]!;
      if (timePs > untilPs) break;
      const seq = this.#seq[0]!;
      const handlerId = this.#handler[0]!;
      const arg = this.#arg[0];
      const num = this.#num[0]!;
      this.#popTop();
      if (cancelled.size > 0 && cancelled.delete(seq)) continue;
      this.#now = timePs;
      ran++;
      this.#eventsRun++;
      handlers[handlerId]!(arg, num);
    }
    if (ran < eventsMax && untilPs !== Number.POSITIVE_INFINITY && untilPs > this.#now) this.#now = untilPs;
    return ran;
  }

  #siftUp(hole: number, timePs: number, seq: number, handlerId: number, arg: unknown, num: number): void {
    const time = this.#time;
    const seqs = this.#seq;
    let i = hole;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = time[parent]!;
      if (pt < timePs || (pt === timePs && seqs[parent]! < seq)) break;
      this.#move(parent, i);
      i = parent;
    }
    this.#write(i, timePs, seq, handlerId, arg, num);
  }

  #popTop(): void {
    const last = --this.#size;
    if (last === 0) {
      this.#arg[0] = undefined;
      return;
    }
    const time = this.#time;
    const seqs = this.#seq;
    const t = time[last]!;
    const s = seqs[last]!;
    const h = this.#handler[last]!;
    const a = this.#arg[last];
    const n = this.#num[last]!;
    this.#arg[last] = undefined;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= last) break;
      const right = left + 1;
      let child = left;
      if (right < last) {
        const lt = time[left]!;
        const rt = time[right]!;
        if (rt < lt || (rt === lt && seqs[right]! < seqs[left]!)) child = right;
      }
      const ct = time[child]!;
      if (t < ct || (t === ct && s < seqs[child]!)) break;
      this.#move(child, i);
      i = child;
    }
    this.#write(i, t, s, h, a, n);
  }

  #move(from: number, to: number): void {
    this.#time[to] = this.#time[from]!;
    this.#seq[to] = this.#seq[from]!;
    this.#handler[to] = this.#handler[from]!;
    this.#num[to] = this.#num[from]!;
    this.#arg[to] = this.#arg[from];
  }

  #write(i: number, timePs: number, seq: number, handlerId: number, arg: unknown, num: number): void {
    this.#time[i] = timePs;
    this.#seq[i] = seq;
    this.#handler[i] = handlerId;
    this.#num[i] = num;
    this.#arg[i] = arg;
  }

  #grow(): void {
    assert(this.#capacity < DES_PENDING_MAX, `DES queue is full (${DES_PENDING_MAX} pending events)`);
    const capacity = this.#capacity * 2;
    const time = new Float64Array(capacity);
    time.set(this.#time);
    const seq = new Float64Array(capacity);
    seq.set(this.#seq);
    const handler = new Int32Array(capacity);
    handler.set(this.#handler);
    const num = new Float64Array(capacity);
    num.set(this.#num);
    const arg = this.#arg;
    for (let i = this.#capacity; i < capacity; i++) arg.push(undefined);
    this.#time = time;
    this.#seq = seq;
    this.#handler = handler;
    this.#num = num;
    this.#capacity = capacity;
  }
}
