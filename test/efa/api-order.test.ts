import { describe, expect, it } from 'vitest';
import { FI_ADDR_UNSPEC, FI_SUCCESS, type CqEntry, type CqErrEntry, type Endpoint } from '../../src/efa/api/index.ts';
import { isEmuError } from '../../src/errors.ts';
import { pair, pattern } from './api-helpers.ts';

function readAll(ep: Endpoint): { ok: CqEntry[]; err: CqErrEntry[] } {
  const ok: CqEntry[] = [];
  const err: CqErrEntry[] = [];
  for (let batch = ep.cq.read(256); batch.length > 0; batch = ep.cq.read(256)) ok.push(...batch);
  for (let e = ep.cq.readerr(); e !== undefined; e = ep.cq.readerr()) err.push(e);
  return { ok, err };
}

const PS_PER_MS = 1_000_000_000;

describe('efa ordering (SAS) and the reorder window', () => {
  it('tagged sends that overtake each other on the wire complete in send order', () => {
    const count = 600;
    const { fabric, a, b, aToB } = pair('efa', { jitterPs: 40_000_000 }, { txSize: count, rxSize: count });
    for (let i = 0; i < count; i++) expect(b.trecv(new Uint8Array(4), FI_ADDR_UNSPEC, 0n, ~0n & 0xffff_ffff_ffff_ffffn, i)).toBe(FI_SUCCESS);
    for (let i = 0; i < count; i++) {
      const body = new Uint8Array(4);
      new DataView(body.buffer).setUint32(0, i, true);
      expect(a.tsend(body, aToB, BigInt(i), i)).toBe(FI_SUCCESS);
    }
    fabric.run();
    const rx = readAll(b);
    expect(rx.err).toEqual([]);
    expect(rx.ok.map((e) => Number(e.tag))).toEqual([...Array(count).keys()]);
    expect(rx.ok.map((e) => new DataView(e.buf!.buffer).getUint32(0, true))).toEqual([...Array(count).keys()]);
    // The wire really reordered: messages arrived ahead of the one expected and waited in the window.
    expect(b.stats().arrivedAhead).toBeGreaterThan(count / 10);
    expect(readAll(a).ok).toHaveLength(count);
  });

  it('msg_id wraps around 2^32 without losing order', () => {
    const { fabric, a, b, aToB } = pair('efa', { jitterPs: 20_000_000 }, { initialMsgId: 2 ** 32 - 5 });
    for (let i = 0; i < 20; i++) b.trecv(new Uint8Array(1), FI_ADDR_UNSPEC, 0n, 0xffn, i);
    for (let i = 0; i < 20; i++) a.tsend(Uint8Array.of(i), aToB, BigInt(i));
    fabric.run();
    expect(readAll(b).ok.map((e) => e.buf![0])).toEqual([...Array(20).keys()]);
  });

  it('a message 16 or more ahead of the expected one is an error completion on both sides; the rest complete', () => {
    // Message 0 is held back 1 ms; with the sender's window limit off, message 16 lands outside the window.
    const hold = { jitterPs: 0, extraDelayPs: (index: number) => (index === 0 ? PS_PER_MS : 0) };
    const { fabric, a, b, aToB } = pair('efa', hold, { senderWindowLimit: false });
    for (let i = 0; i < 17; i++) b.recv(new Uint8Array(1), FI_ADDR_UNSPEC, i);
    for (let i = 0; i < 17; i++) a.send(Uint8Array.of(i), aToB, i);
    fabric.run();
    const tx = readAll(a);
    const rx = readAll(b);
    expect(tx.err.map((e) => [e.op_context, e.err])).toEqual([[16, 'RECV_WINDOW_OVERFLOW']]);
    expect(tx.ok.map((e) => e.op_context)).toHaveLength(16);
    expect(rx.err.map((e) => e.err)).toEqual(['RECV_WINDOW_OVERFLOW']);
    expect(rx.err[0]!.op_context).toBeUndefined();
    expect(rx.ok.map((e) => e.buf![0])).toEqual([...Array(16).keys()]);
    expect(b.stats().recvWindowOverflow).toBe(1);
  });

  it('control: the same skew with the sender window on completes everything in order', () => {
    const hold = { jitterPs: 0, extraDelayPs: (index: number) => (index === 0 ? PS_PER_MS : 0) };
    const { fabric, a, b, aToB } = pair('efa', hold);
    for (let i = 0; i < 40; i++) b.recv(new Uint8Array(1), FI_ADDR_UNSPEC, i);
    for (let i = 0; i < 40; i++) a.send(Uint8Array.of(i), aToB, i);
    fabric.run();
    expect(readAll(a).err).toEqual([]);
    expect(readAll(b).ok.map((e) => e.buf![0])).toEqual([...Array(40).keys()]);
  });

  it('a message the transport gives up on fails at the sender and the receiver skips its msg_id', () => {
    const { fabric, a, b, aToB } = pair('efa', { failWith: (index) => (index === 2 ? 'REMOTE_UNRESPONSIVE' : undefined) });
    for (let i = 0; i < 6; i++) b.recv(new Uint8Array(1), FI_ADDR_UNSPEC, i);
    for (let i = 0; i < 6; i++) a.send(Uint8Array.of(i), aToB, i);
    fabric.run();
    const tx = readAll(a);
    expect(tx.err.map((e) => [e.op_context, e.err])).toEqual([[2, 'REMOTE_UNRESPONSIVE']]);
    expect(tx.ok).toHaveLength(5);
    expect(readAll(b).ok.map((e) => e.buf![0])).toEqual([0, 1, 3, 4, 5]);
    expect(b.stats().skipsReceived).toBe(1);
  });
});

describe('efa-direct', () => {
  it('completes out of order, exactly once each', () => {
    const count = 200;
    const { fabric, a, b, aToB } = pair('efa-direct', { jitterPs: 40_000_000 }, { txSize: count, rxSize: count });
    for (let i = 0; i < count; i++) b.recv(new Uint8Array(2), FI_ADDR_UNSPEC);
    for (let i = 0; i < count; i++) a.send(Uint8Array.of(i & 0xff, i >> 8), aToB, i);
    fabric.run();
    const rx = readAll(b);
    const order = rx.ok.map((e) => e.buf![0]! | (e.buf![1]! << 8));
    expect([...order].sort((x, y) => x - y)).toEqual([...Array(count).keys()]);
    let inversions = 0;
    for (let i = 1; i < order.length; i++) if (order[i]! < order[i - 1]!) inversions += 1;
    expect(inversions).toBeGreaterThan(count / 10);
    expect(readAll(a).ok).toHaveLength(count);
  });

  it('refuses a send over the MTU with MSG_TOO_LARGE, accepts exactly one MTU, has no tagged ops', () => {
    const { fabric, a, b, aToB } = pair('efa-direct');
    expect(a.maxMsgSize).toBe(fabric.config.mtuPayloadBytes);
    try {
      a.send(new Uint8Array(a.maxMsgSize + 1), aToB);
      expect.fail('over-MTU send was accepted');
    } catch (error) {
      expect(isEmuError(error, 'MSG_TOO_LARGE')).toBe(true);
    }
    expect(() => a.tsend(new Uint8Array(1), aToB, 1n)).toThrow(/OP_NOT_SUPPORTED/);
    const buf = new Uint8Array(a.maxMsgSize);
    b.recv(buf, FI_ADDR_UNSPEC);
    a.send(pattern(a.maxMsgSize, 3), aToB);
    fabric.run();
    expect(readAll(a).ok).toHaveLength(1);
    expect(Buffer.from(buf).equals(Buffer.from(pattern(a.maxMsgSize, 3)))).toBe(true);
  });
});
