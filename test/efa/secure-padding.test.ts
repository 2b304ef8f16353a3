import { describe, expect, it } from 'vitest';
import type { Packet } from '../../src/efa/contracts.ts';
import {
  PADDING_PREFIX_BYTES,
  type PaddingPolicy,
  SECURE_LINK_OVERHEAD_BYTES,
  SecureLinkProtector,
  mtuPadding,
  paddedBytes,
} from '../../src/efa/secure/index.ts';
import { attestedPair } from './secure-helpers.ts';

const MTU = 4096;
const SIZES = [1, 17, 300, 1000, 4000, MTU] as const;

function message(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + length) & 0xff);
}

function dataPacket(psn: number, payload: Uint8Array): Packet {
  return { src: 1, dst: 2, entropy: psn % 5, kind: 'data', wireBytes: payload.length + 64, header: { psn }, payload: payload.slice() };
}

function pair(padding: PaddingPolicy | undefined, mode: 'real' | 'accounted' = 'real') {
  const { a, b } = attestedPair(1, 2);
  const extra = { mode, ...(padding === undefined ? {} : { padding }) };
  return { p1: new SecureLinkProtector({ host: 1, sessions: [a], ...extra }), p2: new SecureLinkProtector({ host: 2, sessions: [b], ...extra }) };
}

describe('secure link padding (NET-10)', () => {
  it('with MTU padding every sealed data packet has one size on the wire, and opens to the exact bytes and wire size', () => {
    for (const mode of ['real', 'accounted'] as const) {
      const { p1, p2 } = pair(mtuPadding(MTU), mode);
      const wire = new Set<number>();
      const cipher = new Set<number>();
      SIZES.forEach((size, psn) => {
        const plain = dataPacket(psn, message(size));
        const sealed = p1.seal(plain);
        wire.add(sealed.wireBytes);
        cipher.add(sealed.payload!.length);
        const opened = p2.open(sealed)!;
        expect(opened.payload).toEqual(message(size));
        expect(opened.wireBytes).toBe(plain.wireBytes);
      });
      expect(wire.size, mode).toBe(1);
      expect(cipher.size, mode).toBe(1);
    }
  });

  it('without padding the wire sizes follow the message lengths (what the control of NET-10 shows)', () => {
    const { p1 } = pair(undefined);
    const wire = SIZES.map((size, psn) => p1.seal(dataPacket(psn, message(size))).wireBytes);
    expect(new Set(wire).size).toBe(SIZES.length);
    SIZES.forEach((size, i) => expect(wire[i]).toBe(size + 64 + SECURE_LINK_OVERHEAD_BYTES));
  });

  it('size classes: each payload goes to the smallest class that fits, past the largest to its multiples', () => {
    const policy: PaddingPolicy = { bucketsBytes: [256, 1024, 4100] };
    expect(paddedBytes(policy, 0)).toBe(256);
    expect(paddedBytes(policy, 256 - PADDING_PREFIX_BYTES)).toBe(256);
    expect(paddedBytes(policy, 256 - PADDING_PREFIX_BYTES + 1)).toBe(1024);
    expect(paddedBytes(policy, 5000)).toBe(8200);
    const { p1, p2 } = pair(policy);
    const classes = new Set(policy.bucketsBytes.map((b) => b + 16));
    SIZES.forEach((size, psn) => {
      const sealed = p1.seal(dataPacket(psn, message(size)));
      expect(classes.has(sealed.payload!.length), `size ${size}`).toBe(true);
      expect(p2.open(sealed)!.payload).toEqual(message(size));
    });
  });

  it('a flipped byte of a padded packet still fails its tag; a peer with another policy is refused, not misread', () => {
    const { p1, p2 } = pair(mtuPadding(MTU));
    const sealed = p1.seal(dataPacket(1, message(100)));
    const flipped = sealed.payload!.slice();
    flipped[MTU - 10] = flipped[MTU - 10]! ^ 0x01; // inside the padding
    expect(p2.open({ ...sealed, payload: flipped })).toBeNull();
    expect(p2.stats()['rejected.authFailed']).toBe(1);
    expect(p2.open(sealed)!.payload).toEqual(message(100));

    const { a, b } = attestedPair(1, 2);
    const plainSender = new SecureLinkProtector({ host: 1, sessions: [a] });
    const paddedReceiver = new SecureLinkProtector({ host: 2, sessions: [b], padding: mtuPadding(MTU) });
    expect(paddedReceiver.open(plainSender.seal(dataPacket(2, message(100))))).toBeNull();
    expect(paddedReceiver.stats()['rejected.malformed']).toBe(1);
    // The refusal moved no window: the same counter, padded properly, would still open.
    expect(paddedReceiver.stats()['opened']).toBe(0);
  });

  it('ACKs carry no payload and are not padded', () => {
    const { p1, p2 } = pair(mtuPadding(MTU));
    const ack: Packet = { src: 1, dst: 2, entropy: 0, kind: 'ack', wireBytes: 64, header: { ack: 3 } };
    const sealed = p1.seal(ack);
    expect(sealed.wireBytes).toBe(64 + SECURE_LINK_OVERHEAD_BYTES);
    expect(p2.open(sealed)!.payload).toBeUndefined();
  });

  it('refuses a malformed policy as a programmer error', () => {
    expect(() => pair({ bucketsBytes: [] })).toThrow(/size classes/);
    expect(() => pair({ bucketsBytes: [512, 256] })).toThrow(/ascending/);
  });
});
