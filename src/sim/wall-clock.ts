import { assert } from '../errors.ts';
import { NS_PER_MS, type Simulator } from './simulator.ts';

/**
 * The machine's clock, for served worlds that run in real time (virtual now = wall now, DESIGN.md §3).
 * Components never read it: the serving layer asks it for the time and moves the simulator there with
 * `followWallClock`. Tests pass a fake one.
 */
export interface WallClock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number;
}

export const SYSTEM_WALL_CLOCK: WallClock = Object.freeze({ nowMs: () => Date.now() });

/** A clock a test moves by hand. */
export function manualWallClock(startMs: number): WallClock & { advance(ms: number): void; set(ms: number): void } {
  assert(Number.isSafeInteger(startMs), 'startMs must be an integer');
  let nowMs = startMs;
  return {
    nowMs: () => nowMs,
    advance(ms: number) {
      assert(Number.isSafeInteger(ms) && ms >= 0, 'a wall clock only moves forward');
      nowMs += ms;
    },
    set(ms: number) {
      assert(Number.isSafeInteger(ms) && ms >= nowMs, 'a wall clock only moves forward');
      nowMs = ms;
    },
  };
}

const CATCH_UP_EVENTS_MAX = 1_000_000;

/**
 * Runs the simulator's due events and brings its virtual time up to the wall clock's now. A wall clock that
 * steps backwards (NTP) leaves virtual time where it is: virtual time never goes back. Synchronous, so a served
 * request sees one consistent now; call it between requests, never from inside an event.
 */
export function followWallClock(sim: Simulator, clock: WallClock): void {
  const targetNs = (clock.nowMs() - sim.epochMs) * NS_PER_MS;
  assert(Number.isSafeInteger(targetNs), 'wall time is outside the simulator’s range');
  if (targetNs <= sim.nowNs) return;
  let reached = false;
  const cancel = sim.schedule(targetNs - sim.nowNs, 'wall-clock', () => (reached = true));
  for (let i = 0; i < CATCH_UP_EVENTS_MAX && !reached; i++) {
    if (!sim.step()) break;
  }
  if (!reached) cancel();
  assert(reached, 'the simulator did not reach wall time: too many events due at once');
}
