import { assert } from '../errors.ts';
import { NS_PER_MS, type Simulator } from './simulator.ts';
import { SYSTEM_WALL_CLOCK, type WallClock } from './wall-clock.ts';

export interface RealTimeOptions {
  readonly clock?: WallClock;
  /** How often a world with pending events is caught up with the clock; bounds the latency of a timer. */
  readonly tickMs?: number;
  /** Events run per catch-up at most, so a busy world still lets requests in between. */
  readonly eventsPerCatchUpMax?: number;
  /** An event handler that threw during a tick (the driver keeps going; requests see their own errors). */
  readonly onError?: (error: unknown) => void;
}

export const REAL_TIME_TICK_MS = 2;

/**
 * Runs a simulator in real time: virtual now follows the clock (virtual ns = (clock − epoch) × 10⁶), due
 * events run as the clock passes them, and outside work touches the world only between events, with the
 * clock caught up first. Unlike `followWallClock` (synchronous, for worlds whose work is request/response),
 * it lets promise continuations settle between events, as `Simulator.run` does: an enclave application
 * awaiting a reply must see it before a timeout due later in the same catch-up fires. A periodic tick keeps
 * each catch-up short, so timers inside the world fire within about `tickMs` of wall time.
 */
export class RealTimeDriver {
  readonly sim: Simulator;
  readonly #clock: WallClock;
  readonly #tickMs: number;
  readonly #eventsMax: number;
  readonly #onError: (error: unknown) => void;
  #timer: ReturnType<typeof setInterval> | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #busy = false;
  #stopped = false;

  constructor(sim: Simulator, options: RealTimeOptions = {}) {
    this.sim = sim;
    this.#clock = options.clock ?? SYSTEM_WALL_CLOCK;
    this.#tickMs = options.tickMs ?? REAL_TIME_TICK_MS;
    this.#eventsMax = options.eventsPerCatchUpMax ?? 100_000;
    this.#onError = options.onError ?? (() => undefined);
    assert(Number.isFinite(this.#tickMs) && this.#tickMs > 0, 'tickMs must be positive');
    assert(Number.isSafeInteger(this.#eventsMax) && this.#eventsMax > 0, 'eventsPerCatchUpMax must be a positive integer');
  }

  /** Virtual time (ns since the world's epoch) that corresponds to the clock's now. */
  targetNs(): number {
    return Math.max(0, Math.floor((this.#clock.nowMs() - this.sim.epochMs) * NS_PER_MS));
  }

  /** Starts the periodic catch-up; the timer does not keep the process alive on its own. */
  start(): void {
    assert(!this.#stopped, 'a stopped driver does not restart');
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      // Nothing due means nothing to do: requests catch the clock up themselves.
      if (this.#busy || this.sim.pending === 0) return;
      void this.exclusive(() => undefined).catch(this.#onError);
    }, this.#tickMs);
    this.#timer.unref();
  }

  /**
   * Runs `work` with the world caught up to the clock and no event running. `work` must be synchronous:
   * awaiting the world from inside it would wait for a catch-up that waits for it.
   */
  exclusive<T>(work: () => T): Promise<T> {
    const next = this.#chain.then(async () => {
      this.#busy = true;
      try {
        await this.#catchUp();
        const result = work();
        assert(!(result instanceof Promise), 'exclusive work must be synchronous');
        return result;
      } finally {
        this.#busy = false;
      }
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }

  /** Stops ticking and waits for the catch-up in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#chain;
  }

  async #catchUp(): Promise<void> {
    if (this.#stopped) return;
    const targetNs = this.targetNs();
    if (targetNs <= this.sim.nowNs) return;
    // The virtual clock moves only by running events: a no-op at the target carries it there even when nothing is due.
    this.sim.schedule(targetNs - this.sim.nowNs, 'wall-clock', () => undefined);
    try {
      await this.sim.run({ untilNs: targetNs, eventsMax: this.#eventsMax });
    } catch (error) {
      this.#onError(error);
    }
  }
}
