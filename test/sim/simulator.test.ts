import { describe, expect, it } from 'vitest';
import { AuditLog, EventQueue } from './imports.ts';
import { Simulator, Prng, canonicalJson } from '../../src/sim/index.ts';
import { isEmuError } from '../../src/errors.ts';

describe('event queue', () => {
  it('orders by time, then by scheduling order', () => {
    const queue = new EventQueue(16);
    const order: string[] = [];
    const push = (timeNs: number, seq: number, label: string) =>
      queue.push({ timeNs, seq, label, run: () => order.push(label) });
    push(5, 0, 'c');
    push(1, 1, 'a');
    push(5, 2, 'd');
    push(1, 3, 'b');
    push(0, 4, 'first');
    for (let e = queue.pop(); e; e = queue.pop()) e.run();
    expect(order).toEqual(['first', 'a', 'b', 'c', 'd']);
  });

  it('refuses to grow past its bound with a typed error', () => {
    const queue = new EventQueue(2);
    queue.push({ timeNs: 0, seq: 0, label: 'x', run: () => undefined });
    queue.push({ timeNs: 0, seq: 1, label: 'y', run: () => undefined });
    expect(() => queue.push({ timeNs: 0, seq: 2, label: 'z', run: () => undefined })).toThrowError(/SIM_QUEUE_FULL/);
    expect(queue.size).toBe(2);
  });
});

describe('prng streams', () => {
  it('are reproducible per (seed, name) and independent across names', () => {
    expect(new Prng(7, 'a').bytes(64)).toEqual(new Prng(7, 'a').bytes(64));
    expect(new Prng(7, 'a').bytes(64)).not.toEqual(new Prng(8, 'a').bytes(64));
    expect(new Prng(7, 'a').bytes(64)).not.toEqual(new Prng(7, 'b').bytes(64));
  });

  it('gives the same bytes however the draws are split', () => {
    const whole = new Prng(1, 's').bytes(1000);
    const split = new Prng(1, 's');
    const parts = [split.bytes(3), split.bytes(500), split.bytes(497)];
    expect(Buffer.concat(parts)).toEqual(Buffer.from(whole));
  });

  it('draws bounded integers uniformly enough', () => {
    const prng = new Prng(3, 'dice');
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 6000; i++) counts[prng.below(6)]!++;
    for (const count of counts) expect(count).toBeGreaterThan(850);
  });
});

describe('simulator', () => {
  it('advances virtual time only through events and keeps the epoch', async () => {
    const sim = new Simulator({ seed: 1, epochMs: 1_000 });
    const seen: number[] = [];
    sim.schedule(2_000_000, 'b', () => seen.push(sim.nowNs));
    sim.schedule(1_000_000, 'a', () => seen.push(sim.nowNs));
    await sim.run();
    expect(seen).toEqual([1_000_000, 2_000_000]);
    expect(sim.nowMs).toBe(1_002);
  });

  it('lets async flows wait on virtual time', async () => {
    const sim = new Simulator({ seed: 1 });
    const flow = (async () => {
      await sim.sleep(500, 'first');
      const mid = sim.nowNs;
      await sim.sleep(250, 'second');
      return [mid, sim.nowNs];
    })();
    expect(await sim.runUntil(flow)).toEqual([500, 750]);
  });

  it('reports a flow that can never finish instead of hanging', async () => {
    const sim = new Simulator({ seed: 1 });
    const never = new Promise<void>(() => undefined);
    await expect(sim.runUntil(never)).rejects.toSatisfy((e: unknown) => isEmuError(e, 'SIM_STALLED'));
  });

  it('gives the same trace digest for the same seed, and another for another seed', async () => {
    const digestOf = async (seed: number) => {
      const sim = new Simulator({ seed });
      const prng = sim.prng('work');
      for (let i = 0; i < 50; i++) {
        const delay = prng.below(1000);
        sim.schedule(delay, 'tick', () => sim.record('tick', { i, value: sim.prng('values').u32() }));
      }
      await sim.run();
      return sim.digest();
    };
    expect(await digestOf(11)).toBe(await digestOf(11));
    expect(await digestOf(11)).not.toBe(await digestOf(12));
  });

  it('fires faults only at armed sites and validates the plan', () => {
    const sim = new Simulator({ seed: 5, faultPlan: { 'net.drop': { numerator: 1, denominator: 2 } } });
    let fired = 0;
    for (let i = 0; i < 200; i++) if (sim.faults.maybe('net.drop')) fired++;
    expect(fired).toBeGreaterThan(60);
    expect(fired).toBeLessThan(140);
    expect(sim.faults.maybe('other')).toBe(false);
    expect(() => new Simulator({ seed: 1, faultPlan: { x: { numerator: 3, denominator: 2 } } })).toThrowError(
      /SIM_BAD_FAULT_PLAN/,
    );
  });
});

describe('canonical JSON', () => {
  it('sorts keys so equal values give equal text', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
  });
});

describe('audit log', () => {
  it('chains entries so that any edit is detected', () => {
    let now = 0;
    const log = new AuditLog('test', () => now++);
    log.append('operator', 'instance.stop', 'attempt', { id: 'i-1' });
    log.append('operator', 'instance.stop', 'ok', { id: 'i-1' });
    log.append('parent-admin', 'kms.Decrypt', 'denied', {});
    expect(log.verify()).toBe(-1);
    const forged = log.entries.map((e) => ({ ...e }));
    forged[1] = { ...forged[1]!, actor: 'nobody' };
    expect(log.verify(forged)).toBe(1);
    const dropped = [log.entries[0]!, log.entries[2]!];
    expect(log.verify(dropped)).toBe(1);
  });
});

describe('trace log', () => {
  it('writes pino JSON lines stamped with virtual time and no pid, hostname or wall time', async () => {
    const lines: string[] = [];
    const sim = new Simulator({ seed: 1, log: { write: (line) => void lines.push(line) } });
    sim.schedule(1_234, 'x', () => sim.record('vsock.connect', { from: '16:49152' }));
    await sim.run();
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ vt: 1_234, kind: 'vsock.connect', from: '16:49152', msg: 'vsock.connect' });
    expect(entry).not.toHaveProperty('pid');
    expect(entry).not.toHaveProperty('hostname');
    expect(entry).not.toHaveProperty('time');
  });
});
