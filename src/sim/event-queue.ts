import { EmuError, assert } from '../errors.ts';

export interface ScheduledEvent {
  readonly timeNs: number;
  readonly seq: number;
  readonly label: string;
  readonly run: () => void;
}

/** A binary min-heap ordered by (timeNs, seq): equal times run in scheduling order. */
export class EventQueue {
  readonly capacity: number;
  #heap: ScheduledEvent[] = [];

  constructor(capacity: number) {
    assert(Number.isSafeInteger(capacity) && capacity > 0, 'queue capacity must be a positive integer');
    this.capacity = capacity;
  }

  get size(): number {
    return this.#heap.length;
  }

  push(event: ScheduledEvent): void {
    if (this.#heap.length >= this.capacity) {
      throw new EmuError('SIM_QUEUE_FULL', `event queue is full (${this.capacity} events)`, { label: event.label });
    }
    const heap = this.#heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  peek(): ScheduledEvent | undefined {
    return this.#heap[0];
  }

  pop(): ScheduledEvent | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) break;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
    return top;
  }
}

function before(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.timeNs < b.timeNs || (a.timeNs === b.timeNs && a.seq < b.seq);
}
