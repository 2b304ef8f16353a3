import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { aes256GcmOpen, aes256GcmSeal, hkdfSha384 } from '../../src/crypto/index.ts';
import { Prng } from '../../src/sim/prng.ts';
import { expectCode, flipped, hex } from './envelope-helpers.ts';

// McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 13–16 (AES-256, 96-bit IV).
const K0 = '00'.repeat(32);
const K1 = 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308';
const IV1 = 'cafebabefacedbaddecaf888';
const P64 =
  'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72' +
  '1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255';
const C64 =
  '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa' +
  '8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad';
const VECTORS = [
  { name: 'case 13', key: K0, iv: '00'.repeat(12), aad: '', p: '', c: '', tag: '530f8afbc74536b9a963b4f1c4cb738b' },
  {
    name: 'case 14',
    key: K0,
    iv: '00'.repeat(12),
    aad: '',
    p: '00'.repeat(16),
    c: 'cea7403d4d606b6e074ec5d3baf39d18',
    tag: 'd0d1c8a799996bf0265b98b5d48ab919',
  },
  { name: 'case 15', key: K1, iv: IV1, aad: '', p: P64, c: C64, tag: 'b094dac5d93471bdec1a502270e3cc6c' },
  {
    name: 'case 16',
    key: K1,
    iv: IV1,
    aad: 'feedfacedeadbeeffeedfacedeadbeefabaddad2',
    p: P64.slice(0, 120),
    c: C64.slice(0, 120),
    tag: '76fc6ece0f4e1768cddf8853bb2d551b',
  },
];

describe('AES-256-GCM', () => {
  for (const v of VECTORS) {
    it(`matches the GCM specification ${v.name}`, () => {
      const aad = v.aad === '' ? undefined : hex(v.aad);
      const sealed = aes256GcmSeal(hex(v.key), hex(v.iv), hex(v.p), aad);
      expect(Buffer.from(sealed).toString('hex')).toBe(v.c + v.tag);
      expect(aes256GcmOpen(hex(v.key), hex(v.iv), sealed, aad)).toEqual(hex(v.p));
    });
  }

  const v = VECTORS[3]!;
  const key = hex(v.key);
  const iv = hex(v.iv);
  const aad = hex(v.aad);
  const sealed = hex(v.c + v.tag);

  it('refuses any flipped ciphertext or tag bit, other AAD, other IV, other key, a cut tag', () => {
    for (const index of [0, 30, 59, 60, 75]) {
      expectCode(() => aes256GcmOpen(key, iv, flipped(sealed, index, 0x80), aad), 'AEAD_AUTH_FAILED');
    }
    expectCode(() => aes256GcmOpen(key, iv, sealed, flipped(aad, 0)), 'AEAD_AUTH_FAILED');
    expectCode(() => aes256GcmOpen(key, iv, sealed), 'AEAD_AUTH_FAILED');
    expectCode(() => aes256GcmOpen(key, flipped(iv, 11), sealed, aad), 'AEAD_AUTH_FAILED');
    expectCode(() => aes256GcmOpen(flipped(key, 31), iv, sealed, aad), 'AEAD_AUTH_FAILED');
    expectCode(() => aes256GcmOpen(key, iv, sealed.subarray(0, sealed.length - 1), aad), 'AEAD_AUTH_FAILED');
    expectCode(() => aes256GcmOpen(key, iv, sealed.subarray(0, 15), aad), 'AEAD_AUTH_FAILED');
  });

  it('validates key and IV lengths on both sides', () => {
    expectCode(() => aes256GcmSeal(key.subarray(0, 16), iv, new Uint8Array(1)), 'AEAD_BAD_KEY');
    expectCode(() => aes256GcmOpen(new Uint8Array(33), iv, sealed), 'AEAD_BAD_KEY');
    expectCode(() => aes256GcmSeal(key, new Uint8Array(16), new Uint8Array(1)), 'AEAD_BAD_IV');
    expectCode(() => aes256GcmOpen(key, iv.subarray(0, 8), sealed), 'AEAD_BAD_IV');
  });
});

/** RFC 5869 written out with HMAC, as an independent reference. */
function referenceHkdf(hash: 'sha256' | 'sha384', ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number) {
  const hashBytes = hash === 'sha256' ? 32 : 48;
  const prk = createHmac(hash, salt.length > 0 ? salt : new Uint8Array(hashBytes)).update(ikm).digest();
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let i = 1; blocks.length * hashBytes < length; i++) {
    previous = createHmac(hash, prk).update(previous).update(info).update(new Uint8Array([i])).digest();
    blocks.push(previous);
  }
  return new Uint8Array(Buffer.concat(blocks).subarray(0, length));
}

describe('HKDF-SHA384', () => {
  it('the reference implementation reproduces RFC 5869 test case 1 (SHA-256)', () => {
    const okm = referenceHkdf('sha256', hex('0b'.repeat(22)), hex('000102030405060708090a0b0c'), hex('f0f1f2f3f4f5f6f7f8f9'), 42);
    expect(Buffer.from(okm).toString('hex')).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });

  it('agrees with the reference for SHA-384 across lengths, including the 255-block maximum', () => {
    const random = new Prng(51, 'hkdf');
    for (const length of [1, 32, 48, 49, 97, 255 * 48]) {
      const [ikm, salt, info] = [random.bytes(32), random.bytes(length % 3 === 0 ? 0 : 48), random.bytes(20)];
      expect(hkdfSha384(ikm, salt, info, length)).toEqual(referenceHkdf('sha384', ikm, salt, info, length));
    }
  });

  it('longer outputs extend shorter ones, and any input change changes the output', () => {
    const [ikm, salt, info] = [hex('0b'.repeat(32)), hex('01'), hex('02')];
    const long = hkdfSha384(ikm, salt, info, 100);
    expect(hkdfSha384(ikm, salt, info, 10)).toEqual(long.subarray(0, 10));
    expect(hkdfSha384(flipped(ikm, 0), salt, info, 100)).not.toEqual(long);
    expect(hkdfSha384(ikm, flipped(salt, 0), info, 100)).not.toEqual(long);
    expect(hkdfSha384(ikm, salt, flipped(info, 0), 100)).not.toEqual(long);
  });

  it('bounds the output length to 1..255·48 and the info length', () => {
    const b = new Uint8Array(8);
    expectCode(() => hkdfSha384(b, b, b, 0), 'HKDF_BAD_LENGTH');
    expectCode(() => hkdfSha384(b, b, b, 255 * 48 + 1), 'HKDF_BAD_LENGTH');
    expectCode(() => hkdfSha384(b, b, b, 1.5), 'HKDF_BAD_LENGTH');
    expectCode(() => hkdfSha384(b, b, new Uint8Array(1025), 32), 'HKDF_BAD_INFO');
  });
});
