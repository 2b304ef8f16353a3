import { createECDH, createPublicKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { p384KeyPair, p384SharedSecret, p384Sign, p384Verify, toHex, utf8 } from '../../src/crypto/index.ts';
import { p384Spki } from '../../src/crypto/ecdsa.ts';
import { Prng } from '../../src/sim/prng.ts';
import { expectCode, h } from './attestation-helpers.ts';

// RFC 6979 §A.2.6 (P-384): key pair, and the deterministic signature of "sample" with SHA-384.
const RFC_X = h('6B9D3DAD2E1B8C1C05B19875B6659F4DE23C3B667BF297BA9AA47740787137D896D5724E4C70A825F872C9EA60D2EDF5');
const RFC_UX = 'ec3a4e415b4e19a4568618029f427fa5da9a8bc4ae92e02e06aae5286b300c64def8f0ea9055866064a254515480bc13';
const RFC_UY = '8015d9b72d7d57244ea8ef9ac0c621896708a59367f9dfb9f54ca84b3f1c9db1288b231c3ae0d4fe7344fd2533264720';
const RFC_R = '94edbb92a5ecb8aad4736e56c691916b3f88140666ce9fa73d64c4ea95ad133c81a648152e44acf96e36dd1e80fabe46';
const RFC_S = '99ef4aeb15f178cea1fe40db2603138f130e740a19624526203b6351d0a3a94fa329c145786e679e7b82c71a38628ac8';
const RFC_PUBLIC = h(`04${RFC_UX}${RFC_UY}`);
const P384_N = h('ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973');

/** A RandomSource that plays back fixed chunks, to drive the scalar redraw logic. */
function scripted(chunks: Uint8Array[]): { bytes(n: number): Uint8Array; calls: number } {
  const source = {
    calls: 0,
    bytes(n: number): Uint8Array {
      const chunk = chunks[Math.min(source.calls++, chunks.length - 1)]!;
      expect(chunk.length).toBe(n);
      return chunk.slice();
    },
  };
  return source;
}

describe('p384Sign / p384Verify', () => {
  it('reproduces the RFC 6979 A.2.6 deterministic signature', () => {
    const signature = p384Sign(utf8('sample'), RFC_X);
    expect(toHex(signature)).toBe(RFC_R + RFC_S);
    expect(p384Verify(signature, utf8('sample'), RFC_PUBLIC)).toBe(true);
  });

  it('agrees with OpenSSL in both directions', () => {
    const random = new Prng(11, 'ecdsa');
    const pair = p384KeyPair(random);
    const message = random.bytes(777);
    const ours = p384Sign(message, pair.privateKey);
    const key = createPublicKey({ key: Buffer.from(p384Spki(pair.publicKey)), format: 'der', type: 'spki' });
    expect(nodeVerify('sha384', message, { key, dsaEncoding: 'ieee-p1363' }, ours)).toBe(true);

    const other = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const jwk = other.publicKey.export({ format: 'jwk' });
    const point = new Uint8Array([4, ...Buffer.from(jwk.x!, 'base64url'), ...Buffer.from(jwk.y!, 'base64url')]);
    const theirs = nodeSign('sha384', message, { key: other.privateKey, dsaEncoding: 'ieee-p1363' });
    expect(p384Verify(new Uint8Array(theirs), message, point)).toBe(true);
    expect(p384Verify(new Uint8Array(theirs), message, pair.publicKey)).toBe(false);
  });

  it('rejects any changed bit of signature, message or key', () => {
    const message = utf8('sample');
    const signature = p384Sign(message, RFC_X);
    for (const bit of [0, 7, 300, 767]) {
      const s = signature.slice();
      s[bit >> 3]! ^= 1 << (bit & 7);
      expect(p384Verify(s, message, RFC_PUBLIC)).toBe(false);
    }
    expect(p384Verify(signature, utf8('samplf'), RFC_PUBLIC)).toBe(false);
    const key = RFC_PUBLIC.slice();
    key[96]! ^= 1;
    expect(p384Verify(signature, message, key)).toBe(false);
  });

  it('returns false, never throws, on malformed input', () => {
    const message = utf8('sample');
    const signature = p384Sign(message, RFC_X);
    expect(p384Verify(signature.subarray(0, 95), message, RFC_PUBLIC)).toBe(false);
    expect(p384Verify(new Uint8Array(96), message, RFC_PUBLIC)).toBe(false);
    expect(p384Verify(signature, message, RFC_PUBLIC.subarray(0, 49))).toBe(false);
    expect(p384Verify(signature, message, new Uint8Array(97).fill(4))).toBe(false);
    expect(p384Verify(signature, message, new Uint8Array(0))).toBe(false);
    // r = n is out of range.
    expect(p384Verify(new Uint8Array([...P384_N, ...signature.subarray(48)]), message, RFC_PUBLIC)).toBe(false);
    expect(p384Verify('x' as unknown as Uint8Array, message, RFC_PUBLIC)).toBe(false);
    expect(p384Verify(signature, null as unknown as Uint8Array, RFC_PUBLIC)).toBe(false);
  });

  it('refuses a private key outside [1, n)', () => {
    expectCode(() => p384Sign(utf8('x'), new Uint8Array(48)), 'ECDSA_BAD_PRIVATE_KEY');
    expectCode(() => p384Sign(utf8('x'), P384_N), 'ECDSA_BAD_PRIVATE_KEY');
    expectCode(() => p384Sign(utf8('x'), RFC_X.subarray(1)), 'ECDSA_BAD_PRIVATE_KEY');
  });
});

describe('p384KeyPair', () => {
  it('is deterministic for a given random stream and matches the RFC public key', () => {
    const a = p384KeyPair(new Prng(5, 'k'));
    const b = p384KeyPair(new Prng(5, 'k'));
    expect(toHex(a.privateKey)).toBe(toHex(b.privateKey));
    expect(a.publicKey.length).toBe(97);
    expect(toHex(p384KeyPair(scripted([RFC_X])).publicKey)).toBe(`04${RFC_UX}${RFC_UY}`);
  });

  it('redraws zero and out-of-range scalars', () => {
    const source = scripted([new Uint8Array(48), P384_N, new Uint8Array(48).fill(0xff), RFC_X]);
    const pair = p384KeyPair(source);
    expect(source.calls).toBe(4);
    expect(toHex(pair.privateKey)).toBe(toHex(RFC_X));
  });

  it('gives up with a typed error on a broken source', () => {
    expectCode(() => p384KeyPair(scripted([new Uint8Array(48)])), 'ECDSA_KEYGEN_FAILED');
  });
});

describe('p384SharedSecret', () => {
  it('matches on both sides and matches OpenSSL', () => {
    const random = new Prng(3, 'ecdh');
    const alice = p384KeyPair(random);
    const bob = p384KeyPair(random);
    const ab = p384SharedSecret(alice.privateKey, bob.publicKey);
    expect(ab.length).toBe(48);
    expect(toHex(p384SharedSecret(bob.privateKey, alice.publicKey))).toBe(toHex(ab));
    const ecdh = createECDH('secp384r1');
    ecdh.setPrivateKey(Buffer.from(alice.privateKey));
    expect(ecdh.computeSecret(Buffer.from(bob.publicKey)).toString('hex')).toBe(toHex(ab));
  });

  it('refuses a point that is not on the curve', () => {
    const random = new Prng(3, 'ecdh');
    const alice = p384KeyPair(random);
    const bad = alice.publicKey.slice();
    bad[50]! ^= 1;
    expectCode(() => p384SharedSecret(alice.privateKey, bad), 'ECDH_BAD_PUBLIC_KEY');
    expectCode(() => p384SharedSecret(alice.privateKey, new Uint8Array(3)), 'ECDH_BAD_PUBLIC_KEY');
  });
});
