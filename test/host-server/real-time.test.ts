import { describe, expect, it } from 'vitest';
import { RealTimeDriver, Simulator, manualWallClock } from '../../src/sim/index.ts';

const EPOCH_MS = Date.UTC(2026, 5, 1);

describe('RealTimeDriver', () => {
  it('moves virtual time to the clock and runs exactly the events that became due', async () => {
    const sim = new Simulator({ seed: 1, epochMs: EPOCH_MS });
    const clock = manualWallClock(EPOCH_MS);
    const driver = new RealTimeDriver(sim, { clock });
    const ran: string[] = [];
    sim.schedule(3_000_000, 'a', () => ran.push('a'));
    sim.schedule(8_000_000, 'b', () => ran.push('b'));
    clock.advance(5);
    expect(await driver.exclusive(() => sim.nowNs)).toBe(5_000_000);
    expect(ran).toEqual(['a']);
    expect(sim.nowMs).toBe(EPOCH_MS + 5);
    clock.advance(10);
    await driver.exclusive(() => undefined);
    expect(ran).toEqual(['a', 'b']);
    expect(sim.nowNs).toBe(15_000_000);
  });

  it('lets a reply that arrived first win over a timeout due later in the same catch-up', async () => {
    const sim = new Simulator({ seed: 1, epochMs: EPOCH_MS });
    const clock = manualWallClock(EPOCH_MS);
    const driver = new RealTimeDriver(sim, { clock });
    const reply = new Promise<string>((resolve) => sim.schedule(1_000_000, 'reply', () => resolve('reply')));
    const outcome = sim.withTimeout(reply, 2_000_000, () => new Error('timeout')).then(
      (v) => v,
      (e: Error) => e.message,
    );
    clock.advance(50); // one long catch-up covers both the reply and the timeout
    await driver.exclusive(() => undefined);
    expect(await outcome).toBe('reply');
  });

  it('never moves virtual time back, and refuses asynchronous exclusive work', async () => {
    const sim = new Simulator({ seed: 1, epochMs: EPOCH_MS + 100 });
    const driver = new RealTimeDriver(sim, { clock: manualWallClock(EPOCH_MS) });
    expect(await driver.exclusive(() => sim.nowNs)).toBe(0);
    await expect(driver.exclusive(() => Promise.resolve(1) as never)).rejects.toThrow(/synchronous/);
    expect(await driver.exclusive(() => 'still serving')).toBe('still serving');
    await driver.stop();
  });

  it('ticks on its own while events are pending (real clock)', async () => {
    const sim = new Simulator({ seed: 1, epochMs: Date.now() });
    const driver = new RealTimeDriver(sim, { tickMs: 1 });
    const fired = new Promise<number>((resolve) => sim.schedule(20_000_000, 'timer', () => resolve(sim.nowNs)));
    driver.start();
    const at = await fired;
    expect(at).toBe(20_000_000);
    await driver.stop();
  });
});
