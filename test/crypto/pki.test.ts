import { X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CRLDistributionPoints, Certificate } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import {
  createEmulatedNitroRoot,
  createNitroIntermediates,
  issueEnclaveLeaf,
  parseCertificate,
  toHex,
  verifyCertificateChain,
} from '../../src/crypto/index.ts';
import { DER, DerReader } from '../../src/crypto/der.ts';
import { Prng } from '../../src/sim/prng.ts';
import { EPOCH_MS, INSTANCE_ID, MODULE_ID, REGION, buildPki, expectCode } from './attestation-helpers.ts';

/** Tags of notBefore and notAfter in a certificate's DER (UTCTime 0x17 or GeneralizedTime 0x18). */
function timeTags(der: Uint8Array): [number, number] {
  const cert = new DerReader(der).next();
  const tbs = new DerReader(der, cert.contentStart, cert.end).next();
  const fields = new DerReader(der, tbs.contentStart, tbs.end);
  fields.optional(0xa0);
  fields.next();
  fields.next();
  fields.next();
  const validity = fields.expect(DER.SEQUENCE, 'validity');
  const times = new DerReader(der, validity.contentStart, validity.end);
  return [times.next().tag, times.next().tag];
}

const EXT_NAMES: Record<string, string> = {
  '2.5.29.19': 'BC',
  '2.5.29.15': 'KU',
  '2.5.29.14': 'SKI',
  '2.5.29.35': 'AKI',
  '2.5.29.31': 'CRLDP',
};

/** The extensions in order, as asn1-x509 (an independent decoder) reads them; `!` marks critical ones. */
function extensionList(der: Uint8Array): string[] {
  const extensions = AsnConvert.parse(der, Certificate).tbsCertificate.extensions ?? [];
  return extensions.map((e) => `${EXT_NAMES[e.extnID] ?? e.extnID}${e.critical ? '!' : ''}`);
}

function crlUri(der: Uint8Array): string | undefined {
  const extension = AsnConvert.parse(der, Certificate).tbsCertificate.extensions?.find((e) => e.extnID === '2.5.29.31');
  if (extension === undefined) return undefined;
  return AsnConvert.parse(extension.extnValue, CRLDistributionPoints)[0]?.distributionPoint?.fullName?.[0]?.uniformResourceIdentifier;
}

describe('emulated Nitro root', () => {
  it('is byte-identical for the same random state and differs for another', () => {
    const a = createEmulatedNitroRoot(new Prng(9, 'root'));
    const b = createEmulatedNitroRoot(new Prng(9, 'root'));
    const c = createEmulatedNitroRoot(new Prng(10, 'root'));
    expect(toHex(a.der)).toBe(toHex(b.der));
    expect(toHex(a.keyPair.privateKey)).toBe(toHex(b.keyPair.privateKey));
    expect(toHex(a.der)).not.toBe(toHex(c.der));
  });

  it('says it is emulated and follows the AWS root profile', () => {
    const root = parseCertificate(createEmulatedNitroRoot(new Prng(9, 'root')).der);
    expect(root.subject).toBe('C=US, O=nitro-emu, OU=emulated, CN=emulated.nitro-enclaves');
    expect(root.subject).not.toMatch(/Amazon|AWS/);
    expect(root.issuer).toBe(root.subject);
    expect(new Date(root.notBeforeMs).toISOString()).toBe('2019-10-28T00:00:00.000Z');
    expect(new Date(root.notAfterMs).toISOString()).toBe('2049-10-28T00:00:00.000Z');
    expect(root.isCa).toBe(true);
    expect(root.pathLength).toBeUndefined();
    expect(root.keyUsage).toEqual({ digitalSignature: true, nonRepudiation: false, keyCertSign: true, cRLSign: true });
    expect(root.selfSigned).toBe(true);
    expect(root.serialHex.length).toBe(32);
    expect(timeTags(root.der)).toEqual([DER.UTC_TIME, DER.UTC_TIME]);
    const node = new X509Certificate(root.der);
    expect(node.verify(node.publicKey)).toBe(true);
    expect(extensionList(root.der)).toEqual(['BC!', 'SKI', 'KU!']);
  });
});

describe('Nitro intermediates and leaf', () => {
  const pki = buildPki(3);
  const [rootCert, regional, zonal, instance] = pki.chain.cabundle.map(parseCertificate) as [
    ReturnType<typeof parseCertificate>,
    ReturnType<typeof parseCertificate>,
    ReturnType<typeof parseCertificate>,
    ReturnType<typeof parseCertificate>,
  ];
  const leaf = parseCertificate(pki.leaf.der);

  it('follows the real subject patterns with emulated names', () => {
    expect(regional.subject).toMatch(new RegExp(`^C=US, O=nitro-emu, OU=emulated, CN=[0-9a-f]{16}\\.${REGION}\\.emulated\\.nitro-enclaves$`));
    expect(zonal.subject).toMatch(
      new RegExp(`^CN=[0-9a-f]{16}\\.zonal\\.${REGION}\\.emulated\\.nitro-enclaves, OU=emulated, O=nitro-emu, C=US, ST=WA, L=Seattle$`),
    );
    expect(instance.subject).toBe(
      `C=US, ST=Washington, L=Seattle, O=nitro-emu, OU=emulated, CN=${INSTANCE_ID}.${REGION}.emulated.nitro-enclaves`,
    );
    expect(leaf.subject).toBe(`C=US, ST=Washington, L=Seattle, O=nitro-emu, OU=emulated, CN=${MODULE_ID}.${REGION}.emulated`);
    expect(leaf.issuer).toBe(instance.subject);
    expect(rootCert.der).toEqual(pki.root.der);
  });

  it('has the pathLen, key usages, validity lengths and extensions of the real profile', () => {
    expect([regional.pathLength, zonal.pathLength, instance.pathLength]).toEqual([2, 1, 0]);
    expect([regional.isCa, zonal.isCa, instance.isCa, leaf.isCa]).toEqual([true, true, true, false]);
    expect(instance.keyUsage).toEqual({ digitalSignature: false, nonRepudiation: false, keyCertSign: true, cRLSign: false });
    expect(leaf.keyUsage).toEqual({ digitalSignature: true, nonRepudiation: true, keyCertSign: false, cRLSign: false });
    expect(regional.notAfterMs - regional.notBeforeMs).toBe(20 * 86_400_000);
    expect(zonal.notAfterMs - zonal.notBeforeMs).toBe(5 * 86_400_000);
    expect(instance.notAfterMs - instance.notBeforeMs).toBe(86_400_000);
    expect(leaf.notAfterMs - leaf.notBeforeMs).toBe(3 * 3_600_000 + 3000);
    expect(leaf.notBeforeMs).toBe(EPOCH_MS + 1000);
    // Same extensions, order and critical flags as the real chains (see research §1.3).
    for (const der of [pki.chain.regional.der, pki.chain.zonal.der]) {
      expect(extensionList(der)).toEqual(['BC!', 'AKI', 'SKI', 'KU!', 'CRLDP']);
      expect(crlUri(der)).toMatch(/^http:\/\/crl\.emulated\.nitro-enclaves\.invalid\/crl\/[0-9a-f-]{36}\.crl$/);
    }
    expect(extensionList(pki.chain.instance.der)).toEqual(['BC!', 'KU!']);
    expect(extensionList(pki.leaf.der)).toEqual(['BC!', 'KU']);
  });

  it('chains to the root under both our verifier and OpenSSL', () => {
    verifyCertificateChain([leaf, instance, zonal, regional], parseCertificate(pki.root.der), EPOCH_MS + 2000);
    const certs = [pki.leaf.der, pki.chain.instance.der, pki.chain.zonal.der, pki.chain.regional.der, pki.root.der].map(
      (der) => new X509Certificate(der),
    );
    for (let i = 0; i < 4; i++) {
      expect(certs[i]!.checkIssued(certs[i + 1]!)).toBe(true);
      expect(certs[i]!.verify(certs[i + 1]!.publicKey)).toBe(true);
    }
  });

  it('gives the leaf the real serial layout: enclave uid ‖ 00000000 ‖ unix seconds', () => {
    const uid = MODULE_ID.slice(-16);
    const seconds = ((EPOCH_MS + 1000 + 3000) / 1000).toString(16).padStart(8, '0');
    expect(leaf.serialHex).toBe(`${uid}00000000${seconds}`);
    const random = new Prng(1, 'leaf');
    const other = issueEnclaveLeaf({ random, issuer: pki.chain.instance, moduleId: 'custom-module', region: REGION, notBeforeMs: EPOCH_MS });
    expect(parseCertificate(other.der).serialHex.slice(-16)).toBe(`00000000${(EPOCH_MS / 1000 + 3).toString(16)}`);
  });

  it('switches to GeneralizedTime from 2050', () => {
    const random = new Prng(2, 'y2050');
    const root = createEmulatedNitroRoot(random);
    const issuedAtMs = Date.UTC(2049, 11, 25);
    const chain = createNitroIntermediates({ random, root, issuedAtMs, region: REGION, instanceId: INSTANCE_ID });
    expect(timeTags(chain.regional.der)).toEqual([DER.UTC_TIME, DER.GENERALIZED_TIME]);
    expect(timeTags(chain.instance.der)).toEqual([DER.UTC_TIME, DER.UTC_TIME]);
    const regional = parseCertificate(chain.regional.der);
    expect(new Date(regional.notAfterMs).toISOString()).toBe('2050-01-14T00:00:00.000Z');
    expect(new X509Certificate(chain.regional.der).validTo).toBe('Jan 14 00:00:00 2050 GMT');
  });

  it('is deterministic: the same seed gives the same chain and leaf bytes', () => {
    const again = buildPki(3);
    expect(again.chain.cabundle.map(toHex)).toEqual(pki.chain.cabundle.map(toHex));
    expect(toHex(again.leaf.der)).toBe(toHex(pki.leaf.der));
    expect(toHex(buildPki(4).leaf.der)).not.toBe(toHex(pki.leaf.der));
  });

  it('rejects bad names and times with typed errors', () => {
    const random = new Prng(5, 'bad');
    const base = { random, root: pki.root, issuedAtMs: EPOCH_MS, region: REGION, instanceId: INSTANCE_ID };
    expectCode(() => createNitroIntermediates({ ...base, region: 'EU WEST' }), 'PKI_BAD_INPUT');
    expectCode(() => createNitroIntermediates({ ...base, instanceId: 'x-1' }), 'PKI_BAD_INPUT');
    expectCode(() => createNitroIntermediates({ ...base, issuedAtMs: -1 }), 'PKI_BAD_INPUT');
    expectCode(() => createNitroIntermediates({ ...base, issuedAtMs: 1.5 }), 'PKI_BAD_INPUT');
    const leafBase = { random, issuer: pki.chain.instance, moduleId: MODULE_ID, region: REGION, notBeforeMs: EPOCH_MS };
    expectCode(() => issueEnclaveLeaf({ ...leafBase, moduleId: '' }), 'PKI_BAD_INPUT');
    expectCode(() => issueEnclaveLeaf({ ...leafBase, moduleId: 'has space' }), 'PKI_BAD_INPUT');
    expectCode(() => issueEnclaveLeaf({ ...leafBase, notBeforeMs: Number.NaN }), 'PKI_BAD_INPUT');
  });
});
