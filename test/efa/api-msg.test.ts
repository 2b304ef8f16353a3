import { describe, expect, it } from 'vitest';
import {
  EFA_MEDIUM_MSG_SIZE_MAX, FI_ADDR_UNSPEC, FI_EAGAIN, FI_MSG, FI_RECV, FI_REMOTE_CQ_DATA, FI_SEND, FI_SUCCESS, FI_TAGGED,
  ENDPOINT_HEADER_BYTES, decodeRawAddress, encodeRawAddress, type CqEntry,
} from '../../src/efa/api/index.ts';
import { isEmuError } from '../../src/errors.ts';
import { pair, pattern } from './api-helpers.ts';

function drain(read: (n: number) => CqEntry[]): CqEntry[] {
  const out: CqEntry[] = [];
  for (let batch = read(64); batch.length > 0; batch = read(64)) out.push(...batch);
  return out;
}

describe('efa endpoint: messages', () => {
  it('raw address round-trips and strict decoding refuses foreign bytes', () => {
    const raw = encodeRawAddress({ host: 9, qpn: 513, connid: 0xdeadbeef });
    expect(raw.length).toBe(32);
    expect(decodeRawAddress(raw)).toEqual({ host: 9, qpn: 513, connid: 0xdeadbeef });
    for (const index of [0, 5, 18, 30]) {
      const bad = raw.slice();
      bad[index] = bad[index]! ^ 0x40;
      expect(() => decodeRawAddress(bad)).toThrow(/AV_BAD_ADDRESS/);
    }
    expect(() => decodeRawAddress(raw.subarray(0, 31))).toThrow(/AV_BAD_ADDRESS/);
  });

  it('eager, medium and long-CTS messages arrive intact with the right completions', () => {
    const { fabric, a, b, aToB } = pair('efa');
    const eager = a.limits.eagerBytesMax;
    const sizes = [0, 1, eager, eager + 1, EFA_MEDIUM_MSG_SIZE_MAX, EFA_MEDIUM_MSG_SIZE_MAX + 1, 700_000];
    const bufs = sizes.map((n) => new Uint8Array(n));
    sizes.forEach((n, i) => expect(b.recv(bufs[i]!, FI_ADDR_UNSPEC, `r${i}`)).toBe(FI_SUCCESS));
    sizes.forEach((n, i) => expect(a.send(pattern(n, i), aToB, `s${i}`)).toBe(FI_SUCCESS));
    fabric.run();
    const sends = drain((n) => a.cq.read(n));
    const recvs = drain((n) => b.cq.read(n));
    expect(a.cq.errorsAvailable + b.cq.errorsAvailable).toBe(0);
    expect(sends.map((e) => e.op_context)).toHaveLength(sizes.length);
    expect(sends.every((e) => e.flags === (FI_SEND | FI_MSG))).toBe(true);
    // SAS: receives matched in send order, so receive i holds message i.
    for (const entry of recvs) {
      const i = Number(String(entry.op_context).slice(1));
      expect(entry.flags).toBe(FI_RECV | FI_MSG);
      expect(entry.len).toBe(sizes[i]);
      expect(entry.src).toBe(b.av.reverse({ host: 0, qpn: a.qpn, connid: a.connid }));
      expect(Buffer.from(bufs[i]!).equals(Buffer.from(pattern(sizes[i]!, i)))).toBe(true);
    }
    expect(recvs).toHaveLength(sizes.length);
    expect(a.stats().packetsOut).toBeGreaterThan(sizes.length + 700_000 / (8192 - ENDPOINT_HEADER_BYTES));
  });

  it('tagged receives match on (tag & ~ignore); senddata carries remote CQ data', () => {
    const { fabric, a, b, aToB, bToA } = pair('efa');
    const r1 = new Uint8Array(8);
    const r2 = new Uint8Array(8);
    const r3 = new Uint8Array(8);
    b.trecv(r1, bToA, 0x500n, 0x0ffn, 'any-5xx');
    b.trecv(r2, FI_ADDR_UNSPEC, 0x7n, 0n, 'exact-7');
    b.recv(r3, FI_ADDR_UNSPEC, 'untagged');
    a.tsend(pattern(8, 1), aToB, 0x7n, 't7');
    a.tsend(pattern(8, 2), aToB, 0x5abn, 't5ab');
    a.senddata(pattern(8, 3), 0xcafe01, aToB, 'd');
    fabric.run();
    const recvs = drain((n) => b.cq.read(n));
    const byContext = new Map(recvs.map((e) => [e.op_context, e]));
    expect(byContext.get('exact-7')!.tag).toBe(0x7n);
    expect(byContext.get('exact-7')!.flags).toBe(FI_RECV | FI_TAGGED);
    expect(byContext.get('any-5xx')!.tag).toBe(0x5abn);
    expect(Buffer.from(r1).equals(Buffer.from(pattern(8, 2)))).toBe(true);
    const untagged = byContext.get('untagged')!;
    expect(untagged.flags).toBe(FI_RECV | FI_MSG | FI_REMOTE_CQ_DATA);
    expect(untagged.data).toBe(0xcafe01);
    expect(drain((n) => a.cq.read(n))).toHaveLength(3);
  });

  it('unexpected messages wait for a later receive; posts beyond txSize/rxSize return FI_EAGAIN', () => {
    const { fabric, a, b, aToB } = pair('efa', {}, { txSize: 4, rxSize: 2 });
    for (let i = 0; i < 4; i++) expect(a.send(pattern(100, i), aToB, i)).toBe(FI_SUCCESS);
    expect(a.send(pattern(100, 9), aToB, 9)).toBe(FI_EAGAIN);
    fabric.run();
    expect(b.stats().unexpected).toBe(4);
    // Credits come back only when the completions are read.
    expect(a.send(pattern(100, 9), aToB, 9)).toBe(FI_EAGAIN);
    expect(a.cq.read(2)).toHaveLength(2);
    expect(a.send(pattern(100, 4), aToB, 4)).toBe(FI_SUCCESS);
    // Receives take the buffered messages in send order (SAS), two at a time (rxSize 2).
    const got: Uint8Array[] = [];
    for (let round = 0; round < 3; round++) {
      expect(b.recv(new Uint8Array(100), FI_ADDR_UNSPEC)).toBe(FI_SUCCESS);
      expect(b.recv(new Uint8Array(100), FI_ADDR_UNSPEC)).toBe(FI_SUCCESS);
      expect(b.recv(new Uint8Array(1), FI_ADDR_UNSPEC)).toBe(FI_EAGAIN);
      fabric.run();
      for (const e of b.cq.read(4)) got.push(e.buf!);
    }
    expect(got).toHaveLength(5);
    for (let i = 0; i < 5; i++) expect(Buffer.from(got[i]!).equals(Buffer.from(pattern(100, i)))).toBe(true);
  });

  it('bad input at post time is a typed error', () => {
    const { a, aToB } = pair('efa');
    const expectCode = (fn: () => unknown, code: string): void => {
      try {
        fn();
        expect.fail(`expected ${code}`);
      } catch (error) {
        expect(isEmuError(error, code)).toBe(true);
      }
    };
    expectCode(() => a.send(new Uint8Array(1), 42), 'AV_UNKNOWN_ADDR');
    expectCode(() => a.tsend(new Uint8Array(1), aToB, -1n), 'BAD_TAG');
    expectCode(() => a.senddata(new Uint8Array(1), 2 ** 32, aToB), 'BAD_CQ_DATA');
    expectCode(() => a.send(new Uint8Array(a.maxMsgSize + 1), aToB), 'MSG_TOO_LARGE');
    a.close();
    expectCode(() => a.send(new Uint8Array(1), aToB), 'EP_CLOSED');
    expectCode(() => a.recv(new Uint8Array(1), FI_ADDR_UNSPEC), 'EP_CLOSED');
  });
});

describe('directed receives', () => {
  it('a receive bound to one source ignores another; src in the completion names the sender', () => {
    const { fabric, domain, a, b, aToB, bToA } = pair('efa');
    const c = domain.endpoint({ host: 6, mode: 'efa' });
    const cToB = c.av.insert(b.getname());
    const fromA = new Uint8Array(1);
    const fromAny = new Uint8Array(1);
    b.recv(fromA, bToA, 'from-a');
    b.recv(fromAny, FI_ADDR_UNSPEC, 'from-any');
    c.send(Uint8Array.of(0xcc), cToB);
    fabric.run();
    expect(fromAny[0]).toBe(0xcc);
    expect(fromA[0]).toBe(0);
    a.send(Uint8Array.of(0xaa), aToB);
    fabric.run();
    expect(fromA[0]).toBe(0xaa);
    const entries = b.cq.read(4);
    // c is not in b's AV (a receiver does not need it): its source is FI_ADDR_UNSPEC; a's is its FiAddr.
    expect(entries.map((e) => [e.op_context, e.src])).toEqual([['from-any', FI_ADDR_UNSPEC], ['from-a', bToA]]);
  });
});
