import { EmuError } from '../errors.ts';
import { equalBytes, toHex } from './bytes.ts';
import { DER, DerReader, type Tlv, bitStringBytes, content, decodeOid, derFail, inside, whole } from './der.ts';
import { P384_POINT_LENGTH, p384Verify } from './ecdsa.ts';
import { sha256Hex } from './hash.ts';
import { parseExtensions } from './x509-extensions.ts';
import { nameToString } from './x509-name.ts';
import { OID_EC_PUBLIC_KEY, OID_ECDSA_WITH_SHA384, OID_SECP384R1, ecdsaDerToRaw, parseX509Time } from './x509-values.ts';

export {
  OID_AUTHORITY_KEY_IDENTIFIER,
  OID_BASIC_CONSTRAINTS,
  OID_CRL_DISTRIBUTION_POINTS,
  OID_EC_PUBLIC_KEY,
  OID_ECDSA_WITH_SHA384,
  OID_KEY_USAGE,
  OID_SECP384R1,
  OID_SUBJECT_KEY_IDENTIFIER,
  ecdsaDerToRaw,
  parseX509Time,
} from './x509-values.ts';

export interface KeyUsageBits {
  readonly digitalSignature: boolean;
  readonly nonRepudiation: boolean;
  readonly keyCertSign: boolean;
  readonly cRLSign: boolean;
}

export interface ParsedCertificate {
  readonly der: Uint8Array;
  /** SHA-256 of the DER, lowercase hex (the fingerprint people compare). */
  readonly fingerprintSha256: string;
  readonly subject: string;
  readonly issuer: string;
  readonly serialHex: string;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  readonly isCa: boolean;
  readonly pathLength: number | undefined;
  readonly keyUsage: KeyUsageBits | undefined;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  /** Uncompressed SEC1 point when the key is EC P-384, else undefined. */
  readonly p384PublicKey: Uint8Array | undefined;
  readonly signatureAlgorithmOid: string;
  readonly tbs: Uint8Array;
  /** Signature converted to raw r‖s for ECDSA. */
  readonly signature: Uint8Array;
  readonly selfSigned: boolean;
}

/** What chain validation needs beyond the public fields: exact name bytes and extensions nobody here understands. */
export interface CertificateDetails {
  readonly issuerDer: Uint8Array;
  readonly subjectDer: Uint8Array;
  readonly unknownCriticalExtensions: readonly string[];
  readonly subjectKeyIdentifier: Uint8Array | undefined;
}

/** Above any real certificate (ours ~640 B, AWS's ≤ 1 KiB inside a document); bounds work on hostile input. */
export const CERTIFICATE_BYTES_MAX = 16 * 1024;

const details = new WeakMap<ParsedCertificate, CertificateDetails>();

function malformed(message: string): never {
  throw new EmuError('X509_MALFORMED', `certificate: ${message}`);
}

function algorithmOid(bytes: Uint8Array, tlv: Tlv): { oid: string; parameters: Tlv | undefined } {
  const reader = inside(bytes, tlv);
  const oid = decodeOid(content(bytes, reader.expect(DER.OID, 'algorithm')));
  const parameters = reader.atEnd ? undefined : reader.next();
  reader.done('AlgorithmIdentifier');
  return { oid, parameters };
}

function parseSpki(bytes: Uint8Array, tlv: Tlv): Uint8Array | undefined {
  const reader = inside(bytes, tlv);
  const algorithm = algorithmOid(bytes, reader.expect(DER.SEQUENCE, 'SubjectPublicKeyInfo.algorithm'));
  const keyBits = reader.expect(DER.BIT_STRING, 'subjectPublicKey');
  reader.done('SubjectPublicKeyInfo');
  if (algorithm.oid !== OID_EC_PUBLIC_KEY) return undefined;
  const params = algorithm.parameters;
  if (params === undefined || params.tag !== DER.OID) return undefined;
  if (decodeOid(content(bytes, params)) !== OID_SECP384R1) return undefined;
  const point = bitStringBytes(bytes, keyBits);
  if (point.length !== P384_POINT_LENGTH || point[0] !== 0x04) {
    throw new EmuError('X509_UNSUPPORTED_KEY', 'certificate: a P-384 key must be a 97-byte uncompressed point');
  }
  return point.slice();
}

function parseStructure(der: Uint8Array): { cert: ParsedCertificate; details: CertificateDetails } {
  const outer = new DerReader(der);
  const certificate = outer.expect(DER.SEQUENCE, 'Certificate');
  outer.done('Certificate');
  const parts = inside(der, certificate);
  const tbsTlv = parts.expect(DER.SEQUENCE, 'tbsCertificate');
  const outerAlgorithm = parts.expect(DER.SEQUENCE, 'signatureAlgorithm');
  const signatureBits = bitStringBytes(der, parts.expect(DER.BIT_STRING, 'signatureValue'));
  parts.done('Certificate');

  const tbs = inside(der, tbsTlv);
  const versionTlv = tbs.optional(0xa0);
  let version = 0;
  if (versionTlv !== undefined) {
    const versionReader = inside(der, versionTlv);
    const value = content(der, versionReader.expect(DER.INTEGER, 'version'));
    versionReader.done('version');
    if (value.length !== 1 || value[0]! > 2 || value[0] === 0) malformed('bad version (v1 must be omitted; at most v3)');
    version = value[0]!;
  }
  const serialTlv = tbs.expect(DER.INTEGER, 'serialNumber');
  const innerAlgorithm = tbs.expect(DER.SEQUENCE, 'signature');
  const issuerTlv = tbs.expect(DER.SEQUENCE, 'issuer');
  const validity = inside(der, tbs.expect(DER.SEQUENCE, 'validity'));
  const notBeforeMs = parseX509Time(der, validity.next());
  const notAfterMs = parseX509Time(der, validity.next());
  validity.done('validity');
  const subjectTlv = tbs.expect(DER.SEQUENCE, 'subject');
  const spkiTlv = tbs.expect(DER.SEQUENCE, 'subjectPublicKeyInfo');
  tbs.optional(0x81);
  tbs.optional(0x82);
  const extensionsTlv = tbs.optional(0xa3);
  tbs.done('tbsCertificate');
  if (extensionsTlv !== undefined && version !== 2) malformed('extensions require a v3 certificate');

  if (!equalBytes(whole(der, innerAlgorithm), whole(der, outerAlgorithm))) {
    malformed('signature algorithm inside and outside the TBS differ');
  }
  const algorithm = algorithmOid(der, outerAlgorithm);
  let signature: Uint8Array;
  if (algorithm.oid === OID_ECDSA_WITH_SHA384) {
    if (algorithm.parameters !== undefined) malformed('ecdsa-with-SHA384 takes no parameters');
    signature = ecdsaDerToRaw(signatureBits);
  } else {
    signature = signatureBits.slice();
  }
  const serial = content(der, serialTlv);
  if (serial.length === 0 || serial.length > 21) malformed('serial number length out of range');
  const extensions = extensionsTlv === undefined ? undefined : parseExtensions(der, extensionsTlv);
  const p384PublicKey = parseSpki(der, spkiTlv);
  const issuerDer = whole(der, issuerTlv).slice();
  const subjectDer = whole(der, subjectTlv).slice();
  const tbsBytes = whole(der, tbsTlv).slice();
  const selfIssued = equalBytes(issuerDer, subjectDer);
  const cert: ParsedCertificate = {
    der,
    fingerprintSha256: sha256Hex(der),
    subject: nameToString(der, subjectTlv),
    issuer: nameToString(der, issuerTlv),
    serialHex: toHex(serial.length > 1 && serial[0] === 0 ? serial.subarray(1) : serial),
    notBeforeMs,
    notAfterMs,
    isCa: extensions?.isCa ?? false,
    pathLength: extensions?.pathLength,
    keyUsage: extensions?.keyUsage,
    spki: whole(der, spkiTlv).slice(),
    p384PublicKey,
    signatureAlgorithmOid: algorithm.oid,
    tbs: tbsBytes,
    signature,
    // Only a self-issued certificate can be self-signed, so the extra verify is paid for roots alone.
    selfSigned:
      selfIssued &&
      algorithm.oid === OID_ECDSA_WITH_SHA384 &&
      p384PublicKey !== undefined &&
      p384Verify(signature, tbsBytes, p384PublicKey),
  };
  return {
    cert,
    details: {
      issuerDer,
      subjectDer,
      unknownCriticalExtensions: extensions?.unknownCritical ?? [],
      subjectKeyIdentifier: extensions?.subjectKeyIdentifier,
    },
  };
}

/** Errors: X509_MALFORMED, X509_UNSUPPORTED_KEY. */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  if (!(der instanceof Uint8Array) || der.length === 0) malformed('expected DER bytes');
  if (der.length > CERTIFICATE_BYTES_MAX) malformed(`${der.length} bytes is over the ${CERTIFICATE_BYTES_MAX}-byte limit`);
  // A real copy (Buffer#slice would alias the caller's memory), so later changes to their bytes cannot reach us.
  const copy = new Uint8Array(der);
  let parsed: { cert: ParsedCertificate; details: CertificateDetails };
  try {
    parsed = parseStructure(copy);
  } catch (error) {
    if (error instanceof EmuError) throw error;
    return derFail('X509_MALFORMED', `certificate: ${error instanceof Error ? error.message : String(error)}`);
  }
  details.set(parsed.cert, parsed.details);
  return parsed.cert;
}

/** Name bytes and extension facts of a certificate made by parseCertificate (re-parsed if it came from elsewhere). */
export function certificateDetails(cert: ParsedCertificate): CertificateDetails {
  const known = details.get(cert);
  if (known !== undefined) return known;
  const fresh = parseCertificate(cert.der);
  return details.get(fresh)!;
}
