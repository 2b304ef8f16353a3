import { createHash } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  CRLDistributionPoints,
  DistributionPoint,
  DistributionPointName,
  Extension,
  Extensions,
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { assert } from '../errors.ts';
import { type RandomSource, concatBytes } from './bytes.ts';
import { DER, DerReader, whole } from './der.ts';
import { p384KeyPair, p384Sign, p384Spki } from './ecdsa.ts';
import type { IssuedCertificate } from './pki.ts';
import { NAME_OIDS } from './x509-name.ts';
import {
  OID_AUTHORITY_KEY_IDENTIFIER,
  OID_BASIC_CONSTRAINTS,
  OID_CRL_DISTRIBUTION_POINTS,
  OID_ECDSA_WITH_SHA384,
  OID_KEY_USAGE,
  OID_SUBJECT_KEY_IDENTIFIER,
} from './x509-parse.ts';

/** One attribute of a Name, in certificate order. `C` is a PrintableString (RFC 5280), the rest UTF8String, as AWS does. */
export type NameAttribute = readonly [shortName: 'C' | 'ST' | 'L' | 'O' | 'OU' | 'CN', value: string];

/** A serial that is positive and exactly `length` bytes long (top bit clear, first byte non-zero). */
export function randomSerial(random: RandomSource, length: number): Uint8Array {
  const serial = random.bytes(length);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  return serial;
}

export function buildName(attributes: readonly NameAttribute[]): Name {
  return new Name(
    attributes.map(([shortName, value]) => {
      const type = NAME_OIDS[shortName];
      assert(type !== undefined, `unknown attribute ${shortName}`);
      const attributeValue =
        shortName === 'C' ? new AttributeValue({ printableString: value }) : new AttributeValue({ utf8String: value });
      return new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value: attributeValue })]);
    }),
  );
}

/** The subject Name of an existing certificate, byte for byte, to use as a child's issuer. */
export function subjectNameOf(certificateDer: Uint8Array): Name {
  const outer = new DerReader(certificateDer);
  const certificate = outer.expect(DER.SEQUENCE, 'Certificate');
  const tbs = new DerReader(certificateDer, certificate.contentStart, certificate.end).expect(DER.SEQUENCE, 'tbs');
  const fields = new DerReader(certificateDer, tbs.contentStart, tbs.end);
  fields.optional(0xa0);
  fields.expect(DER.INTEGER, 'serialNumber');
  fields.expect(DER.SEQUENCE, 'signature');
  fields.expect(DER.SEQUENCE, 'issuer');
  fields.expect(DER.SEQUENCE, 'validity');
  const subject = fields.expect(DER.SEQUENCE, 'subject');
  return AsnConvert.parse(whole(certificateDer, subject), Name);
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits (what AWS's Nitro CAs use). */
export function keyIdentifier(publicKey: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(publicKey).digest());
}

function extension(extnID: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

export const ext = {
  basicConstraints(cA: boolean, pathLenConstraint?: number): Extension {
    const value = new BasicConstraints({ cA });
    if (pathLenConstraint !== undefined) value.pathLenConstraint = pathLenConstraint;
    return extension(OID_BASIC_CONSTRAINTS, true, value);
  },
  keyUsage(critical: boolean, usages: readonly (keyof typeof KeyUsageFlags)[]): Extension {
    let flags = 0;
    for (const usage of usages) flags |= KeyUsageFlags[usage];
    return extension(OID_KEY_USAGE, critical, new KeyUsage(flags));
  },
  subjectKeyIdentifier(publicKey: Uint8Array): Extension {
    return extension(OID_SUBJECT_KEY_IDENTIFIER, false, new SubjectKeyIdentifier(keyIdentifier(publicKey)));
  },
  authorityKeyIdentifier(issuerPublicKey: Uint8Array): Extension {
    const value = new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyIdentifier(issuerPublicKey)) });
    return extension(OID_AUTHORITY_KEY_IDENTIFIER, false, value);
  },
  crlDistributionPoint(uri: string): Extension {
    const point = new DistributionPoint({
      distributionPoint: new DistributionPointName({ fullName: [new GeneralName({ uniformResourceIdentifier: uri })] }),
    });
    return extension(OID_CRL_DISTRIBUTION_POINTS, false, new CRLDistributionPoints([point]));
  },
};

/** DER INTEGER content for a serial: shortest form, positive (a 0x00 is prepended when the top bit is set). */
export function serialContent(serial: Uint8Array): Uint8Array {
  assert(serial.length > 0 && serial.length <= 20, 'a serial number is 1..20 bytes');
  let start = 0;
  while (start < serial.length - 1 && serial[start] === 0) start++;
  const trimmed = serial.subarray(start);
  assert(!(trimmed.length === 1 && trimmed[0] === 0), 'a serial number must not be zero');
  return trimmed[0]! & 0x80 ? concatBytes(Uint8Array.of(0), trimmed) : trimmed.slice();
}

function derLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return Uint8Array.from([0x80 | bytes.length, ...bytes]);
}

export function derTlv(tag: number, value: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(tag), derLength(value.length), value);
}

function derUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  return derTlv(DER.INTEGER, trimmed[0]! & 0x80 ? concatBytes(Uint8Array.of(0), trimmed) : trimmed);
}

/** Raw r‖s (96 bytes) → DER ECDSA-Sig-Value. */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  assert(raw.length === 96, 'a P-384 signature is 96 bytes');
  return derTlv(DER.SEQUENCE, concatBytes(derUnsignedInteger(raw.subarray(0, 48)), derUnsignedInteger(raw.subarray(48))));
}

export interface CertificateTemplate {
  readonly serial: Uint8Array;
  readonly issuer: Name;
  readonly subject: Name;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  /** Uncompressed P-384 point of the subject. */
  readonly publicKey: Uint8Array;
  readonly extensions: readonly Extension[];
  /** Issuer's P-384 scalar; the certificate is signed ecdsa-with-SHA384 over its DER TBS. */
  readonly signingKey: Uint8Array;
}

const ALGORITHM_ECDSA_WITH_SHA384 = Uint8Array.from([
  0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03,
]);

export function buildCertificate(template: CertificateTemplate): Uint8Array {
  assert(Number.isSafeInteger(template.notBeforeMs) && template.notBeforeMs % 1000 === 0, 'notBefore must be whole seconds');
  assert(Number.isSafeInteger(template.notAfterMs) && template.notAfterMs % 1000 === 0, 'notAfter must be whole seconds');
  assert(template.notBeforeMs <= template.notAfterMs, 'validity ends before it starts');
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialContent(template.serial).buffer as ArrayBuffer,
    signature: new AlgorithmIdentifier({ algorithm: OID_ECDSA_WITH_SHA384 }),
    issuer: template.issuer,
    // asn1-x509's Time picks UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5280 §4.1.2.5).
    validity: new Validity({ notBefore: new Date(template.notBeforeMs), notAfter: new Date(template.notAfterMs) }),
    subject: template.subject,
    subjectPublicKeyInfo: AsnConvert.parse(p384Spki(template.publicKey), SubjectPublicKeyInfo),
  });
  if (template.extensions.length > 0) tbs.extensions = new Extensions([...template.extensions]);
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = ecdsaRawToDer(p384Sign(tbsDer, template.signingKey));
  const signatureBits = derTlv(DER.BIT_STRING, concatBytes(Uint8Array.of(0), signature));
  return derTlv(DER.SEQUENCE, concatBytes(tbsDer, ALGORITHM_ECDSA_WITH_SHA384, signatureBits));
}

/**
 * A self-signed P-384 CA (the emulated Nitro root, the emulated web-PKI root): key pair first, then the
 * serial, from `random`, so the same stream state always gives the same bytes.
 */
export function issueSelfSignedCa(
  random: RandomSource,
  options: {
    readonly subject: readonly NameAttribute[];
    readonly notBeforeMs: number;
    readonly notAfterMs: number;
    readonly pathLength?: number;
    readonly keyUsages: readonly (keyof typeof KeyUsageFlags)[];
  },
): IssuedCertificate {
  const keyPair = p384KeyPair(random);
  const name = buildName(options.subject);
  const der = buildCertificate({
    serial: randomSerial(random, 16),
    issuer: name,
    subject: name,
    notBeforeMs: options.notBeforeMs,
    notAfterMs: options.notAfterMs,
    publicKey: keyPair.publicKey,
    extensions: [
      ext.basicConstraints(true, options.pathLength),
      ext.subjectKeyIdentifier(keyPair.publicKey),
      ext.keyUsage(true, options.keyUsages),
    ],
    signingKey: keyPair.privateKey,
  });
  return { der, keyPair };
}
