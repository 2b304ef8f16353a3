/**
 * The Signature section (EIF v3+) and PCR8, as image-format defines them (`src/defs/mod.rs`,
 * `EifBuilder::generate_eif_signature`, `EifReader::get_certificate_info`):
 *
 *   section   = [ { "signing_certificate": [u8…], "signature": [u8…] } ]      (a Vec<PcrSignature>)
 *   signature = COSE_Sign1 (untagged, alg from the key: ES384 for P-384) over
 *   payload   = { "register_index": 0, "register_value": [u8…] (PCR0) }      (PcrInfo)
 *
 * Both structs hold `Vec<u8>`, which serde writes as a CBOR *array of integers*, not a byte string, and
 * `signing_certificate` holds the PEM file's bytes, not DER. PCR8 = extend(0, SHA384(DER of that PEM)).
 */
import { EmuError } from '../errors.ts';
import {
  decodeCborStrict,
  decodeCoseSign1,
  encodeCbor,
  encodeCoseSign1Es384,
  equalBytes,
  fromUtf8,
  parseCertificate,
  parseP384PrivateKeyPem,
  pemToDer,
  utf8,
  verifyCoseSign1Es384,
  type ParsedCertificate,
} from '../crypto/index.ts';

export interface EifSigningInput {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

export interface EifSignatureEntry {
  /** The bytes of the PEM file as it was given to the builder. */
  readonly certificatePem: Uint8Array;
  /** COSE_Sign1 bytes. */
  readonly signature: Uint8Array;
}

const SIGNATURE_SECTION_BYTES_MAX = 64 * 1024;

export function encodePcrInfo(registerIndex: number, registerValue: Uint8Array): Uint8Array {
  return encodeCbor(
    new Map<string, unknown>([
      ['register_index', registerIndex],
      ['register_value', Array.from(registerValue)],
    ]),
  );
}

export function encodeSignatureSection(entry: EifSignatureEntry): Uint8Array {
  return encodeCbor([
    new Map<string, unknown>([
      ['signing_certificate', Array.from(entry.certificatePem)],
      ['signature', Array.from(entry.signature)],
    ]),
  ]);
}

function bad(message: string): never {
  throw new EmuError('EIF_BAD_SIGNATURE_SECTION', message);
}

function byteArray(value: unknown, what: string): Uint8Array {
  if (!Array.isArray(value)) bad(`${what} must be an array of byte values`);
  const out = new Uint8Array(value.length);
  value.forEach((item: unknown, i) => {
    if (typeof item !== 'number' || !Number.isInteger(item) || item < 0 || item > 255) bad(`${what}[${i}] is not a byte`);
    out[i] = item;
  });
  return out;
}

/** Strict: exactly one entry (nitro-cli writes one, for PCR0), exactly the two fields. */
export function decodeSignatureSection(bytes: Uint8Array): EifSignatureEntry {
  if (bytes.length > SIGNATURE_SECTION_BYTES_MAX) bad(`signature section over ${SIGNATURE_SECTION_BYTES_MAX} bytes`);
  let value: unknown;
  try {
    value = decodeCborStrict(bytes, 'EIF signature section', { maxBytes: SIGNATURE_SECTION_BYTES_MAX, maxDepth: 4 });
  } catch (error) {
    bad(`not valid CBOR: ${(error as Error).message}`);
  }
  if (!Array.isArray(value) || value.length !== 1) bad('the signature section must be an array of exactly one PcrSignature');
  const entry: unknown = value[0];
  if (!(entry instanceof Map) || entry.size !== 2) bad('a PcrSignature is a map of signing_certificate and signature');
  if (!entry.has('signing_certificate') || !entry.has('signature')) bad('a PcrSignature is a map of signing_certificate and signature');
  return {
    certificatePem: byteArray(entry.get('signing_certificate'), 'signing_certificate'),
    signature: byteArray(entry.get('signature'), 'signature'),
  };
}

/** The DER of the first certificate in the stored PEM (what openssl's `X509::from_pem` reads). */
export function signingCertificateDer(certificatePem: Uint8Array | string): Uint8Array {
  let text: string;
  try {
    text = typeof certificatePem === 'string' ? certificatePem : fromUtf8(certificatePem);
  } catch {
    throw new EmuError('EIF_BAD_SIGNING_CERTIFICATE', 'the signing certificate is not PEM text');
  }
  const ders = pemToDer(text, 'CERTIFICATE');
  const first = ders[0];
  if (first === undefined) throw new EmuError('EIF_BAD_SIGNING_CERTIFICATE', 'no CERTIFICATE block in the signing certificate PEM');
  return first;
}

function p384Certificate(der: Uint8Array): ParsedCertificate & { readonly p384PublicKey: Uint8Array } {
  const cert = parseCertificate(der);
  if (cert.p384PublicKey === undefined) {
    throw new EmuError('EIF_SIGNING_UNSUPPORTED', 'only P-384 signing certificates (ES384) are supported');
  }
  return cert as ParsedCertificate & { readonly p384PublicKey: Uint8Array };
}

/** Signs PCR0 the way `nitro-cli build-enclave --signing-certificate --private-key` does. */
export function signPcr0(pcr0: Uint8Array, signing: EifSigningInput): { readonly section: Uint8Array; readonly certificateDer: Uint8Array } {
  const certificateDer = signingCertificateDer(signing.certificatePem);
  const cert = p384Certificate(certificateDer);
  const key = parseP384PrivateKeyPem(signing.privateKeyPem);
  try {
    if (!equalBytes(key.publicKey, cert.p384PublicKey)) {
      throw new EmuError('EIF_SIGNING_KEY_MISMATCH', 'the private key does not belong to the signing certificate');
    }
    const signature = encodeCoseSign1Es384(encodePcrInfo(0, pcr0), key.privateKey);
    return { section: encodeSignatureSection({ certificatePem: utf8(signing.certificatePem), signature }), certificateDer };
  } finally {
    key.privateKey.fill(0);
  }
}

export interface SignatureCheck {
  readonly certificateDer: Uint8Array;
  /** The COSE signature verifies under the certificate's key and its payload is PcrInfo{0, PCR0}. */
  readonly valid: boolean;
  readonly reason: string | undefined;
}

/**
 * describe-eif's `SignatureCheck`. A bad signature or a payload for another PCR0 is `valid: false`;
 * a section that cannot be read at all is an error.
 */
export function checkSignatureSection(entry: EifSignatureEntry, pcr0: Uint8Array): SignatureCheck {
  const certificateDer = signingCertificateDer(entry.certificatePem);
  const cert = p384Certificate(certificateDer);
  let cose;
  try {
    cose = decodeCoseSign1(entry.signature);
  } catch (error) {
    if (error instanceof EmuError && error.code === 'COSE_UNSUPPORTED_ALG') {
      throw new EmuError('EIF_SIGNING_UNSUPPORTED', `the image signature uses an algorithm other than ES384: ${error.message}`);
    }
    throw new EmuError('EIF_BAD_SIGNATURE_SECTION', `the signature is not a COSE_Sign1: ${(error as Error).message}`);
  }
  if (!verifyCoseSign1Es384(cose, cert.p384PublicKey)) {
    return { certificateDer, valid: false, reason: 'the COSE signature does not verify under the signing certificate' };
  }
  if (!equalBytes(cose.payload, encodePcrInfo(0, pcr0))) {
    return { certificateDer, valid: false, reason: 'the signature is over another PCR0' };
  }
  return { certificateDer, valid: true, reason: undefined };
}
