import {
  checkPrimeSync,
  constants,
  createECDH,
  createPrivateKey,
  createPublicKey,
  privateDecrypt,
  publicEncrypt,
} from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bytesToBigInt } from '../../src/crypto/bigint.ts';
import { generateRsaKeyPair, rsaOaepSha256Encrypt, rsaPublicKeyBits, sha256 } from '../../src/crypto/index.ts';
import { encodeRsaSpki } from '../../src/crypto/rsa-spki.ts';
import { Prng } from '../../src/sim/prng.ts';
import { expectCode, flipped } from './envelope-helpers.ts';

const key = generateRsaKeyPair(new Prng(1, 'rsa-test'));
const nodePrivate = createPrivateKey({ key: Buffer.from(key.exportPkcs8()), format: 'der', type: 'pkcs8' });
const message = new TextEncoder().encode('a 32-byte AES data key goes here');

function jwkInt(value: string | undefined): bigint {
  expect(value).toBeDefined();
  return bytesToBigInt(new Uint8Array(Buffer.from(value!, 'base64url')));
}

describe('RSA key generation', () => {
  it('is reproducible from the seed and differs across seeds', () => {
    const again = generateRsaKeyPair(new Prng(1, 'rsa-test'));
    expect(Buffer.from(again.spki).equals(Buffer.from(key.spki))).toBe(true);
    expect(Buffer.from(again.exportPkcs8()).equals(Buffer.from(key.exportPkcs8()))).toBe(true);
    const other = generateRsaKeyPair(new Prng(2, 'rsa-test'));
    expect(Buffer.from(other.spki).equals(Buffer.from(key.spki))).toBe(false);
  });

  it('makes a 2048-bit, e = 65537 key whose SPKI is what node derives from the private key', () => {
    expect(key.bits).toBe(2048);
    expect(rsaPublicKeyBits(key.spki)).toBe(2048);
    const details = nodePrivate.asymmetricKeyDetails;
    expect(details?.modulusLength).toBe(2048);
    expect(details?.publicExponent).toBe(65537n);
    const nodeSpki = createPublicKey(nodePrivate).export({ type: 'spki', format: 'der' });
    expect(Buffer.from(key.spki).equals(nodeSpki)).toBe(true);
  });

  it('has prime, well-separated factors and consistent CRT parameters (checked with node, not our own code)', () => {
    const jwk = nodePrivate.export({ format: 'jwk' });
    const [n, e, d, p, q] = [jwk.n, jwk.e, jwk.d, jwk.p, jwk.q].map(jwkInt) as [bigint, bigint, bigint, bigint, bigint];
    const [dp, dq, qi] = [jwk.dp, jwk.dq, jwk.qi].map(jwkInt) as [bigint, bigint, bigint];
    expect(p * q).toBe(n);
    expect(checkPrimeSync(p, { checks: 32 })).toBe(true);
    expect(checkPrimeSync(q, { checks: 32 })).toBe(true);
    for (const prime of [p, q]) {
      expect(prime.toString(2)).toMatch(/^11[01]{1022}$/); // exactly 1024 bits, top two set
    }
    const distance = p > q ? p - q : q - p;
    expect(distance > 1n << 924n).toBe(true);
    const phi = (p - 1n) * (q - 1n);
    expect((d * e) % ((p - 1n) * (q - 1n) / gcdOf(p - 1n, q - 1n))).toBe(1n);
    expect(d > 1n << 1024n && d < phi).toBe(true);
    expect(dp).toBe(d % (p - 1n));
    expect(dq).toBe(d % (q - 1n));
    expect((qi * q) % p).toBe(1n);
  });

  it('refuses sizes it does not generate', () => {
    expectCode(() => generateRsaKeyPair(new Prng(1, 'x'), 1024), 'RSA_BAD_KEY_SIZE');
    expectCode(() => generateRsaKeyPair(new Prng(1, 'x'), 2049), 'RSA_BAD_KEY_SIZE');
  });
});

function gcdOf(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

describe('RSAES-OAEP-SHA256', () => {
  it('our encryption opens with node (PKCS#8 export), and node encryption opens with our key', () => {
    const ours = rsaOaepSha256Encrypt(key.spki, message, new Prng(3, 'oaep'));
    expect(ours.length).toBe(256);
    const byNode = privateDecrypt(
      { key: nodePrivate, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      ours,
    );
    expect(new Uint8Array(byNode)).toEqual(message);
    const theirs = publicEncrypt(
      { key: createPublicKey({ key: Buffer.from(key.spki), format: 'der', type: 'spki' }), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      message,
    );
    expect(key.decryptOaepSha256(new Uint8Array(theirs))).toEqual(message);
  });

  it('is deterministic in the seed stream and randomized across seeds', () => {
    const a = rsaOaepSha256Encrypt(key.spki, message, new Prng(4, 'oaep'));
    const b = rsaOaepSha256Encrypt(key.spki, message, new Prng(4, 'oaep'));
    const c = rsaOaepSha256Encrypt(key.spki, message, new Prng(5, 'oaep'));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(key.decryptOaepSha256(c)).toEqual(message);
  });

  it('carries empty and maximum-length (190-byte) messages and refuses one byte more', () => {
    const random = new Prng(6, 'oaep');
    expect(key.decryptOaepSha256(rsaOaepSha256Encrypt(key.spki, new Uint8Array(0), random))).toEqual(new Uint8Array(0));
    const longest = random.bytes(190);
    expect(key.decryptOaepSha256(rsaOaepSha256Encrypt(key.spki, longest, random))).toEqual(longest);
    expectCode(() => rsaOaepSha256Encrypt(key.spki, new Uint8Array(191), random), 'RSA_MESSAGE_TOO_LONG');
  });

  it('fails closed on a flipped bit, a wrong length or the wrong key', () => {
    const ciphertext = rsaOaepSha256Encrypt(key.spki, message, new Prng(7, 'oaep'));
    for (const index of [0, 1, 100, 255]) {
      expectCode(() => key.decryptOaepSha256(flipped(ciphertext, index, 0x10)), 'RSA_DECRYPT_FAILED');
    }
    expectCode(() => key.decryptOaepSha256(ciphertext.subarray(1)), 'RSA_DECRYPT_FAILED');
    const other = generateRsaKeyPair(new Prng(8, 'rsa-test'));
    expectCode(() => other.decryptOaepSha256(ciphertext), 'RSA_DECRYPT_FAILED');
  });
});

describe('RSA public key checks', () => {
  const random = new Prng(9, 'spki');

  it('refuses non-RSA keys', () => {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(sha256(new TextEncoder().encode('fixed test scalar')));
    const point = ecdh.getPublicKey();
    const ecSpki = createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: point.subarray(1, 33).toString('base64url'),
        y: point.subarray(33).toString('base64url'),
      },
      format: 'jwk',
    }).export({ type: 'spki', format: 'der' });
    expectCode(() => rsaOaepSha256Encrypt(new Uint8Array(ecSpki), message, random), 'RSA_BAD_PUBLIC_KEY');
    expectCode(() => rsaPublicKeyBits(new Uint8Array(ecSpki)), 'RSA_BAD_PUBLIC_KEY');
  });

  it('refuses small moduli, other exponents and even moduli', () => {
    const odd1024 = (1n << 1023n) | 12345n;
    expectCode(() => rsaOaepSha256Encrypt(encodeRsaSpki(odd1024, 65537n), message, random), 'RSA_BAD_PUBLIC_KEY');
    const jwk = nodePrivate.export({ format: 'jwk' });
    const n = jwkInt(jwk.n);
    expect(rsaPublicKeyBits(encodeRsaSpki(n, 65537n))).toBe(2048);
    expectCode(() => rsaPublicKeyBits(encodeRsaSpki(n, 3n)), 'RSA_BAD_PUBLIC_KEY');
    expectCode(() => rsaPublicKeyBits(encodeRsaSpki(n - 1n, 65537n)), 'RSA_BAD_PUBLIC_KEY');
  });

  it('accepts only canonical DER: no trailing bytes, no truncation, no garbage', () => {
    const withTrailer = new Uint8Array([...key.spki, 0x00]);
    expectCode(() => rsaPublicKeyBits(withTrailer), 'RSA_BAD_PUBLIC_KEY');
    expectCode(() => rsaPublicKeyBits(key.spki.subarray(0, key.spki.length - 1)), 'RSA_BAD_PUBLIC_KEY');
    expectCode(() => rsaPublicKeyBits(new Uint8Array([0x30, 0x00])), 'RSA_BAD_PUBLIC_KEY');
    expectCode(() => rsaPublicKeyBits(random.bytes(300)), 'RSA_BAD_PUBLIC_KEY');
    // The same key with a non-minimal (long-form) outer length: valid BER, not DER.
    const spki = key.spki;
    expect(spki[0]).toBe(0x30);
    expect(spki[1]).toBe(0x82);
    const longForm = new Uint8Array([0x30, 0x83, 0x00, ...spki.subarray(2)]);
    expectCode(() => rsaPublicKeyBits(longForm), 'RSA_BAD_PUBLIC_KEY');
  });
});
