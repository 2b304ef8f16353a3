import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicConstraints, Certificate, KeyUsage, KeyUsageFlags, type Name } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import {
  derToPem,
  p384Verify,
  parseAttestationDocument,
  parseCertificate,
  pemToDer,
  toHex,
  verifyCertificateChain,
} from '../../src/crypto/index.ts';
import { ecdsaDerToRaw } from '../../src/crypto/x509.ts';
import { parseX509Time } from '../../src/crypto/x509-parse.ts';
import { DerReader } from '../../src/crypto/der.ts';
import { Prng } from '../../src/sim/prng.ts';
import { awsRootDer, buildPki, errorCode, expectCode, fixture, h } from './attestation-helpers.ts';

const SHORT: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
};

/** The Name as asn1-x509 decodes it, rendered in our format: an independent decoder to compare against. */
function asn1Name(name: Name): string {
  return name.map((rdn) => rdn.map((atv) => `${SHORT[atv.type] ?? atv.type}=${atv.value.toString()}`).join('+')).join(', ');
}

function realCertificates(): Uint8Array[] {
  const out: Uint8Array[] = [awsRootDer()];
  for (const name of ['real-2022-10-production-signed-eif.cbor', 'real-2022-10-debug-mode.cbor', 'real-2026-02-production-indefinite-map.cbor']) {
    const { doc } = parseAttestationDocument(fixture(name));
    out.push(doc.certificate, ...doc.cabundle);
  }
  return out;
}

function nvidiaChain(): Uint8Array[] {
  return pemToDer(readFileSync(new URL('../fixtures/nvidia/hopper-cert-chain.pem', import.meta.url), 'utf8'));
}

describe('parseCertificate', () => {
  it('reads the AWS Nitro root', () => {
    const root = parseCertificate(awsRootDer());
    expect(root.fingerprintSha256).toBe('641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b');
    expect(root.subject).toBe('C=US, O=Amazon, OU=AWS, CN=aws.nitro-enclaves');
    expect(root.issuer).toBe(root.subject);
    expect(root.serialHex).toBe('f93175681b90afe11d46ccb4e4e7f856');
    expect(new Date(root.notBeforeMs).toISOString()).toBe('2019-10-28T13:28:05.000Z');
    expect(new Date(root.notAfterMs).toISOString()).toBe('2049-10-28T14:28:05.000Z');
    expect(root.isCa).toBe(true);
    expect(root.pathLength).toBeUndefined();
    expect(root.keyUsage).toEqual({ digitalSignature: true, nonRepudiation: false, keyCertSign: true, cRLSign: true });
    expect(root.signatureAlgorithmOid).toBe('1.2.840.10045.4.3.3');
    expect(root.p384PublicKey?.length).toBe(97);
    expect(root.selfSigned).toBe(true);
    expect(p384Verify(root.signature, root.tbs, root.p384PublicKey!)).toBe(true);
  });

  it('agrees with asn1-x509 and with node:crypto on every real and emulated certificate', () => {
    const pki = buildPki(1);
    const all = [...realCertificates(), ...nvidiaChain(), pki.root.der, ...pki.chain.cabundle.slice(1), pki.leaf.der];
    for (const der of all) {
      const ours = parseCertificate(der);
      const theirs = AsnConvert.parse(der, Certificate);
      const tbs = theirs.tbsCertificate;
      expect(ours.subject).toBe(asn1Name(tbs.subject));
      expect(ours.issuer).toBe(asn1Name(tbs.issuer));
      expect(ours.notBeforeMs).toBe(tbs.validity.notBefore.getTime().getTime());
      expect(ours.notAfterMs).toBe(tbs.validity.notAfter.getTime().getTime());
      expect(toHex(ours.spki)).toBe(toHex(new Uint8Array(AsnConvert.serialize(tbs.subjectPublicKeyInfo))));
      expect(toHex(ours.tbs)).toBe(toHex(new Uint8Array(AsnConvert.serialize(tbs))));
      const bc = tbs.extensions?.find((e) => e.extnID === '2.5.29.19');
      const bcValue = bc === undefined ? undefined : AsnConvert.parse(bc.extnValue, BasicConstraints);
      expect(ours.isCa).toBe(bcValue?.cA ?? false);
      expect(ours.pathLength).toBe(bcValue?.pathLenConstraint);
      const ku = tbs.extensions?.find((e) => e.extnID === '2.5.29.15');
      const flags = ku === undefined ? undefined : AsnConvert.parse(ku.extnValue, KeyUsage).toNumber();
      expect(ours.keyUsage?.keyCertSign).toBe(flags === undefined ? undefined : (flags & KeyUsageFlags.keyCertSign) !== 0);
      expect(ours.keyUsage?.digitalSignature).toBe(flags === undefined ? undefined : (flags & KeyUsageFlags.digitalSignature) !== 0);

      const node = new X509Certificate(der);
      expect(ours.serialHex.toUpperCase().replace(/^0+/, '')).toBe(node.serialNumber.replace(/^0+/, ''));
      expect(ours.fingerprintSha256).toBe(node.fingerprint256.replace(/:/g, '').toLowerCase());
      expect(new Date(ours.notAfterMs).toUTCString()).toBe(new Date(node.validTo).toUTCString());
      expect(ours.isCa).toBe(node.ca);
    }
  });

  it('converts ECDSA-Sig-Value to raw r‖s, left-padding short integers', () => {
    const r = '01'.repeat(47);
    const s = `00${'ff'.repeat(48)}`;
    const raw = ecdsaDerToRaw(h(`3064022f${r}0231${s}`));
    expect(toHex(raw)).toBe(`00${r}${'ff'.repeat(48)}`);
    expectCode(() => ecdsaDerToRaw(h(`3065023001${'00'.repeat(47)}0231${s}`).subarray(0, 10)), 'X509_MALFORMED');
    expectCode(() => ecdsaDerToRaw(h(`3067023100${'01'.repeat(48)}0232${'00'}${'7f'.repeat(49)}`)), 'X509_MALFORMED');
    expectCode(() => ecdsaDerToRaw(h(`3006020101020181`)), 'X509_MALFORMED');
    expectCode(() => ecdsaDerToRaw(h(`30070202000102010100`)), 'X509_MALFORMED');
    expectCode(() => ecdsaDerToRaw(h(`3006020101020101ff`)), 'X509_MALFORMED');
  });

  it('reads UTCTime and GeneralizedTime strictly', () => {
    const time = (hex: string): number => parseX509Time(h(hex), new DerReader(h(hex)).next());
    const utc = (text: string): string => `170d${Buffer.from(text).toString('hex')}`;
    const gen = (text: string): string => `180f${Buffer.from(text).toString('hex')}`;
    expect(time(utc('491028142805Z'))).toBe(Date.UTC(2049, 9, 28, 14, 28, 5));
    expect(time(utc('500101000000Z'))).toBe(Date.UTC(1950, 0, 1));
    expect(time(gen('20500101000000Z'))).toBe(Date.UTC(2050, 0, 1));
    expect(time(gen('99991231235959Z'))).toBe(Date.UTC(9999, 11, 31, 23, 59, 59));
    expect(errorCode(() => time(utc('490230000000Z')))).toBe('X509_MALFORMED');
    expect(errorCode(() => time(utc('491328000000Z')))).toBe('X509_MALFORMED');
    expect(errorCode(() => time(utc('4910280000+0000')))).toBe('X509_MALFORMED');
    expect(errorCode(() => time(`170b${Buffer.from('4910280000Z').toString('hex')}`))).toBe('X509_MALFORMED');
    expect(errorCode(() => time(gen('2050010100000aZ')))).toBe('X509_MALFORMED');
  });

  it('rejects truncated, padded and re-framed DER with X509_MALFORMED', () => {
    const der = awsRootDer();
    expectCode(() => parseCertificate(der.subarray(0, der.length - 1)), 'X509_MALFORMED');
    expectCode(() => parseCertificate(new Uint8Array([...der, 0])), 'X509_MALFORMED');
    expectCode(() => parseCertificate(new Uint8Array(0)), 'X509_MALFORMED');
    const indefinite = der.slice();
    indefinite[1] = 0x80;
    expectCode(() => parseCertificate(indefinite), 'X509_MALFORMED');
    // A changed bit in the outer framing, the outer algorithm or the signature's DER is caught by the parser itself
    // (a change inside the TBS is the signature check's job).
    const outer = new DerReader(der, 4);
    outer.next();
    const algorithm = outer.next();
    const bits = outer.next();
    const framing = [0, 1, 2, 3, algorithm.start, algorithm.start + 1, algorithm.end - 1, bits.start, bits.start + 1];
    const signatureDer = [bits.contentStart, bits.contentStart + 1, bits.contentStart + 2, bits.contentStart + 3, bits.contentStart + 4];
    for (const position of [...framing, ...signatureDer]) {
      const changed = der.slice();
      changed[position]! ^= 0x01;
      expect(errorCode(() => parseCertificate(changed))).toMatch(/^X509_/);
    }
  });
});

describe('parseCertificate on hostile input', () => {
  it('throws only typed errors for randomly damaged certificates', () => {
    const samples = [...realCertificates().slice(0, 6), ...nvidiaChain()];
    const random = new Prng(5, 'x509-fuzz');
    const codes = new Set<string>();
    for (let i = 0; i < 1500; i++) {
      const der = samples[i % samples.length]!.slice();
      const changes = 1 + random.below(4);
      for (let c = 0; c < changes; c++) der[random.below(der.length)] = random.below(256);
      const cut = random.chance(1, 8) ? der.subarray(0, random.below(der.length)) : der;
      try {
        parseCertificate(cut);
      } catch (error) {
        codes.add(errorCode(() => { throw error; }));
      }
    }
    expect([...codes].every((code) => code === 'X509_MALFORMED' || code === 'X509_UNSUPPORTED_KEY')).toBe(true);
    expect(codes.has('X509_MALFORMED')).toBe(true);
  });
});

describe('PEM', () => {
  it('round-trips and filters by label', () => {
    const der = awsRootDer();
    const pem = derToPem(der);
    expect(pem.split('\n')[1]!.length).toBe(64);
    const bundle = `junk\n${derToPem(h('0102'), 'PRIVATE KEY')}${pem}\r\n${pem}`;
    const certs = pemToDer(bundle);
    expect(certs.length).toBe(2);
    expect(toHex(certs[1]!)).toBe(toHex(der));
    expect(toHex(pemToDer(bundle, 'PRIVATE KEY')[0]!)).toBe('0102');
  });

  it('rejects malformed PEM', () => {
    const pem = derToPem(awsRootDer());
    expectCode(() => pemToDer('no pem here'), 'PEM_MALFORMED');
    expectCode(() => pemToDer(pem.replace('-----END CERTIFICATE-----', '')), 'PEM_MALFORMED');
    expectCode(() => pemToDer(pem.replace('MII', 'MI*')), 'PEM_MALFORMED');
    expectCode(() => pemToDer(pem.replace('-----END CERTIFICATE-----', '-----END PRIVATE KEY-----')), 'PEM_MALFORMED');
    expectCode(() => pemToDer(`-----BEGIN CERTIFICATE-----\n${pem}`), 'PEM_MALFORMED');
    expectCode(() => pemToDer(pem, 'bad label'), 'PEM_MALFORMED');
  });
});

describe('verifyCertificateChain (real chains)', () => {
  it('verifies the NVIDIA Hopper chain, an independent P-384 PKI', () => {
    const certs = nvidiaChain().map(parseCertificate);
    const at = Date.UTC(2024, 0, 1);
    verifyCertificateChain(certs.slice(0, 4), certs[4]!, at);
    expectCode(() => verifyCertificateChain(certs.slice(0, 4), certs[4]!, Date.UTC(2020, 0, 1)), 'CHAIN_NOT_YET_VALID');
    expectCode(() => verifyCertificateChain([certs[0]!, certs[2]!, certs[1]!, certs[3]!], certs[4]!, at), 'CHAIN_ISSUER_MISMATCH');
  });

  it('verifies a real Nitro chain only within its validity and only to its root', () => {
    const { doc } = parseAttestationDocument(fixture('real-2022-10-production-signed-eif.cbor'));
    const chain = [doc.certificate, ...doc.cabundle.slice(1).reverse()].map(parseCertificate);
    const root = parseCertificate(awsRootDer());
    verifyCertificateChain(chain, root, doc.timestamp);
    verifyCertificateChain([...chain, root], root, doc.timestamp);
    expectCode(() => verifyCertificateChain(chain, root, Date.UTC(2026, 10, 25)), 'CHAIN_EXPIRED');
    expectCode(() => verifyCertificateChain(chain, parseCertificate(buildPki(1).root.der), doc.timestamp), 'CHAIN_UNTRUSTED_ROOT');
  });
});
