import { describe, expect, it } from 'vitest';
import { FramedConnection, VMADDR_CID_PARENT, VsockBus, createPipe, type PipeEnd } from '../../src/ports/index.ts';
import { Prng, Simulator, type FaultPlan } from '../../src/sim/index.ts';
import { isEmuError } from '../../src/errors.ts';

const always = { numerator: 1, denominator: 1 };

function pipe(plan: FaultPlan, channel = 'vsock 16:1->3:2') {
  const sim = new Simulator({ seed: 3, faultPlan: plan });
  const [a, b] = createPipe({ sim, channel, latencyNs: 1_000, owners: ['enclave', 'parent-admin'] });
  return { sim, a: new FramedConnection(a), b: new FramedConnection(b), rawB: b };
}

/** Sends `messages` one by one, closes, and collects what the far end reads until the close. */
async function exchange(sim: Simulator, a: FramedConnection, b: FramedConnection, messages: number[]): Promise<number[]> {
  for (const m of messages) a.send(Uint8Array.of(m));
  a.close();
  const got: number[] = [];
  await sim.runUntil(
    (async () => {
      for (let i = 0; i < 64; i++) {
        const message = await b.receive();
        if (message === null) return;
        got.push(message[0]!);
      }
    })(),
  );
  return got;
}

describe('pipe fault sites act on whole messages', () => {
  it('without a plan every message arrives once, in order', async () => {
    const { sim, a, b } = pipe({});
    expect(await exchange(sim, a, b, [1, 2, 3, 4])).toEqual([1, 2, 3, 4]);
  });

  it('pipe.drop loses whole messages and the framing stays parseable', async () => {
    const { sim, a, b } = pipe({ 'pipe.drop': { numerator: 1, denominator: 2 } });
    const got = await exchange(sim, a, b, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(10);
    // What survives keeps its order: a drop never reorders.
    expect([...got].sort((x, y) => x - y)).toEqual(got);
    expect(sim.faults.fired()['pipe.drop']).toBe(10 - got.length);
  });

  it('pipe.duplicate delivers a message twice, back to back', async () => {
    const { sim, a, b } = pipe({ 'pipe.duplicate': always });
    expect(await exchange(sim, a, b, [1, 2])).toEqual([1, 1, 2, 2]);
  });

  it('pipe.reorder holds one message behind the next', async () => {
    const { sim, a, b } = pipe({ 'pipe.reorder': always });
    // 1 is held, 2 overtakes it and releases it; 3 is held and flushed by the close.
    expect(await exchange(sim, a, b, [1, 2, 3])).toEqual([2, 1, 3]);
  });

  it('a held message is flushed after its bounded hold time when nothing overtakes it', async () => {
    const { sim, a, b } = pipe({ 'pipe.reorder': always });
    a.send(Uint8Array.of(7));
    const message = await sim.runUntil(b.receive());
    expect(message).toEqual(Uint8Array.of(7));
    expect(sim.nowNs).toBeGreaterThan(1_000);
  });

  it('pipe.delay adds bounded latency but keeps FIFO order', async () => {
    const { sim, a, b } = pipe({ 'pipe.delay': { numerator: 1, denominator: 2 } });
    const got = await exchange(sim, a, b, [1, 2, 3, 4, 5, 6, 7, 8]);
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(sim.nowNs).toBeGreaterThan(8_000);
    expect(sim.nowNs).toBeLessThan(8 * 20_000_000 + 10_000);
  });

  it('a site scoped to one link leaves the others alone', async () => {
    const plan = { 'pipe.drop.kms-endpoint': always };
    const vsock = pipe(plan, 'vsock 16:1->3:8000');
    expect(await exchange(vsock.sim, vsock.a, vsock.b, [1, 2])).toEqual([1, 2]);
    const kms = pipe(plan, 'kms-endpoint arn:aws:iam::1:role/r');
    expect(await exchange(kms.sim, kms.a, kms.b, [1, 2])).toEqual([]);
    const client = pipe({ 'pipe.drop.client': always }, 'internet client<->parent');
    expect(await exchange(client.sim, client.a, client.b, [1])).toEqual([]);
  });

  it('an empty or paused plan draws no randomness', async () => {
    const { sim, a, b } = pipe({});
    await exchange(sim, a, b, [1, 2, 3]);
    const paused = pipe({ 'pipe.drop': always });
    paused.sim.faults.pause();
    expect(await exchange(paused.sim, paused.a, paused.b, [1, 2, 3])).toEqual([1, 2, 3]);
    // The fault stream is untouched: its next bytes are a fresh stream's first.
    const fresh = new Prng(3, 'sim.faults').bytes(16);
    expect(sim.prng('sim.faults').bytes(16)).toEqual(fresh);
    expect(paused.sim.prng('sim.faults').bytes(16)).toEqual(fresh);
  });
});

describe('virtual-time timeouts', () => {
  it('a timeout that did not fire leaves no event and does not move the clock', async () => {
    const sim = new Simulator({ seed: 1 });
    const value = await sim.runUntil(sim.withTimeout(sim.sleep(1_000).then(() => 'ok'), 1_000_000, () => new Error('late')));
    expect(value).toBe('ok');
    await sim.run();
    expect(sim.nowNs).toBe(1_000);
    expect(sim.pending).toBe(0);
  });

  it('a timeout that fires rejects with the given error at the deadline', async () => {
    const sim = new Simulator({ seed: 1 });
    const never = new Promise<never>(() => undefined);
    const keepAlive = sim.sleep(5_000_000);
    await expect(sim.runUntil(sim.withTimeout(never, 2_000, () => new Error('timed out')))).rejects.toThrow('timed out');
    expect(sim.nowNs).toBe(2_000);
    void keepAlive;
  });
});

describe('a vsock listener crash and restart', () => {
  it('closes the connections it accepted, refuses while down, and accepts again after restart', async () => {
    const sim = new Simulator({ seed: 1 });
    const bus = new VsockBus({ sim });
    bus.attach(VMADDR_CID_PARENT, 'parent-admin');
    bus.attach(16, 'enclave');
    const address = { cid: VMADDR_CID_PARENT, port: 8000 };
    const served: PipeEnd[] = [];
    bus.listen(address, (end) => served.push(end));
    const before = await sim.runUntil(bus.connect(16, address));
    expect(bus.crash(address)).toBe(true);
    expect(await sim.runUntil(before.read())).toBeNull();
    const refused = await sim.runUntil(bus.connect(16, address)).catch((error: unknown) => error);
    expect(isEmuError(refused, 'VSOCK_CONNECTION_REFUSED')).toBe(true);
    expect(bus.restart(address)).toBe(true);
    const after = await sim.runUntil(bus.connect(16, address));
    after.send(Uint8Array.of(9));
    expect(served).toHaveLength(2);
    expect(await sim.runUntil(served[1]!.read())).toEqual(Uint8Array.of(9));
    expect(bus.restart(address)).toBe(false);
  });
});
