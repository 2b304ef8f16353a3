import { describe, expect, it } from 'vitest';
import { decodeCoseSign1, parseP384PrivateKeyPem, sha384, concatBytes, utf8 } from '../../src/crypto/index.ts';
import {
  buildEnclaveImageWithMeasurements,
  decodeSignatureSection,
  encodePcrInfo,
  encodeSignatureSection,
  encodeEifLayout,
  decodeEifLayout,
  parseEif,
  readEif,
  type EifSection,
} from '../../src/enclave/index.ts';
import { appFile, expectCode, fixture, hex, hexOf, pemBodyDer } from './helpers.ts';

// Byte vectors from aws-nitro-enclaves-image-format's src/utils/cbor.rs tests ("bytes as written by
// serde_cbor 0.11"): PcrInfo{0, 0x00..=0x2f} and a one-entry signature section.
const PCR_INFO_VECTOR =
  'a26e72656769737465725f696e646578006e72656769737465725f76616c75659830000102030405060708090a0b0c0d0e0f101112131415161718181819181a181b181c181d181e181f1820182118221823182418251826182718281829182a182b182c182d182e182f';
const SIGNATURE_SECTION_VECTOR =
  '81a2737369676e696e675f6365727469666963617465983b182d182d182d182d182d1842184518471849184e182018431845185218541849184618491843184118541845182d182d182d182d182d0a184d1849184918420a182d182d182d182d182d1845184e1844182018431845185218541849184618491843184118541845182d182d182d182d182d0a697369676e61747572658a18d21884184418a1011838182218a018401840';
const VECTOR_PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const VECTOR_COSE = [0xd2, 0x84, 0x44, 0xa1, 0x01, 0x38, 0x22, 0xa0, 0x40, 0x40];

const signing = { certificatePem: fixture('signer-cert.pem'), privateKeyPem: fixture('signer-key.pem') };
const app = [appFile('main.js', '(async function main(enclave) { return 1; })')];

function replaceSection(image: Uint8Array, type: number, data: Uint8Array): Uint8Array {
  const layout = decodeEifLayout(image);
  const sections: EifSection[] = layout.sections.map((s) => (s.type === type ? { ...s, data } : s));
  return encodeEifLayout({ sections });
}

describe('signature section encoding', () => {
  it('PcrInfo matches the image-format vector byte for byte', () => {
    const value = Uint8Array.from({ length: 48 }, (_, i) => i);
    expect(hexOf(encodePcrInfo(0, value))).toBe(PCR_INFO_VECTOR);
  });

  it('the section matches the image-format vector and decodes back', () => {
    const entry = { certificatePem: utf8(VECTOR_PEM), signature: Uint8Array.from(VECTOR_COSE) };
    expect(hexOf(encodeSignatureSection(entry))).toBe(SIGNATURE_SECTION_VECTOR);
    const decoded = decodeSignatureSection(hex(SIGNATURE_SECTION_VECTOR));
    expect(decoded.certificatePem).toEqual(entry.certificatePem);
    expect([...decoded.signature]).toEqual(VECTOR_COSE);
  });

  it('is strict about its shape', () => {
    const good = hex(SIGNATURE_SECTION_VECTOR);
    expectCode(() => decodeSignatureSection(concatBytes(good, new Uint8Array([0]))), 'EIF_BAD_SIGNATURE_SECTION');
    const twoEntries = good.slice();
    twoEntries[0] = 0x82;
    expectCode(() => decodeSignatureSection(twoEntries), 'EIF_BAD_SIGNATURE_SECTION');
    // a byte string where serde writes an array of integers
    const asBstr = hex('81a2737369676e696e675f636572746966696361746541aa697369676e617475726541bb');
    expectCode(() => decodeSignatureSection(asBstr), 'EIF_BAD_SIGNATURE_SECTION');
    const outOfRange = hex('81a2737369676e696e675f636572746966696361746581190100697369676e61747572658100');
    expectCode(() => decodeSignatureSection(outOfRange), 'EIF_BAD_SIGNATURE_SECTION');
  });
});

describe('signed images', () => {
  const signed = buildEnclaveImageWithMeasurements({ appFiles: app, entry: 'main.js', signing });
  const unsigned = buildEnclaveImageWithMeasurements({ appFiles: app, entry: 'main.js' });

  it('PCR8 = extend(0, SHA384(certificate DER)); PCR0..2 are those of the unsigned image', () => {
    const der = pemBodyDer(signing.certificatePem);
    const pcr8 = sha384(concatBytes(new Uint8Array(48), sha384(der)));
    expect(signed.measurements.pcr8).toEqual(pcr8);
    expect(signed.measurements.pcr0).toEqual(unsigned.measurements.pcr0);
    expect(signed.measurements.pcr2).toEqual(unsigned.measurements.pcr2);
    const eif = parseEif(signed.bytes);
    expect(eif.signatureValid).toBe(true);
    expect(eif.measurements).toEqual(signed.measurements);
    expect(eif.sections.map((s) => s.type)).toEqual([1, 2, 5, 3, 3, 4]);
  });

  it('stores the PEM as given and an ES384 COSE_Sign1 over PcrInfo{0, PCR0}', () => {
    const entry = decodeSignatureSection(readEif(signed.bytes).sections[5]!.data);
    expect(new TextDecoder().decode(entry.certificatePem)).toBe(signing.certificatePem);
    const cose = decodeCoseSign1(entry.signature);
    expect(cose.tagged).toBe(false);
    expect(hexOf(cose.protectedBytes)).toBe('a1013822');
    expect(cose.payload).toEqual(encodePcrInfo(0, signed.measurements.pcr0));
  });

  it('signs the same way with the key in SEC1 form, deterministically', () => {
    const sec1 = buildEnclaveImageWithMeasurements({
      appFiles: app,
      entry: 'main.js',
      signing: { ...signing, privateKeyPem: fixture('signer-key-sec1.pem') },
    });
    expect(sec1.bytes).toEqual(signed.bytes);
    expect(parseP384PrivateKeyPem(fixture('signer-key-sec1.pem')).privateKey).toEqual(
      parseP384PrivateKeyPem(signing.privateKeyPem).privateKey,
    );
  });

  it('a flipped signature byte makes SignatureCheck false and parseEif refuse', () => {
    const entry = decodeSignatureSection(readEif(signed.bytes).sections[5]!.data);
    const signature = entry.signature.slice();
    signature[signature.length - 5]! ^= 0x01;
    const forged = replaceSection(signed.bytes, 4, encodeSignatureSection({ ...entry, signature }));
    const eif = readEif(forged);
    expect(eif.crcOk).toBe(true);
    expect(eif.signatureValid).toBe(false);
    expectCode(() => parseEif(forged), 'EIF_BAD_SIGNATURE');
  });

  it("another image's valid signature does not carry over (it signs another PCR0)", () => {
    const other = buildEnclaveImageWithMeasurements({ appFiles: [appFile('main.js', 'other')], entry: 'main.js', signing });
    const spliced = replaceSection(signed.bytes, 4, readEif(other.bytes).sections[5]!.data);
    const eif = readEif(spliced);
    expect(eif.signatureValid).toBe(false);
    expect(eif.signatureProblem).toMatch(/another PCR0/);
    expectCode(() => parseEif(spliced), 'EIF_BAD_SIGNATURE');
  });

  it('refuses a key that is not the certificate’s, non-P-384 certificates and bad PEM', () => {
    expectCode(
      () => buildEnclaveImageWithMeasurements({ appFiles: app, entry: 'main.js', signing: { ...signing, privateKeyPem: fixture('other-key.pem') } }),
      'EIF_SIGNING_KEY_MISMATCH',
    );
    expectCode(
      () =>
        buildEnclaveImageWithMeasurements({
          appFiles: app,
          entry: 'main.js',
          signing: { certificatePem: fixture('p256-cert.pem'), privateKeyPem: fixture('p256-key.pem') },
        }),
      'EIF_SIGNING_UNSUPPORTED',
    );
    expectCode(() => parseP384PrivateKeyPem(fixture('p256-key.pem')), 'KEY_UNSUPPORTED');
    // a SEC1 key whose embedded public key is another key's
    const sec1 = pemBodyDer(fixture('signer-key-sec1.pem'));
    const own = parseP384PrivateKeyPem(fixture('signer-key-sec1.pem')).publicKey;
    const at = Buffer.from(sec1).indexOf(Buffer.from(own));
    expect(at).toBeGreaterThan(0);
    sec1.set(parseP384PrivateKeyPem(fixture('other-key.pem')).publicKey, at);
    const spliced = `-----BEGIN EC PRIVATE KEY-----\n${Buffer.from(sec1).toString('base64')}\n-----END EC PRIVATE KEY-----\n`;
    expectCode(() => parseP384PrivateKeyPem(spliced), 'KEY_MISMATCH');
    expectCode(() => parseP384PrivateKeyPem('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'), 'KEY_MALFORMED');
    expectCode(() => parseP384PrivateKeyPem('no pem here'), 'PEM_MALFORMED');
  });
});
