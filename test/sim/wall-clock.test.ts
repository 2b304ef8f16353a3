import { describe, expect, it } from 'vitest';
import { followWallClock, manualWallClock, NS_PER_MS, Simulator } from '../../src/sim/index.ts';

describe('followWallClock', () => {
  it('moves virtual time to wall time, runs due events, never goes back', () => {
    const epochMs = 1_800_000_000_000;
    const sim = new Simulator({ seed: 1, epochMs });
    const clock = manualWallClock(epochMs);
    const ran: number[] = [];
    sim.schedule(5 * NS_PER_MS, 'due', () => ran.push(sim.nowMs));
    sim.schedule(50 * NS_PER_MS, 'later', () => ran.push(sim.nowMs));
    clock.advance(10);
    followWallClock(sim, clock);
    expect(sim.nowMs).toBe(epochMs + 10);
    expect(ran).toEqual([epochMs + 5]);
    expect(sim.pending).toBe(1);
    followWallClock(sim, manualWallClock(epochMs + 3));
    expect(sim.nowMs).toBe(epochMs + 10);
    expect(() => clock.advance(-1)).toThrow();
  });
});
