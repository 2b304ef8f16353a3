/**
 * ASSUMED PLATFORM SERVICE, not in real Nitro: a monotonic counter per enclave image (keyed by PCR0), kept by
 * the platform outside the parent's reach, that an enclave can read and only move forward. Real deployments
 * need something equivalent (a counter in KMS, a replicated service) to stop sealed-state rollback (RB-01);
 * the emulator provides it here so the app can show what the check buys.
 */
import { EmuError } from '../errors.ts';

/** What one enclave sees: its image's counter. */
export interface MonotonicCounter {
  read(): number;
  /** Moves the counter to `to`, which must be greater than its value; returns the new value. */
  advance(to: number): number;
}

export const PLATFORM_COUNTERS_MAX = 4096;
export const PLATFORM_COUNTER_VALUE_MAX = 2 ** 32;

export class PlatformCounters {
  readonly #values = new Map<string, number>();

  read(imageKey: string): number {
    return this.#values.get(imageKey) ?? 0;
  }

  advance(imageKey: string, to: number): number {
    const current = this.read(imageKey);
    if (!Number.isSafeInteger(to) || to <= current || to > PLATFORM_COUNTER_VALUE_MAX) {
      throw new EmuError('PLATFORM_COUNTER_NOT_MONOTONIC', `the counter is at ${current}; it only moves forward (asked ${to})`, {
        current,
        to,
      });
    }
    if (!this.#values.has(imageKey) && this.#values.size >= PLATFORM_COUNTERS_MAX) {
      throw new EmuError('PLATFORM_COUNTER_FULL', `the platform keeps at most ${PLATFORM_COUNTERS_MAX} counters`);
    }
    this.#values.set(imageKey, to);
    return to;
  }

  /** The handle one enclave gets: bound to its own image's key, nothing else. */
  counterFor(imageKey: string): MonotonicCounter {
    return Object.freeze({ read: () => this.read(imageKey), advance: (to: number) => this.advance(imageKey, to) });
  }
}
