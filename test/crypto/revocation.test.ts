import { describe, expect, it } from 'vitest';
import {
  AttestationVerifier,
  parseAttestationDocument,
  parseCertificate,
  RevocationList,
  zeroPcr,
} from '../../src/crypto/index.ts';
import { NitroController } from '../../src/hypervisor/index.ts';
import { Simulator } from '../../src/sim/index.ts';
import { expectCode } from '../helpers/errors.ts';

const INSTANCE = 'i-0123456789abcdef0';
const MODULE = `${INSTANCE}-enc0000000000000001`;

function platform(seed = 11) {
  const sim = new Simulator({ seed });
  const nitro = new NitroController(sim, 'us-east-1');
  const issuer = nitro.issuerFor(INSTANCE, MODULE);
  const issue = () => issuer.issue({ pcrs: new Map([[0, zeroPcr()]]), publicKey: null, userData: null, nonce: null });
  return { sim, nitro, issue, verifier: new AttestationVerifier(nitro.rootCertificateDer) };
}

describe('certificate revocation', () => {
  it('refuses a document whose leaf is revoked, only when the verifier is given the list', () => {
    const { sim, nitro, issue, verifier } = platform();
    const document = issue();
    const leaf = parseCertificate(parseAttestationDocument(document).doc.certificate);
    const isRevoked = nitro.revocations.isRevoked.bind(nitro.revocations);
    verifier.verify(document, { atMs: sim.nowMs, isRevoked });
    nitro.revokeCertificate(leaf.der, 'leaf key exposed');
    expectCode(() => verifier.verify(document, { atMs: sim.nowMs, isRevoked }), 'CHAIN_REVOKED');
    // Without a revocation source (revocationChecked off) the same document passes.
    expect(verifier.verify(document, { atMs: sim.nowMs }).leaf.fingerprintSha256).toBe(leaf.fingerprintSha256);
    // The platform keeps working: the next document has a new leaf that verifies.
    const next = issue();
    const verified = verifier.verify(next, { atMs: sim.nowMs, isRevoked });
    expect(verified.leaf.fingerprintSha256).not.toBe(leaf.fingerprintSha256);
  });

  it('revoking the instance CA refuses every document under it, cached chain links included, and re-issues the chain', () => {
    const { sim, nitro, issue, verifier } = platform();
    const isRevoked = nitro.revocations.isRevoked.bind(nitro.revocations);
    const before = issue();
    verifier.verify(before, { atMs: sim.nowMs, isRevoked }); // caches the intermediate links
    const instanceCa = nitro.instanceCaFor(INSTANCE);
    expect(parseAttestationDocument(before).doc.cabundle.at(-1)).toEqual(instanceCa);
    nitro.revokeCertificate(parseCertificate(instanceCa).fingerprintSha256, 'platform key compromise');
    expectCode(() => verifier.verify(before, { atMs: sim.nowMs, isRevoked }), 'CHAIN_REVOKED');
    const after = issue();
    const bundle = parseAttestationDocument(after).doc.cabundle;
    expect(bundle.at(-1)).not.toEqual(instanceCa);
    expect(nitro.instanceCaFor(INSTANCE)).toEqual(bundle.at(-1));
    verifier.verify(after, { atMs: sim.nowMs, isRevoked });
  });

  it('names certificates by fingerprint or issuer + serial; bad names and the root are typed errors', () => {
    const { sim, nitro, issue, verifier } = platform();
    const document = issue();
    const leaf = parseCertificate(parseAttestationDocument(document).doc.certificate);
    const list = new RevocationList();
    list.revokeSerial(leaf.issuer, leaf.serialHex.toUpperCase(), 'by serial', 0);
    expect(list.isRevoked(leaf)).toBe(true);
    // The same serial from another issuer is another certificate.
    expect(list.isRevoked({ ...leaf, issuer: 'CN=someone else' })).toBe(false);
    expectCode(() => verifier.verify(document, { atMs: sim.nowMs, isRevoked: (c) => list.isRevoked(c) }), 'CHAIN_REVOKED');
    list.revokeSerial(leaf.issuer, leaf.serialHex, 'twice', 0);
    expect(list.size).toBe(1);
    expectCode(() => list.revokeFingerprint('xyz', 'bad', 0), 'REVOCATION_BAD_FINGERPRINT');
    expectCode(() => list.revokeSerial('', '01', 'bad', 0), 'REVOCATION_BAD_SERIAL');
    expectCode(() => nitro.revokeCertificate(nitro.rootCertificateDer, 'no'), 'REVOCATION_ROOT');
    expect(nitro.revocations.size).toBe(0);
    expect(list.entries()[0]).toMatchObject({ reason: 'by serial', serialHex: leaf.serialHex.toLowerCase() });
  });
});
