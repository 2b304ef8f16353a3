import { EmuError, assert } from '../errors.ts';
import { EventQueue } from './event-queue.ts';
import { Faults, type FaultPlan } from './faults.ts';
import { Prng } from './prng.ts';
import { Trace, type LogSink, type TraceValue } from './trace.ts';

/** 2026-01-01T00:00:00Z: the epoch of every world that must reproduce (DESIGN.md, Time and determinism). */
export const DEFAULT_EPOCH_MS = Date.UTC(2026, 0, 1);

export const NS_PER_MS = 1_000_000;

export interface SimulatorOptions {
  readonly seed: number;
  /** UTC instant of virtual time 0, in ms since the Unix epoch. */
  readonly epochMs?: number;
  readonly faultPlan?: FaultPlan;
  readonly log?: LogSink;
  readonly queueCapacity?: number;
  readonly traceEventsMax?: number;
}

export interface RunLimits {
  readonly eventsMax?: number;
  readonly untilNs?: number;
}

/**
 * One deterministic discrete-event world: a virtual clock in integer nanoseconds, seeded random
 * streams, a bounded queue of events ordered by (time, seq), a fault plan and a digested trace.
 * It is the only owner of time and randomness; components receive it and never read the machine's.
 */
export class Simulator {
  readonly seed: number;
  readonly epochMs: number;
  readonly trace: Trace;
  readonly faults: Faults;
  readonly #queue: EventQueue;
  readonly #streams = new Map<string, Prng>();
  /** Seqs of events whose timer was cancelled: they neither run nor advance the clock. */
  readonly #cancelled = new Set<number>();
  #nowNs = 0;
  #seq = 0;
  #eventsRun = 0;

  constructor(options: SimulatorOptions) {
    assert(Number.isSafeInteger(options.seed) && options.seed >= 0, 'seed must be a non-negative safe integer');
    this.seed = options.seed;
    this.epochMs = options.epochMs ?? DEFAULT_EPOCH_MS;
    assert(Number.isSafeInteger(this.epochMs), 'epochMs must be an integer');
    this.#queue = new EventQueue(options.queueCapacity ?? 1_000_000);
    this.trace = new Trace({
      eventsMax: options.traceEventsMax ?? 200_000,
      sink: options.log ?? 'silent',
      nowNs: () => this.#nowNs,
    });
    this.faults = new Faults(options.faultPlan ?? {}, this.prng('sim.faults'));
  }

  get nowNs(): number {
    return this.#nowNs;
  }

  /** Virtual now as a UTC instant in whole milliseconds. */
  get nowMs(): number {
    return this.epochMs + Math.floor(this.#nowNs / NS_PER_MS);
  }

  get eventsRun(): number {
    return this.#eventsRun;
  }

  get pending(): number {
    return this.#queue.size - this.#cancelled.size;
  }

  /** The named random stream; the same name always returns the same stream object. */
  prng(name: string): Prng {
    let stream = this.#streams.get(name);
    if (stream === undefined) {
      stream = new Prng(this.seed, name);
      this.#streams.set(name, stream);
    }
    return stream;
  }

  /** Returns a cancel function: a cancelled event never runs and never moves the clock (timeouts that did not fire). */
  schedule(delayNs: number, label: string, run: () => void): () => void {
    assert(Number.isSafeInteger(delayNs) && delayNs >= 0, `delay must be a non-negative integer ns, got ${delayNs}`);
    const timeNs = this.#nowNs + delayNs;
    assert(Number.isSafeInteger(timeNs), 'virtual time overflowed 2^53 ns');
    const seq = this.#seq++;
    let done = false;
    this.#queue.push({
      timeNs,
      seq,
      label,
      run: () => {
        done = true;
        run();
      },
    });
    return () => {
      if (done) return;
      done = true;
      this.#cancelled.add(seq);
    };
  }

  /**
   * Races `work` against `delayNs` of virtual time: its value, or `onTimeout()`'s error once the time
   * passed. The timer is cancelled as soon as `work` settles, so a timeout that did not fire leaves no
   * trace and no pending event.
   */
  withTimeout<T>(work: Promise<T>, delayNs: number, onTimeout: () => Error, label = 'timeout'): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const cancel = this.schedule(delayNs, label, () => {
        if (settled) return;
        settled = true;
        reject(onTimeout());
      });
      work.then(
        (value) => {
          if (settled) return;
          settled = true;
          cancel();
          resolve(value);
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          cancel();
          reject(error as Error);
        },
      );
    });
  }

  /** Resolves after `delayNs` of virtual time. */
  sleep(delayNs: number, label = 'sleep'): Promise<void> {
    return new Promise((resolve) => this.schedule(delayNs, label, resolve));
  }

  record(kind: string, fields: Record<string, TraceValue> = {}): void {
    this.trace.record({ timeNs: this.#nowNs, seq: this.trace.count, kind, fields });
  }

  digest(): string {
    return this.trace.digestHex();
  }

  /** Runs one event; returns false when the queue is empty. */
  step(): boolean {
    this.#dropCancelled();
    const event = this.#queue.pop();
    if (event === undefined) return false;
    assert(event.timeNs >= this.#nowNs, 'time went backwards');
    this.#nowNs = event.timeNs;
    this.#eventsRun++;
    event.run();
    return true;
  }

  #dropCancelled(): void {
    for (let next = this.#queue.peek(); next !== undefined && this.#cancelled.has(next.seq); next = this.#queue.peek()) {
      this.#queue.pop();
      this.#cancelled.delete(next.seq);
    }
  }

  /** Runs events (letting promise continuations settle between them) until the queue drains or a limit hits. */
  async run(limits: RunLimits = {}): Promise<void> {
    const eventsMax = limits.eventsMax ?? 10_000_000;
    for (let i = 0; i < eventsMax; i++) {
      await settleMicrotasks();
      this.#dropCancelled();
      const next = this.#queue.peek();
      if (next === undefined) return;
      if (limits.untilNs !== undefined && next.timeNs > limits.untilNs) {
        this.#nowNs = Math.max(this.#nowNs, limits.untilNs);
        return;
      }
      this.step();
    }
    await settleMicrotasks();
  }

  /**
   * Drives the world until `work` settles. A flow that waits on nothing the queue will ever
   * deliver is a deadlock and fails with SIM_STALLED instead of hanging.
   */
  async runUntil<T>(work: Promise<T>, eventsMax = 10_000_000): Promise<T> {
    let settled = false;
    const observed = work.then(
      (value) => {
        settled = true;
        return value;
      },
      (error: unknown) => {
        settled = true;
        throw error;
      },
    );
    observed.catch(() => undefined);
    for (let i = 0; i < eventsMax; i++) {
      await settleMicrotasks();
      if (settled) return observed;
      if (!this.step()) {
        await settleMicrotasks();
        if (settled) return observed;
        throw new EmuError('SIM_STALLED', 'the flow is waiting for an event that will never come', {
          nowNs: this.#nowNs,
        });
      }
    }
    throw new EmuError('SIM_EVENT_LIMIT', `no result after ${eventsMax} events`, { nowNs: this.#nowNs });
  }
}

/** A macrotask boundary: every queued promise continuation runs before it resolves. */
function settleMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
