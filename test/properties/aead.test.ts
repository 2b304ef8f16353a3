// AEAD laws (issue 7): open(seal(x)) = x, and any one-bit change of ciphertext, tag, nonce or AAD is refused with a
// typed error (or, for the fabric's protector, a counted drop) that leaves the receiver able to open the genuine one.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONTENT_CLOSE, CONTENT_DATA, RecordProtector, aes256GcmOpen, aes256GcmSeal } from '../../src/crypto/index.ts';
import { LockstepChannel } from '../../src/accelerator/lockstep.ts';
import type { Packet } from '../../src/efa/contracts.ts';
import { SecureLinkProtector, defencesWith, isSealedHeader, linkSessionFromDomainSecret } from '../../src/efa/secure/index.ts';
import { expectCode } from '../helpers/errors.ts';
import { flipped } from '../helpers/bytes.ts';

const RUNS = { numRuns: 80, seed: 7307 };
const TAG_BYTES = 16;

/** A copy of `bytes` with one bit flipped, the bit counted from the first byte's least significant. */
const flipBit = (bytes: Uint8Array, bit: number): Uint8Array => flipped(bytes, bit >>> 3, 1 << (bit & 7));
const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
/** A bit index inside [start, end) from a fraction in [0, 1). */
const bitIn = (f: number, start: number, end: number) => start * 8 + Math.floor(f * (end - start) * 8);

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const iv12 = fc.uint8Array({ minLength: 12, maxLength: 12 });
const data = fc.uint8Array({ maxLength: 600 });

describe('AES-256-GCM', () => {
  it('open(seal(x)) = x; a flipped bit of ciphertext, tag, nonce or AAD, or another key, is AEAD_AUTH_FAILED', () => {
    fc.assert(
      fc.property(key32, iv12, data, data, fraction, fraction, fraction, fraction, (key, iv, plaintext, aad, fc1, ft, fn, fa) => {
        const sealed = aes256GcmSeal(key, iv, plaintext, aad);
        expect(sealed.length).toBe(plaintext.length + TAG_BYTES);
        expect(aes256GcmOpen(key, iv, sealed, aad)).toEqual(plaintext);
        if (plaintext.length > 0) {
          expectCode(() => aes256GcmOpen(key, iv, flipBit(sealed, bitIn(fc1, 0, plaintext.length)), aad), 'AEAD_AUTH_FAILED');
        }
        expectCode(() => aes256GcmOpen(key, iv, flipBit(sealed, bitIn(ft, plaintext.length, sealed.length)), aad), 'AEAD_AUTH_FAILED');
        expectCode(() => aes256GcmOpen(key, flipBit(iv, bitIn(fn, 0, 12)), sealed, aad), 'AEAD_AUTH_FAILED');
        const otherAad = aad.length > 0 ? flipBit(aad, bitIn(fa, 0, aad.length)) : Uint8Array.of(0);
        expectCode(() => aes256GcmOpen(key, iv, sealed, otherAad), 'AEAD_AUTH_FAILED');
        expectCode(() => aes256GcmOpen(flipBit(key, bitIn(fa, 0, 32)), iv, sealed, aad), 'AEAD_AUTH_FAILED');
      }),
      RUNS,
    );
  });
});

describe('secure channel records', () => {
  it('a sequence of records opens in order; a flipped bit or an out-of-order record is refused and changes nothing', () => {
    fc.assert(
      fc.property(key32, iv12, fc.array(fc.tuple(fc.constantFrom(CONTENT_DATA, CONTENT_CLOSE), data), { minLength: 1, maxLength: 6 }), fc.array(fraction, { minLength: 6, maxLength: 6 }), (key, iv, messages, fractions) => {
        const sender = new RecordProtector({ key, iv }, 1);
        const receiver = new RecordProtector({ key, iv }, 1);
        const records = messages.map(([type, body]) => sender.seal(type, body));
        records.forEach((record, i) => {
          const f = fractions[i]!;
          // Header (type, version, length): structural refusal; body and tag: authentication refusal.
          const bit = bitIn(f, 0, record.length);
          const code = bit < 7 * 8 ? 'SCHAN_BAD_RECORD' : 'SCHAN_RECORD_AUTH';
          expectCode(() => receiver.open(flipBit(record, bit)), code);
          // The next record in place of this one: its nonce and AAD sequence are not the expected ones.
          const later = records[i + 1];
          if (later !== undefined) expectCode(() => receiver.open(later), 'SCHAN_RECORD_AUTH');
          expect(receiver.sequence).toBe(i);
          expect(receiver.open(record)).toEqual({ contentType: messages[i]![0], data: messages[i]![1] });
        });
        // A replay of the first record, now out of sequence.
        expectCode(() => receiver.open(records[0]!), 'SCHAN_RECORD_AUTH');
      }),
      { numRuns: 50, seed: 7307 },
    );
  });
});

describe('bounce-buffer lockstep channel', () => {
  it('the receiver opens what the sender sealed, across key rotations; a flipped bit, a replay, a reorder or another channel fails ACCEL_TAG_MISMATCH and advances nothing', () => {
    fc.assert(
      fc.property(key32, fc.array(data, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 3 }), fc.array(fraction, { minLength: 8, maxLength: 8 }), (secret, buffers, rotateAfterOps, fractions) => {
        const limits = { counterMax: 1n << 20n, rotateAfterOps, rotateAfterBytes: 2 ** 40 };
        const sender = new LockstepChannel(secret, 'h2d-data', limits);
        const receiver = new LockstepChannel(secret, 'h2d-data', limits);
        const scrubber = new LockstepChannel(secret, 'scrubber', limits);
        const sealed = buffers.map((b) => sender.seal(b));
        sealed.forEach((s, i) => {
          const before = receiver.state();
          expectCode(() => receiver.open(flipBit(s, bitIn(fractions[i]!, 0, s.length))), 'ACCEL_TAG_MISMATCH');
          const other = sealed[i + 1] ?? sealed[i - 1];
          if (other !== undefined) expectCode(() => receiver.open(other), 'ACCEL_TAG_MISMATCH');
          const after = receiver.state();
          expect({ ...after, failures: before.failures }).toEqual(before);
          expect(after.failures).toBe(before.failures + (other === undefined ? 1 : 2));
          expect(receiver.open(s)).toEqual(buffers[i]);
        });
        // The label is the AAD: the first h2d buffer does not open on the scrubber channel at the same counter.
        expectCode(() => scrubber.open(sealed[0]!), 'ACCEL_TAG_MISMATCH');
      }),
      { numRuns: 50, seed: 7307 },
    );
  });
});

describe('secure link packet protector', () => {
  const DOMAIN = new Uint8Array(32).fill(0x33);
  const protector = (host: number, peer: number) => {
    const defences = defencesWith();
    return new SecureLinkProtector({
      host,
      defences,
      sessions: [linkSessionFromDomainSecret({ domainSecret: DOMAIN, jobId: 'prop', local: { host, rank: host }, peer: { host: peer, rank: peer }, defences })],
    });
  };

  it('open(seal(p)) = p; a flipped bit of ciphertext or tag, another counter (nonce) or a changed inner header (AAD) is dropped as authFailed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 600 }), fc.nat({ max: 1_000_000 }), fraction, fc.integer({ min: 1, max: 1000 }), (payload, psn, f, shift) => {
        const p1 = protector(1, 2);
        const p2 = protector(2, 1);
        const plain: Packet = { src: 1, dst: 2, entropy: psn % 5, kind: 'data', wireBytes: payload.length + 64, header: { psn, ctx: 0 }, payload: payload.slice() };
        const sealed = p1.seal(plain);
        const header = sealed.header;
        if (!isSealedHeader(header)) throw new Error('not a sealed header');
        const attempts: Packet[] = [
          { ...sealed, payload: flipBit(sealed.payload!, bitIn(f, 0, sealed.payload!.length)) },
          { ...sealed, header: { ...header, counter: header.counter + shift } },
          { ...sealed, header: { ...header, inner: { psn: psn + shift, ctx: 0 } } },
        ];
        for (const attempt of attempts) expect(p2.open(attempt)).toBeNull();
        expect(p2.stats()['rejected.authFailed']).toBe(attempts.length);
        const opened = p2.open(sealed);
        expect(opened?.payload).toEqual(payload);
        expect(opened?.header).toEqual({ psn, ctx: 0 });
      }),
      { numRuns: 60, seed: 7307 },
    );
  });
});
