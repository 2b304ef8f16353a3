import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isEmuError } from '../../src/errors.ts';
import {
  FRAME_COUNT_MAX,
  FRAME_OVERHEAD_BYTES,
  HEADER_BYTES,
  framesLayout,
} from '../../src/crypto/frames-format.ts';
import { concatBytes, decryptFramed, decryptFramedStream, encryptFramed } from '../../src/crypto/index.ts';
import { Prng } from '../../src/sim/prng.ts';
import { expectCode, flipped } from './envelope-helpers.ts';

const FL = 1024;
const key = new Prng(61, 'frames-key').bytes(32);
const data = new Prng(62, 'frames-data').bytes(3 * FL + 100); // 4 frames: 3 full, final of 100 bytes

function seal(plaintext: Uint8Array, seed: number, aad?: Uint8Array, frameLength = FL): Uint8Array {
  return encryptFramed(plaintext, key, { random: new Prng(seed, 'frames'), frameLength, ...(aad ? { aad } : {}) });
}

/** Cuts a sealed message into header, regular frames and the final frame (the test knows the layout). */
function split(sealed: Uint8Array, frameLength = FL) {
  const header = sealed.subarray(0, HEADER_BYTES);
  const frames: Uint8Array[] = [];
  let offset = HEADER_BYTES;
  while (sealed.length - offset > FRAME_OVERHEAD_BYTES + frameLength + 8) {
    frames.push(sealed.subarray(offset, offset + FRAME_OVERHEAD_BYTES + frameLength));
    offset += FRAME_OVERHEAD_BYTES + frameLength;
  }
  return { header, frames, final: sealed.subarray(offset) };
}

/** Runs the stream, returning what it yielded before it threw (and the error). */
function drain(sealed: Uint8Array, aad?: Uint8Array): { yielded: Uint8Array[]; error: unknown } {
  const yielded: Uint8Array[] = [];
  try {
    for (const chunk of decryptFramedStream(sealed, key, aad)) yielded.push(chunk);
  } catch (error) {
    return { yielded, error };
  }
  return { yielded, error: undefined };
}

describe('framed weights: round trip', () => {
  it('round-trips sizes around the frame boundaries, with and without AAD', () => {
    const random = new Prng(63, 'sizes');
    for (const size of [0, 1, FL - 1, FL, FL + 1, 3 * FL, 3 * FL + 100]) {
      const plaintext = random.bytes(size);
      const sealed = seal(plaintext, size);
      expect(sealed.length).toBe(framesLayout(FL, size)!.sealedLength);
      expect(decryptFramed(sealed, key)).toEqual(plaintext);
      const aad = random.bytes(size % 50);
      expect(decryptFramed(seal(plaintext, size, aad), key, aad)).toEqual(plaintext);
    }
  });

  it('uses 64 KiB frames by default and is reproducible from the seed', () => {
    const plaintext = new Prng(64, 'big').bytes(200_000);
    const sealed = encryptFramed(plaintext, key, { random: new Prng(65, 'frames') });
    // Buffer.equals: vitest's deep equality is slow on 200 KB arrays.
    const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
    expect(same(sealed, encryptFramed(plaintext, key, { random: new Prng(65, 'frames') }))).toBe(true);
    expect(same(sealed, encryptFramed(plaintext, key, { random: new Prng(66, 'frames') }))).toBe(false);
    expect(same(decryptFramed(sealed, key), plaintext)).toBe(true);
    const stream = decryptFramedStream(sealed, key);
    const sizes: number[] = [];
    let step = stream.next();
    while (!step.done) {
      sizes.push(step.value.length);
      step = stream.next();
    }
    expect(sizes).toEqual([65536, 65536, 65536, 200_000 - 3 * 65536]);
    expect(step.value.frameLength).toBe(65536);
    expect(step.value.version).toBe(1);
    expect(step.value.messageId).toEqual(sealed.subarray(5, 21));
  });

  it('refuses bad options and keys', () => {
    const random = new Prng(67, 'opts');
    for (const frameLength of [1023, 1024 * 1024 + 1, 1500.5]) {
      expectCode(() => encryptFramed(data, key, { random, frameLength }), 'FRAME_BAD_OPTIONS');
    }
    expectCode(() => encryptFramed(data, key.subarray(0, 16), { random }), 'FRAME_BAD_KEY');
    expectCode(() => decryptFramed(seal(data, 1), key.subarray(0, 16)), 'FRAME_BAD_KEY');
    expect(framesLayout(FL, FL * FRAME_COUNT_MAX)).toBeDefined();
    expect(framesLayout(FL, FL * FRAME_COUNT_MAX + 1)).toBeUndefined();
  });
});

describe('framed weights: attacks are detected before plaintext is released', () => {
  const sealed = seal(data, 70);
  const { header, frames, final } = split(sealed);
  const otherMessage = split(seal(data, 71)); // same key and size, other message id

  it('the test splitter sees the expected layout (control)', () => {
    expect(frames.length).toBe(3);
    expect(concatBytes(header, ...frames, final)).toEqual(sealed);
    expect(drain(sealed).yielded.length).toBe(4);
  });

  const attacks: Record<string, [Uint8Array, string]> = {
    'truncation: final frame dropped': [concatBytes(header, ...frames), 'FRAME_TRUNCATED'],
    'truncation: cut inside a frame': [sealed.subarray(0, sealed.length - 7), 'FRAME_TRUNCATED'],
    'truncation: header only': [header, 'FRAME_TRUNCATED'],
    'truncation: cut inside the header': [sealed.subarray(0, 20), 'FRAME_TRUNCATED'],
    'dropped middle frame': [concatBytes(header, frames[0]!, frames[2]!, final), 'FRAME_TRUNCATED'],
    'reordered frames': [concatBytes(header, frames[1]!, frames[0]!, frames[2]!, final), 'FRAME_AUTH_FAILED'],
    'frame from another message': [concatBytes(header, frames[0]!, otherMessage.frames[1]!, frames[2]!, final), 'FRAME_AUTH_FAILED'],
    'final frame from another message': [concatBytes(header, ...frames, otherMessage.final), 'FRAME_AUTH_FAILED'],
    'header from another message': [concatBytes(otherMessage.header, ...frames, final), 'FRAME_AUTH_FAILED'],
    'duplicated frame in place of the next': [concatBytes(header, frames[0]!, frames[0]!, frames[2]!, final), 'FRAME_AUTH_FAILED'],
    'duplicated frame inserted': [concatBytes(header, frames[0]!, frames[1]!, frames[1]!, frames[2]!, final), 'FRAME_TRAILING_DATA'],
    'bytes after the final frame': [concatBytes(sealed, new Uint8Array([0])), 'FRAME_TRAILING_DATA'],
    'a whole frame after the final frame': [concatBytes(sealed, frames[2]!), 'FRAME_TRAILING_DATA'],
    'magic changed': [flipped(sealed, 0), 'FRAME_MALFORMED'],
    'version changed': [flipped(sealed, 4), 'FRAME_MALFORMED'],
    'message id changed': [flipped(sealed, 10), 'FRAME_AUTH_FAILED'],
    'frame length changed (still in bounds)': [flipped(sealed, 23, 0x08), 'FRAME_AUTH_FAILED'],
    'plaintext length changed': [flipped(sealed, 32, 0x01), 'FRAME_AUTH_FAILED'],
    'header tag changed': [flipped(sealed, HEADER_BYTES - 1), 'FRAME_AUTH_FAILED'],
    'final marker removed': [flipped(sealed, sealed.length - final.length, 0x80), 'FRAME_AUTH_FAILED'],
    'final content length changed': [flipped(sealed, sealed.length - final.length + 23), 'FRAME_AUTH_FAILED'],
    'stored IV changed': [flipped(sealed, HEADER_BYTES + 6), 'FRAME_AUTH_FAILED'],
  };
  for (const [name, [tampered, code]] of Object.entries(attacks)) {
    it(`${name} → ${code}`, () => {
      expectCode(() => decryptFramed(tampered, key), code);
      const { yielded, error } = drain(tampered);
      expect(isEmuError(error, code)).toBe(true);
      // Whatever the stream released before it failed must be authentic plaintext from its own position.
      for (const [i, chunk] of yielded.entries()) expect(chunk).toEqual(data.subarray(i * FL, (i + 1) * FL));
    });
  }

  it('a tampered last frame releases exactly the authentic frames before it, and decryptFramed releases nothing', () => {
    const tampered = flipped(sealed, sealed.length - 20);
    const { yielded, error } = drain(tampered);
    expect(isEmuError(error, 'FRAME_AUTH_FAILED')).toBe(true);
    expect(yielded).toEqual(frames.map((_, i) => data.subarray(i * FL, (i + 1) * FL)));
    expectCode(() => decryptFramed(tampered, key), 'FRAME_AUTH_FAILED');
  });

  it('a wrong key or wrong AAD fails at the header', () => {
    const wrongKey = flipped(key, 0);
    expectCode(() => decryptFramed(sealed, wrongKey), 'FRAME_AUTH_FAILED');
    expect(drain(sealed, new Uint8Array([1])).yielded.length).toBe(0);
    const withAad = seal(data, 72, new Uint8Array([1, 2, 3]));
    expectCode(() => decryptFramed(withAad, key, new Uint8Array([1, 2, 4])), 'FRAME_AUTH_FAILED');
    expectCode(() => decryptFramed(withAad, key), 'FRAME_AUTH_FAILED');
  });

  it('refuses an out-of-bounds header before any cryptography', () => {
    const huge = sealed.slice();
    huge[25] = 0x80; // plaintext length ≥ 2^63
    expectCode(() => decryptFramed(huge, key), 'FRAME_MALFORMED');
    const tinyFrames = sealed.slice();
    tinyFrames.set([0, 0, 0, 16], 21); // frame length 16 < 1 KiB
    expectCode(() => decryptFramed(tinyFrames, key), 'FRAME_MALFORMED');
  });
});

describe('framed weights: properties', () => {
  const sizes = fc.oneof(
    fc.integer({ min: 0, max: 4 * FL + 10 }),
    fc.constantFrom(0, FL, 2 * FL, 3 * FL),
  );

  it('decrypt(encrypt(x)) = x for any size and AAD', () => {
    fc.assert(
      fc.property(sizes, fc.uint8Array({ maxLength: 40 }), fc.nat(), (size, aad, seed) => {
        const plaintext = new Prng(seed, 'prop').bytes(size);
        expect(decryptFramed(seal(plaintext, seed, aad), key, aad)).toEqual(plaintext);
      }),
      { numRuns: 60 },
    );
  });

  it('any single-byte change anywhere is refused with a FRAME_ error', () => {
    fc.assert(
      fc.property(sizes, fc.nat(), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 255 }), (size, seed, where, delta) => {
        const sealedMessage = seal(new Prng(seed, 'prop').bytes(size), seed);
        const index = Math.min(sealedMessage.length - 1, Math.floor(where * sealedMessage.length));
        let error: unknown;
        try {
          decryptFramed(flipped(sealedMessage, index, delta), key);
        } catch (caught) {
          error = caught;
        }
        expect(isEmuError(error) && error.code.startsWith('FRAME_')).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
