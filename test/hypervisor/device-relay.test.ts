import { describe, expect, it } from 'vitest';
import { MAILBOX_HISTORY_MAX, MailboxRelay } from '../../src/hypervisor/device-relay.ts';
import { expectCode } from '../helpers/errors.ts';

/** A mailbox that answers each request with its reverse, and counts what reached it. */
function relay() {
  const reached: Uint8Array[] = [];
  const r = new MailboxRelay('d0', (request) => {
    reached.push(request.slice());
    return request.slice().reverse();
  });
  return { r, reached };
}

describe('the SPDM mailbox relay the parent holds', () => {
  it('carries request and response, and the parent observes both', () => {
    const { r, reached } = relay();
    const seen: string[] = [];
    r.observe = (m) => seen.push(`${m.seq}:${m.direction}:${Buffer.from(m.bytes).toString('hex')}`);
    expect(r.carry(Uint8Array.from([1, 2, 3]))).toEqual(Uint8Array.from([3, 2, 1]));
    expect(reached).toEqual([Uint8Array.from([1, 2, 3])]);
    expect(seen).toEqual(['0:to-device:010203', '1:to-enclave:030201']);
  });

  it('rewrites: the device gets (and the enclave receives) what the parent chose', () => {
    const { r, reached } = relay();
    r.rewrite = (direction, bytes) => (direction === 'to-device' ? Uint8Array.from([9, ...bytes]) : bytes.subarray(1));
    expect(r.carry(Uint8Array.from([1, 2]))).toEqual(Uint8Array.from([1, 9]));
    expect(reached).toEqual([Uint8Array.from([9, 1, 2])]);
  });

  it('drops: the enclave times out with a typed error, and a dropped request never reaches the device', () => {
    const { r, reached } = relay();
    r.rewrite = (direction, bytes) => (direction === 'to-device' ? null : bytes);
    expectCode(() => r.carry(Uint8Array.from([1])), 'HOST_DEVICE_MAILBOX_TIMEOUT');
    expect(reached).toEqual([]);
    r.rewrite = (direction, bytes) => (direction === 'to-enclave' ? null : bytes);
    expectCode(() => r.carry(Uint8Array.from([2])), 'HOST_DEVICE_MAILBOX_TIMEOUT');
    expect(r.history.map((m) => m.dropped)).toEqual([true, false, true]);
  });

  it('replays: a recorded request sent again by the parent, a recorded response handed to the enclave', () => {
    const { r, reached } = relay();
    r.carry(Uint8Array.from([5, 6]));
    const [request, response] = r.history;
    expect(r.inject(request!.bytes)).toEqual(Uint8Array.from([6, 5]));
    expect(reached).toHaveLength(2);
    r.rewrite = (direction, bytes) => (direction === 'to-enclave' ? response!.bytes : bytes);
    expect(r.carry(Uint8Array.from([7, 8]))).toEqual(Uint8Array.from([6, 5]));
  });

  it('keeps a bounded history and refuses oversized messages', () => {
    const { r } = relay();
    for (let i = 0; i < MAILBOX_HISTORY_MAX; i++) r.carry(Uint8Array.from([i & 0xff]));
    expect(r.history).toHaveLength(MAILBOX_HISTORY_MAX);
    expect(r.history[0]!.seq).toBe(MAILBOX_HISTORY_MAX);
    expectCode(() => r.carry(new Uint8Array(64 * 1024 + 1)), 'HOST_DEVICE_MAILBOX_OVERSIZE');
  });
});
