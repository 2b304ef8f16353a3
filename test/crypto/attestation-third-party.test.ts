import { describe, expect, it } from 'vitest';
import { AttestationVerifier, signAttestationDocument, toBase64 } from '../../src/crypto/index.ts';
import { AWS_ROOT_SHA256, buildPki, fixture, sampleDoc } from './attestation-helpers.ts';

// tee-verifier reads window.crypto (research §5); on Node the global object has it.
(globalThis as { window?: unknown }).window ??= globalThis;
const { SignedAttestation } = await import('@0xsequence/tee-verifier');

interface ThirdPartyResult {
  readonly signature: boolean;
  readonly chain: boolean;
  readonly rootFingerprint: string;
  readonly timestamp: number;
}

/** @0xsequence/tee-verifier (pkijs + WebCrypto, written by others) run over one document. */
async function thirdParty(document: Uint8Array, at: Date): Promise<ThirdPartyResult> {
  const attestation = SignedAttestation.fromDocument(toBase64(document));
  return {
    signature: await attestation.verifySignature(),
    chain: await attestation.verifyRootOfTrust(at),
    rootFingerprint: await attestation.rootCertFingerprint(),
    timestamp: Number((attestation as unknown as { raw: { timestamp: number | bigint } }).raw.timestamp),
  };
}

describe('third-party verifier (@0xsequence/tee-verifier)', () => {
  const pki = buildPki(41);
  const ourRoot = new AttestationVerifier(pki.root.der).root.fingerprintSha256;
  const doc = sampleDoc(pki);

  for (const form of ['indefinite', 'definite'] as const) {
    it(`accepts our ${form}-map document with our root's fingerprint`, async () => {
      const result = await thirdParty(signAttestationDocument(doc, pki.leaf.keyPair.privateKey, form), new Date(doc.timestamp));
      expect(result).toEqual({ signature: true, chain: true, rootFingerprint: ourRoot, timestamp: doc.timestamp });
      expect(ourRoot).not.toBe(AWS_ROOT_SHA256);
    });
  }

  it('rejects our document with a flipped signature byte', async () => {
    const bytes = signAttestationDocument(doc, pki.leaf.keyPair.privateKey);
    bytes[bytes.length - 20]! ^= 0x01;
    const result = await thirdParty(bytes, new Date(doc.timestamp));
    expect(result.signature).toBe(false);
  });

  it('rejects our chain after the leaf has expired, as ours does', async () => {
    const result = await thirdParty(signAttestationDocument(doc, pki.leaf.keyPair.privateKey), new Date(doc.timestamp + 4 * 3_600_000));
    expect(result.chain).toBe(false);
  });

  it('agrees with us on a real AWS document (control)', async () => {
    const real = fixture('real-2026-02-production-indefinite-map.cbor');
    const result = await thirdParty(real, new Date(1770065027502));
    expect(result).toEqual({ signature: true, chain: true, rootFingerprint: AWS_ROOT_SHA256, timestamp: 1770065027502 });
  });
});
