import { describe, expect, it } from 'vitest';
import {
  FI_ADDR_UNSPEC, FI_REMOTE_READ, EndpointPktType, decodeEndpointPacket, encodeEndpointPacket, type CqEntry, type CqErrEntry, type Endpoint,
} from '../../src/efa/api/index.ts';
import { pair, pattern } from './api-helpers.ts';

function readAll(ep: Endpoint): { ok: CqEntry[]; err: CqErrEntry[] } {
  const ok: CqEntry[] = [];
  const err: CqErrEntry[] = [];
  for (let batch = ep.cq.read(256); batch.length > 0; batch = ep.cq.read(256)) ok.push(...batch);
  for (let e = ep.cq.readerr(); e !== undefined; e = ep.cq.readerr()) err.push(e);
  return { ok, err };
}

describe('error completions', () => {
  it('efa-direct: no posted receive → RNR at the sender; other traffic unaffected', () => {
    const { fabric, a, b, aToB } = pair('efa-direct');
    a.send(Uint8Array.of(1), aToB, 'lost');
    fabric.run();
    const buf = new Uint8Array(1);
    b.recv(buf, FI_ADDR_UNSPEC, 'r');
    a.send(Uint8Array.of(2), aToB, 'kept');
    fabric.run();
    const tx = readAll(a);
    expect(tx.err.map((e) => [e.op_context, e.err])).toEqual([['lost', 'RNR']]);
    expect(tx.ok.map((e) => e.op_context)).toEqual(['kept']);
    expect(buf[0]).toBe(2);
    expect(b.stats().rnr).toBe(1);
  });

  it('efa: RNR once the unexpected buffer is full; the window moves on past it', () => {
    const { fabric, a, b, aToB } = pair('efa', {}, { unexpectedMsgsMax: 2 });
    for (let i = 0; i < 3; i++) a.send(Uint8Array.of(i), aToB, i);
    fabric.run();
    const tx = readAll(a);
    expect(tx.err.map((e) => [e.op_context, e.err])).toEqual([[2, 'RNR']]);
    expect(tx.ok.map((e) => e.op_context)).toEqual([0, 1]);
    const bufs = [new Uint8Array(1), new Uint8Array(1), new Uint8Array(1)];
    bufs.forEach((buf) => b.recv(buf, FI_ADDR_UNSPEC));
    a.send(Uint8Array.of(3), aToB, 3);
    fabric.run();
    expect(bufs.map((buf) => buf[0])).toEqual([0, 1, 3]);
    expect(readAll(a).ok.map((e) => e.op_context)).toEqual([3]);
  });

  it('a short receive buffer gives TRUNCATED with olen at the receiver, success at the sender', () => {
    const { fabric, a, b, aToB } = pair('efa');
    const buf = new Uint8Array(10);
    b.recv(buf, FI_ADDR_UNSPEC, 'short');
    a.send(pattern(25, 1), aToB, 's');
    fabric.run();
    const rx = readAll(b);
    expect(rx.err.map((e) => [e.op_context, e.err, e.olen, e.len])).toEqual([['short', 'TRUNCATED', 15, 10]]);
    expect(Buffer.from(buf).equals(Buffer.from(pattern(25, 1).subarray(0, 10)))).toBe(true);
    expect(readAll(a).ok).toHaveLength(1);
  });

  it('closing an endpoint cancels its receives; sends to it then fail BAD_QP', () => {
    for (const mode of ['efa', 'efa-direct'] as const) {
      const { fabric, a, b, aToB } = pair(mode);
      b.recv(new Uint8Array(4), FI_ADDR_UNSPEC, 'pending');
      b.close();
      expect(readAll(b).err.map((e) => [e.op_context, e.err])).toEqual([['pending', 'CANCELED']]);
      a.send(Uint8Array.of(1), aToB, 'to-closed');
      fabric.run();
      expect(readAll(a).err.map((e) => [e.op_context, e.err])).toEqual([['to-closed', 'BAD_QP']]);
    }
  });

  it('an efa endpoint and an efa-direct endpoint refuse each other with PROTOCOL_MISMATCH', () => {
    const { fabric, domain, a } = pair('efa');
    const direct = domain.endpoint({ host: 3, mode: 'efa-direct' });
    direct.recv(new Uint8Array(4), FI_ADDR_UNSPEC);
    const toDirect = a.av.insert(direct.getname());
    a.send(Uint8Array.of(1), toDirect, 'x');
    fabric.run();
    expect(readAll(a).err.map((e) => e.err)).toEqual(['PROTOCOL_MISMATCH']);
    expect(readAll(direct).ok).toHaveLength(0);
  });

  it('malformed packets from a tap are counted and reported, never delivered, never a crash', () => {
    const { fabric, domain, net, a, b, aToB } = pair('efa');
    const buf = new Uint8Array(4);
    b.recv(buf, FI_ADDR_UNSPEC, 'r');
    const good = encodeEndpointPacket({
      type: EndpointPktType.EAGER, flags: 0, dstQpn: b.qpn, srcQpn: a.qpn, dstConnId: b.connid, srcConnId: a.connid,
      msgId: 0, opId: 1, tag: 0n, data: 0, totalLen: 4, segOffset: 0, rkey: 0, rOffset: 0, code: 0,
      payload: Uint8Array.of(9, 9, 9, 9),
    });
    const variants: Uint8Array[] = [];
    for (const index of [0, 1, 3, 36, 44, 60]) {
      const bad = good.slice();
      bad[index] = bad[index]! ^ 0x80;
      variants.push(bad);
    }
    variants.push(good.subarray(0, 40), Uint8Array.of(0xe1, 1, 0, 0, b.qpn, 0));
    for (const [i, bytes] of variants.entries()) {
      net.inject(5, { src: 0, messageId: 10_000 + i, offset: 0, length: bytes.length, messageBytes: bytes.length, payload: bytes, atPs: 0 });
    }
    // A segment claiming a message far larger than any of our packets is refused before any allocation.
    net.inject(5, { src: 0, messageId: 1, offset: 0, length: 4, messageBytes: 1 << 30, payload: new Uint8Array(4), atPs: 0 });
    fabric.run();
    const rx = readAll(b);
    expect(rx.ok).toHaveLength(0);
    expect(buf).toEqual(new Uint8Array(4));
    expect(rx.err.every((e) => e.err === 'MALFORMED_PACKET')).toBe(true);
    expect(rx.err.length).toBeGreaterThanOrEqual(variants.length - 1);
    expect(domain.stats().packetsMalformed).toBe(variants.length);
    expect(domain.stats().segmentsMalformed).toBe(1);
    // The endpoint still works afterwards.
    a.send(Uint8Array.of(7, 7, 7, 7), aToB);
    fabric.run();
    expect(buf).toEqual(Uint8Array.of(7, 7, 7, 7));
  });
});

describe('RMA', () => {
  it('write and read against a registered region; bad key, bounds and access fail without touching memory', () => {
    for (const mode of ['efa', 'efa-direct'] as const) {
      const { fabric, a, b, aToB } = pair(mode);
      const region = new Uint8Array(100_000);
      const mr = b.mr.reg(region);
      const ro = b.mr.reg(new Uint8Array(64), { access: FI_REMOTE_READ });
      const data = pattern(50_000, 5);
      a.write(data, aToB, 1000, mr.key, 'w');
      fabric.run();
      expect(Buffer.from(region.subarray(1000, 51_000)).equals(Buffer.from(data))).toBe(true);
      const back = new Uint8Array(50_000);
      a.read(back, aToB, 1000, mr.key, 'r');
      fabric.run();
      expect(Buffer.from(back).equals(Buffer.from(data))).toBe(true);
      expect(readAll(a).ok.map((e) => e.op_context)).toEqual(['w', 'r']);

      const before = region.slice();
      a.write(pattern(100, 1), aToB, 0, (mr.key ^ 1) >>> 0, 'bad-key');
      a.write(pattern(20_000, 1), aToB, 90_000, mr.key, 'oob');
      a.write(pattern(10, 1), aToB, 0, ro.key, 'read-only');
      a.read(new Uint8Array(10), aToB, 99_995, mr.key, 'read-oob');
      fabric.run();
      const errors = readAll(a).err.map((e) => `${String(e.op_context)}=${e.err}`).sort();
      expect(errors).toEqual(['bad-key=RMA_KEY_INVALID', 'oob=RMA_OUT_OF_BOUNDS', 'read-only=RMA_ACCESS_DENIED', 'read-oob=RMA_OUT_OF_BOUNDS']);
      expect(Buffer.from(region).equals(Buffer.from(before))).toBe(true);
      expect(() => a.write(new Uint8Array(a.maxRmaSize + 1), aToB, 0, mr.key)).toThrow(/MSG_TOO_LARGE/);
    }
  });

  it('efa-direct: an RMA initiator missing from the target AV is refused', () => {
    const { fabric, domain, b } = pair('efa-direct');
    const stranger = domain.endpoint({ host: 2, mode: 'efa-direct' });
    const region = new Uint8Array(16);
    const mr = b.mr.reg(region);
    const toB = stranger.av.insert(b.getname());
    stranger.write(pattern(16, 2), toB, 0, mr.key, 'w');
    fabric.run();
    expect(readAll(stranger).err.map((e) => e.err)).toEqual(['RMA_PEER_UNKNOWN']);
    expect(region).toEqual(new Uint8Array(16));
  });
});

describe('robustness', () => {
  it('a peer that never answers fails the operation with REMOTE_UNRESPONSIVE after the response timeout', () => {
    const timeoutPs = 1_000_000_000;
    // Everything b sends (its RESPs) vanishes although b's transport reports success.
    const { fabric, a, b, aToB } = pair('efa', { swallow: (_i, src) => src === 5 }, { responseTimeoutPs: timeoutPs });
    b.recv(new Uint8Array(4), FI_ADDR_UNSPEC);
    a.send(Uint8Array.of(1), aToB, 'unanswered');
    a.send(Uint8Array.of(2), aToB, 'queued-behind');
    fabric.run();
    const tx = readAll(a);
    expect(tx.ok).toHaveLength(0);
    expect(tx.err.map((e) => [e.op_context, e.err])).toEqual([['unanswered', 'REMOTE_UNRESPONSIVE'], ['queued-behind', 'REMOTE_UNRESPONSIVE']]);
    expect(tx.err[0]!.atPs).toBeGreaterThanOrEqual(timeoutPs);
    expect(tx.err[0]!.atPs).toBeLessThan(3 * timeoutPs);
    // The peer stays marked unresponsive: a later send fails at once instead of hanging.
    a.send(Uint8Array.of(3), aToB, 'later');
    expect(readAll(a).err.map((e) => e.op_context)).toEqual(['later']);
  });

  it('a long-CTS message waits unexpected for its receive, then is granted; a short buffer truncates it', () => {
    const { fabric, a, b, aToB } = pair('efa', { jitterPs: 20_000_000 }, { ctsWindowBytes: 50_000 });
    const body = pattern(300_000, 4);
    a.send(body, aToB, 'long');
    a.send(pattern(200_000, 5), aToB, 'long-2');
    fabric.run();
    expect(b.stats().unexpected).toBe(2);
    expect(readAll(a).ok).toHaveLength(0);
    const full = new Uint8Array(300_000);
    const short = new Uint8Array(1000);
    b.recv(full, FI_ADDR_UNSPEC, 'full');
    b.recv(short, FI_ADDR_UNSPEC, 'short');
    fabric.run();
    expect(Buffer.from(full).equals(Buffer.from(body))).toBe(true);
    const rx = readAll(b);
    expect(rx.ok.map((e) => e.op_context)).toEqual(['full']);
    expect(rx.err.map((e) => [e.op_context, e.err, e.olen])).toEqual([['short', 'TRUNCATED', 199_000]]);
    expect(Buffer.from(short).equals(Buffer.from(pattern(200_000, 5).subarray(0, 1000)))).toBe(true);
    expect(readAll(a).ok.map((e) => e.op_context).sort()).toEqual(['long', 'long-2']);
    // 300 kB in 50 kB grants: 6 CTS for the first message alone.
    expect(a.stats().packetsIn).toBeGreaterThanOrEqual(6 + 4 + 2);
  });

  it('a transport that duplicates segments does not make a medium or long message complete early or twice', () => {
    const { fabric, a, b, aToB } = pair('efa', { duplicate: true, jitterPs: 20_000_000 }, { ctsWindowBytes: 40_000 });
    const medium = pattern(60_000, 1);
    const long = pattern(150_000, 2);
    const m = new Uint8Array(60_000);
    const l = new Uint8Array(150_000);
    b.recv(m, FI_ADDR_UNSPEC, 'm');
    b.recv(l, FI_ADDR_UNSPEC, 'l');
    b.recv(new Uint8Array(10), FI_ADDR_UNSPEC, 'spare');
    a.send(medium, aToB);
    a.send(long, aToB);
    fabric.run();
    const rx = readAll(b);
    expect(rx.ok.map((e) => e.op_context)).toEqual(['m', 'l']);
    expect(Buffer.from(m).equals(Buffer.from(medium))).toBe(true);
    expect(Buffer.from(l).equals(Buffer.from(long))).toBe(true);
    expect(b.stats().dropDuplicateSegment).toBeGreaterThan(0);
    expect(b.stats().recvPosted).toBe(1);
    // RDMA read data duplicated too: the read completes once, with the right bytes.
    const region = pattern(50_000, 9);
    const mr = b.mr.reg(region);
    const back = new Uint8Array(50_000);
    a.cq.read(10);
    a.read(back, aToB, 0, mr.key, 'read');
    fabric.run();
    expect(a.cq.read(10).map((e) => e.op_context)).toEqual(['read']);
    expect(Buffer.from(back).equals(Buffer.from(region))).toBe(true);
    expect(a.stats().dropDuplicateSegment).toBeGreaterThan(0);
  });
});

describe('long-read (≥ 1 MiB)', () => {
  it('the receiver RDMA-reads the message; unexpected first, truncated into a short buffer; the region closes after', () => {
    const readKeys: number[] = [];
    const observe = (_src: number, _dst: number, payload: Uint8Array | undefined): void => {
      const pkt = decodeEndpointPacket(payload!, 1 << 30);
      if (pkt.type === EndpointPktType.LONG_READ_RTS) readKeys.push(pkt.rkey);
    };
    const { fabric, domain, a, b, aToB } = pair('efa', { jitterPs: 20_000_000, observe });
    const big = pattern(1_500_000, 6);
    const big2 = pattern(1_048_576, 7);
    a.send(big, aToB, 'big');
    a.send(big2, aToB, 'big2');
    fabric.run();
    // Both wait unexpected at b; the sender has two regions exposed for reading, and no completion yet.
    expect(b.stats().unexpected).toBe(2);
    expect(a.mr.count).toBe(2);
    expect(readAll(a).ok).toHaveLength(0);
    const full = new Uint8Array(1_500_000);
    const short = new Uint8Array(1_000_000);
    b.recv(full, FI_ADDR_UNSPEC, 'full');
    b.recv(short, FI_ADDR_UNSPEC, 'short');
    fabric.run();
    expect(Buffer.from(full).equals(Buffer.from(big))).toBe(true);
    expect(Buffer.from(short).equals(Buffer.from(big2.subarray(0, 1_000_000)))).toBe(true);
    const rx = readAll(b);
    expect(rx.ok.map((e) => e.op_context)).toEqual(['full']);
    expect(rx.err.map((e) => [e.op_context, e.err, e.olen])).toEqual([['short', 'TRUNCATED', 48_576]]);
    expect(b.stats().longReads).toBe(2);
    expect(a.stats().rmaReadsServed).toBe(2);
    expect(readAll(a).ok.map((e) => e.op_context).sort()).toEqual(['big', 'big2']);
    // The regions are gone: nobody can read the sender's buffer with those keys any more.
    expect(a.mr.count).toBe(0);
    const c = domain.endpoint({ host: 6, mode: 'efa' });
    const cToA = c.av.insert(a.getname());
    expect(readKeys).toHaveLength(2);
    for (const key of readKeys) c.read(new Uint8Array(16), cToA, 0, key, 'probe');
    fabric.run();
    expect(readAll(c).err.map((e) => e.err)).toEqual(['RMA_KEY_INVALID', 'RMA_KEY_INVALID']);
  });
});
