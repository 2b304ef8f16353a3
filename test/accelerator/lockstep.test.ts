import { describe, expect, it } from 'vitest';
import { LockstepChannel, deriveChannelKey } from '../../src/accelerator/index.ts';
import { isEmuError } from '../../src/errors.ts';

const secret = new Uint8Array(48).map((_, i) => i + 1);

function pair(limits?: ConstructorParameters<typeof LockstepChannel>[2]) {
  return { tx: new LockstepChannel(secret, 'h2d-data', limits), rx: new LockstepChannel(secret, 'h2d-data', limits) };
}

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    expect(isEmuError(error, code), String(error)).toBe(true);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe('channel keys', () => {
  it('differ per label and per generation, and are deterministic', () => {
    const a = deriveChannelKey(secret, 'h2d-data', 0);
    expect(deriveChannelKey(secret, 'h2d-data', 0).key).toEqual(a.key);
    expect(deriveChannelKey(secret, 'd2h-data', 0).key).not.toEqual(a.key);
    expect(deriveChannelKey(secret, 'h2d-data', 1).key).not.toEqual(a.key);
    expect(deriveChannelKey(secret, 'h2d-data', 0).ivMask).not.toEqual(deriveChannelKey(secret, 'scrubber', 0).ivMask);
  });
  it('refuses a short secret', () => expectCode(() => deriveChannelKey(new Uint8Array(16), 'h2d-data', 0), 'ACCEL_BAD_SESSION_SECRET'));
});

describe('lockstep channel', () => {
  it('round-trips a large buffer and many in order', () => {
    const { tx, rx } = pair();
    const big = new Uint8Array(4 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    // Buffer.equals: vitest's deep equality walks 4 MiB element by element and takes seconds
    expect(Buffer.from(rx.open(tx.seal(big))).equals(big)).toBe(true);
    for (let i = 0; i < 20; i++) expect(rx.open(tx.seal(new Uint8Array([i])))).toEqual(new Uint8Array([i]));
    expect(rx.state()).toEqual(tx.state());
  });

  it('rejects replayed, reordered, tampered and truncated buffers without advancing', () => {
    const { tx, rx } = pair();
    const first = tx.seal(new Uint8Array(64).fill(1));
    const second = tx.seal(new Uint8Array(64).fill(2));
    const before = rx.state();
    expectCode(() => rx.open(second), 'ACCEL_TAG_MISMATCH'); // reordered
    const flipped = first.slice();
    flipped[3] = (flipped[3] ?? 0) ^ 1;
    expectCode(() => rx.open(flipped), 'ACCEL_TAG_MISMATCH');
    expectCode(() => rx.open(first.subarray(0, first.length - 1)), 'ACCEL_TAG_MISMATCH');
    expectCode(() => rx.open(new Uint8Array(3)), 'ACCEL_TAG_MISMATCH');
    expect(rx.state()).toEqual({ ...before, failures: 4 });
    expect(rx.open(first)).toEqual(new Uint8Array(64).fill(1));
    expectCode(() => rx.open(first), 'ACCEL_TAG_MISMATCH'); // replay
    expect(rx.open(second)).toEqual(new Uint8Array(64).fill(2));
  });

  it('binds buffers to their channel', () => {
    const tx = new LockstepChannel(secret, 'h2d-data');
    const rx = new LockstepChannel(secret, 'd2h-data');
    expectCode(() => rx.open(tx.seal(new Uint8Array(8))), 'ACCEL_TAG_MISMATCH');
  });

  it('rotates in lockstep after the op threshold; old-key buffers then fail', () => {
    const { tx, rx } = pair({ counterMax: 1000n, rotateAfterOps: 3, rotateAfterBytes: 1 << 30 });
    const stale = new LockstepChannel(secret, 'h2d-data', { counterMax: 1000n, rotateAfterOps: 1000, rotateAfterBytes: 1 << 30 });
    for (let i = 0; i < 3; i++) {
      stale.seal(new Uint8Array([i]));
      rx.open(tx.seal(new Uint8Array([i])));
    }
    expect(tx.state().generation).toBe(1);
    expect(rx.state().generation).toBe(1);
    // same counter, generation-0 key: must not open under the rotated key
    expectCode(() => rx.open(stale.seal(new Uint8Array([9]))), 'ACCEL_TAG_MISMATCH');
    expect(rx.open(tx.seal(new Uint8Array([7])))).toEqual(new Uint8Array([7]));
  });

  it('rotates after the byte threshold', () => {
    const { tx, rx } = pair({ counterMax: 1000n, rotateAfterOps: 1000, rotateAfterBytes: 100 });
    rx.open(tx.seal(new Uint8Array(60)));
    expect(rx.state().generation).toBe(0);
    rx.open(tx.seal(new Uint8Array(60)));
    expect(rx.state().generation).toBe(1);
    expect(tx.state().generation).toBe(1);
  });

  it('makes counter exhaustion a hard error on both sides', () => {
    const { tx, rx } = pair({ counterMax: 2n, rotateAfterOps: 1000, rotateAfterBytes: 1 << 30 });
    for (let i = 0; i < 2; i++) rx.open(tx.seal(new Uint8Array([i])));
    expectCode(() => tx.seal(new Uint8Array([2])), 'ACCEL_COUNTER_EXHAUSTED');
    const before = rx.state();
    expectCode(() => rx.open(new Uint8Array(17)), 'ACCEL_COUNTER_EXHAUSTED');
    expect(rx.state()).toEqual(before);
  });
});
