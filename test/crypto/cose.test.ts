import { describe, expect, it } from 'vitest';
import {
  COSE_ALG_ES384,
  concatBytes,
  coseSigStructure,
  decodeCoseSign1,
  encodeCoseSign1Es384,
  p384KeyPair,
  p384Verify,
  toHex,
  utf8,
  verifyCoseSign1Es384,
} from '../../src/crypto/index.ts';
import { Prng } from '../../src/sim/prng.ts';
import { errorCode, expectCode, fixture, h } from './attestation-helpers.ts';

const pair = p384KeyPair(new Prng(1, 'cose'));
const payload = utf8('the payload');

/** Builds a COSE_Sign1 by hand from hex parts, with a 96-byte signature. */
function envelope(parts: { tag?: string; protected?: string; unprotected?: string; payload?: string; signature?: string }): Uint8Array {
  const hex =
    (parts.tag ?? '') +
    '84' +
    (parts.protected ?? '44a1013822') +
    (parts.unprotected ?? 'a0') +
    (parts.payload ?? '43010203') +
    (parts.signature ?? `5860${'11'.repeat(96)}`);
  return h(hex);
}

describe('COSE_Sign1 ES384', () => {
  it('encodes the exact NSM envelope and a verifiable signature', () => {
    const doc = encodeCoseSign1Es384(payload, pair.privateKey);
    expect(toHex(doc.subarray(0, 7))).toBe('8444a1013822a0');
    expect(toHex(doc.subarray(7, 8 + payload.length))).toBe(`4b${toHex(payload)}`);
    expect(toHex(doc.subarray(doc.length - 98, doc.length - 96))).toBe('5860');
    const cose = decodeCoseSign1(doc);
    expect(cose.tagged).toBe(false);
    expect(cose.alg).toBe(COSE_ALG_ES384);
    expect(toHex(cose.protectedBytes)).toBe('a1013822');
    expect(cose.unprotected.size).toBe(0);
    expect(toHex(cose.payload)).toBe(toHex(payload));
    expect(verifyCoseSign1Es384(cose, pair.publicKey)).toBe(true);
  });

  it('signs the RFC 9052 Sig_structure', () => {
    const sig = coseSigStructure(h('a1013822'), h('0102'));
    expect(toHex(sig)).toBe(`84${'6a'}${toHex(utf8('Signature1'))}44a101382240420102`);
    const doc = encodeCoseSign1Es384(h('0102'), pair.privateKey);
    expect(p384Verify(doc.subarray(doc.length - 96), sig, pair.publicKey)).toBe(true);
  });

  it('uses the two-byte length form for large payloads, as real documents do', () => {
    const big = new Uint8Array(4400);
    const doc = encodeCoseSign1Es384(big, pair.privateKey);
    expect(toHex(doc.subarray(0, 10))).toBe('8444a1013822a0591130');
  });

  it('accepts tag 18 and decodes real documents', () => {
    const doc = encodeCoseSign1Es384(payload, pair.privateKey);
    const tagged = decodeCoseSign1(concatBytes(h('d2'), doc));
    expect(tagged.tagged).toBe(true);
    expect(verifyCoseSign1Es384(tagged, pair.publicKey)).toBe(true);
    const real = decodeCoseSign1(fixture('real-2026-02-production-indefinite-map.cbor'));
    expect(real.payload[0]).toBe(0xbf);
    expect(real.signature.length).toBe(96);
  });

  it('fails verification for a changed payload, signature or key', () => {
    const cose = decodeCoseSign1(encodeCoseSign1Es384(payload, pair.privateKey));
    const payload2 = cose.payload.slice();
    payload2[0]! ^= 0x01;
    expect(verifyCoseSign1Es384({ ...cose, payload: payload2 }, pair.publicKey)).toBe(false);
    const signature2 = cose.signature.slice();
    signature2[95]! ^= 0x80;
    expect(verifyCoseSign1Es384({ ...cose, signature: signature2 }, pair.publicKey)).toBe(false);
    expect(verifyCoseSign1Es384(cose, p384KeyPair(new Prng(2, 'cose')).publicKey)).toBe(false);
    expect(verifyCoseSign1Es384({ ...cose, alg: -7 }, pair.publicKey)).toBe(false);
  });

  it('rejects malformed envelopes with typed errors', () => {
    expect(decodeCoseSign1(envelope({})).payload.length).toBe(3);
    expectCode(() => decodeCoseSign1(envelope({ tag: 'd1' })), 'CBOR_UNEXPECTED_TAG');
    expectCode(() => decodeCoseSign1(envelope({ unprotected: 'a101c100' })), 'CBOR_UNEXPECTED_TAG');
    expectCode(() => decodeCoseSign1(h('8344a1013822a043010203')), 'COSE_MALFORMED');
    expectCode(() => decodeCoseSign1(h('a0')), 'COSE_MALFORMED');
    expectCode(() => decodeCoseSign1(envelope({ protected: '40' })), 'COSE_MALFORMED');
    expectCode(() => decodeCoseSign1(envelope({ protected: 'a0' })), 'COSE_MALFORMED');
    expectCode(() => decodeCoseSign1(envelope({ protected: '41a0' })), 'COSE_MALFORMED');
    expectCode(() => decodeCoseSign1(envelope({ protected: '47a2013822036161' })), 'COSE_MALFORMED');
    expectCode(() => decodeCoseSign1(envelope({ unprotected: '80' })), 'COSE_MALFORMED');
    expectCode(() => decodeCoseSign1(envelope({ payload: 'f6' })), 'COSE_MALFORMED');
    expectCode(() => decodeCoseSign1(envelope({ payload: '63616263' })), 'COSE_MALFORMED');
    expectCode(() => decodeCoseSign1(envelope({ signature: `585f${'11'.repeat(95)}` })), 'COSE_MALFORMED');
    expectCode(() => decodeCoseSign1(envelope({ signature: `5861${'11'.repeat(97)}` })), 'COSE_MALFORMED');
    expectCode(() => decodeCoseSign1(concatBytes(envelope({}), h('00'))), 'CBOR_TRAILING_BYTES');
    expectCode(() => decodeCoseSign1(envelope({ unprotected: 'a20101' + '0102' })), 'CBOR_DUPLICATE_KEY');
  });

  it('accepts only ES384 in the protected header', () => {
    expectCode(() => decodeCoseSign1(envelope({ protected: '43a10126' })), 'COSE_UNSUPPORTED_ALG');
    expectCode(() => decodeCoseSign1(envelope({ protected: '44a1013823' })), 'COSE_UNSUPPORTED_ALG');
    expect(errorCode(() => decodeCoseSign1(envelope({ protected: '45a1013822ff' })))).toBe('CBOR_TRAILING_BYTES');
  });
});
