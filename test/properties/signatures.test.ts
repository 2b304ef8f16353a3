// Signature laws (issue 7): verify(sign(x)) holds, and any one-bit change of the message or the signature is refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AttestationVerifier,
  buildMeasurementsResponse,
  concatBytes,
  decodeCoseSign1,
  encodeCoseSign1Es384,
  encodeGetMeasurements,
  indexOfBytes,
  p384KeyPair,
  p384Sign,
  p384Verify,
  signAttestationDocument,
  verifyCoseSign1Es384,
  verifySpdmMeasurements,
} from '../../src/crypto/index.ts';
import { Prng } from '../../src/sim/prng.ts';
import { EPOCH_MS, buildPki, errorCode, expectCode, sampleDoc } from '../crypto/attestation-helpers.ts';
import { flipped } from '../helpers/bytes.ts';

const RUNS = { numRuns: 25, seed: 7107 };
const SIGNATURE_BYTES = 96;

/** A copy of `bytes` with one bit flipped, the bit counted from the first byte's least significant. */
const flipBit = (bytes: Uint8Array, bit: number): Uint8Array => flipped(bytes, bit >>> 3, 1 << (bit & 7));

/** A bit index inside [start, end) of a byte string, from a fraction in [0, 1). */
const bitIn = (fraction: number, start: number, end: number) => start * 8 + Math.floor(fraction * (end - start) * 8);
const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

const keys = p384KeyPair(new Prng(2, 'properties-signatures'));
const otherKeys = p384KeyPair(new Prng(3, 'properties-signatures'));

describe('raw P-384 ECDSA', () => {
  it('verify(sign(m)) holds; a flipped bit of message or signature, or another key, fails', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 500 }), fraction, fraction, (message, fm, fs) => {
        const signature = p384Sign(message, keys.privateKey);
        expect(p384Verify(signature, message, keys.publicKey)).toBe(true);
        expect(p384Verify(signature, flipBit(message, bitIn(fm, 0, message.length)), keys.publicKey)).toBe(false);
        expect(p384Verify(flipBit(signature, bitIn(fs, 0, SIGNATURE_BYTES)), message, keys.publicKey)).toBe(false);
        expect(p384Verify(signature, message, otherKeys.publicKey)).toBe(false);
      }),
      RUNS,
    );
  });
});

describe('COSE_Sign1 ES384', () => {
  it('verifies as signed; a flipped bit of payload or signature fails', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 800 }), fraction, fraction, (payload, fp, fs) => {
        const cose = decodeCoseSign1(encodeCoseSign1Es384(payload, keys.privateKey));
        expect(verifyCoseSign1Es384(cose, keys.publicKey)).toBe(true);
        expect(verifyCoseSign1Es384({ ...cose, payload: flipBit(cose.payload, bitIn(fp, 0, payload.length)) }, keys.publicKey)).toBe(false);
        expect(verifyCoseSign1Es384({ ...cose, signature: flipBit(cose.signature, bitIn(fs, 0, SIGNATURE_BYTES)) }, keys.publicKey)).toBe(false);
        expect(verifyCoseSign1Es384(cose, otherKeys.publicKey)).toBe(false);
      }),
      RUNS,
    );
  });
});

describe('attestation documents through AttestationVerifier', () => {
  const pki = buildPki(41);
  const verifier = new AttestationVerifier(pki.root.der);
  const atMs = EPOCH_MS + 120_000;

  it('a signed document verifies; one flipped bit anywhere is a typed error, ATT_BAD_SIGNATURE inside user data or signature', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 300 }), fraction, fraction, fraction, (userData, fu, fs, fa) => {
        // A marker around the user data makes its bytes easy to find in the encoded payload.
        const marked = concatBytes(Uint8Array.of(0xde, 0xad, 0xbe, 0xef), userData);
        const document = signAttestationDocument(sampleDoc(pki, { userData: marked }), pki.leaf.keyPair.privateKey);
        expect(verifier.verify(document, { atMs }).doc.userData).toEqual(marked);

        const at = indexOfBytes(document, marked);
        expect(at).toBeGreaterThan(0);
        expectCode(() => verifier.verify(flipBit(document, bitIn(fu, at, at + marked.length)), { atMs }), 'ATT_BAD_SIGNATURE');
        const sigStart = document.length - SIGNATURE_BYTES;
        expectCode(() => verifier.verify(flipBit(document, bitIn(fs, sigStart, document.length)), { atMs }), 'ATT_BAD_SIGNATURE');
        // Anywhere else (structure, PCRs, certificates): still refused, with some typed code.
        expect(errorCode(() => verifier.verify(flipBit(document, bitIn(fa, 0, document.length)), { atMs }))).toMatch(/^[A-Z0-9_]+$/);
      }),
      { numRuns: 20, seed: 7107 },
    );
  });

  it('a document signed by a key other than the leaf is refused', () => {
    const document = signAttestationDocument(sampleDoc(pki), otherKeys.privateKey);
    expectCode(() => verifier.verify(document, { atMs }), 'ATT_BAD_SIGNATURE');
  });
});

describe('SPDM MEASUREMENTS signature', () => {
  it('verifySpdmMeasurements(request ‖ signed response) holds; a flipped bit of signed bytes or signature fails', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 48, maxLength: 48 }),
        fc.uint8Array({ maxLength: 200 }),
        fraction,
        fraction,
        (nonce, digest, opaque, fd, fs) => {
          const request = { signatureRequested: true, operation: 0xff, nonce, slot: 0 };
          const requestBytes = encodeGetMeasurements(request);
          const response = buildMeasurementsResponse({
            requestBytes,
            request,
            blocks: [{ index: 1, valueType: 0, digest }],
            totalIndices: 1,
            responderNonce: new Uint8Array(32).fill(7),
            opaque,
            signingKey: keys.privateKey,
          });
          const report = concatBytes(requestBytes, response);
          expect(verifySpdmMeasurements(report, keys.publicKey, { expectedNonce: nonce }).measurements).toHaveLength(1);
          // The nonce and the measurement digest: content whose change keeps the layout valid.
          const nonceAt = 4;
          expectCode(() => verifySpdmMeasurements(flipBit(report, bitIn(fd, nonceAt, nonceAt + 32)), keys.publicKey), 'SPDM_BAD_SIGNATURE');
          const digestAt = indexOfBytes(report, digest);
          expectCode(() => verifySpdmMeasurements(flipBit(report, bitIn(fd, digestAt, digestAt + 48)), keys.publicKey), 'SPDM_BAD_SIGNATURE');
          const sigStart = report.length - SIGNATURE_BYTES;
          expectCode(() => verifySpdmMeasurements(flipBit(report, bitIn(fs, sigStart, report.length)), keys.publicKey), 'SPDM_BAD_SIGNATURE');
          expectCode(() => verifySpdmMeasurements(report, otherKeys.publicKey), 'SPDM_BAD_SIGNATURE');
        },
      ),
      RUNS,
    );
  });
});
