import { AsnParser, AsnProp, AsnSerializer, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { EmuError } from '../errors.ts';

// The two algorithm identifiers a CiphertextForRecipient may carry, built and checked exactly.

export const OID_ENVELOPED_DATA = '1.2.840.113549.1.7.3';
export const OID_DATA = '1.2.840.113549.1.7.1';
export const OID_RSAES_OAEP = '1.2.840.113549.1.1.7';
export const OID_MGF1 = '1.2.840.113549.1.1.8';
export const OID_P_SPECIFIED = '1.2.840.113549.1.1.9';
export const OID_SHA256 = '2.16.840.1.101.3.4.2.1';
export const OID_AES256_CBC = '2.16.840.1.101.3.4.1.42';

export const AES_CBC_IV_BYTES = 16;

/**
 * RSAES-OAEP-params (RFC 8017 A.2.1 / RFC 4055 §3.1), an EXPLICIT TAGS module:
 * SEQUENCE { hashAlgorithm [0] DEFAULT sha1, maskGenAlgorithm [1] DEFAULT mgf1SHA1, pSourceAlgorithm [2] DEFAULT
 * pSpecifiedEmpty }.
 */
export class RsaesOaepParamsAsn {
  hashAlgorithm: AlgorithmIdentifier | undefined;
  maskGenAlgorithm: AlgorithmIdentifier | undefined;
  pSourceAlgorithm: AlgorithmIdentifier | undefined;
}
// Applied by hand: the schema library's decorators, without decorator syntax (not enabled in this build).
AsnProp({ type: AlgorithmIdentifier, context: 0, optional: true })(RsaesOaepParamsAsn.prototype, 'hashAlgorithm');
AsnProp({ type: AlgorithmIdentifier, context: 1, optional: true })(RsaesOaepParamsAsn.prototype, 'maskGenAlgorithm');
AsnProp({ type: AlgorithmIdentifier, context: 2, optional: true })(RsaesOaepParamsAsn.prototype, 'pSourceAlgorithm');

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/**
 * id-RSAES-OAEP with SHA-256 and MGF1-SHA-256, empty label. RFC 4055 §2.1 says the SHA-2 identifiers inside
 * OAEP parameters carry an explicit NULL (sha256Identifier ::= { id-sha256, NULL }) and that the default
 * pSourceAlgorithm is omitted; OpenSSL and the AWS SDK read this form.
 */
export function rsaesOaepSha256Identifier(): AlgorithmIdentifier {
  const sha256 = (): AlgorithmIdentifier => new AlgorithmIdentifier({ algorithm: OID_SHA256, parameters: null });
  const params = new RsaesOaepParamsAsn();
  params.hashAlgorithm = sha256();
  params.maskGenAlgorithm = new AlgorithmIdentifier({
    algorithm: OID_MGF1,
    parameters: AsnSerializer.serialize(sha256()),
  });
  return new AlgorithmIdentifier({ algorithm: OID_RSAES_OAEP, parameters: AsnSerializer.serialize(params) });
}

export function aes256CbcIdentifier(iv: Uint8Array): AlgorithmIdentifier {
  return new AlgorithmIdentifier({
    algorithm: OID_AES256_CBC,
    parameters: AsnSerializer.serialize(new OctetString(toArrayBuffer(iv))),
  });
}

function unsupported(message: string, details?: Record<string, unknown>): EmuError {
  return new EmuError('CMS_UNSUPPORTED', message, details);
}

/** RFC 4055 §2.1: implementations must accept both a NULL and an absent parameter for SHA-2 identifiers. */
function isSha256(id: AlgorithmIdentifier | undefined): boolean {
  return id !== undefined && id.algorithm === OID_SHA256 && (id.parameters === null || id.parameters === undefined);
}

/** Accepts only RSAES-OAEP with SHA-256, MGF1-SHA-256 and an empty label, in any of its valid encodings. */
export function checkRsaesOaepSha256(id: AlgorithmIdentifier): void {
  if (id.algorithm !== OID_RSAES_OAEP) {
    throw unsupported('key encryption must be RSAES-OAEP', { algorithm: id.algorithm });
  }
  if (!(id.parameters instanceof ArrayBuffer)) throw unsupported('RSAES-OAEP without parameters means SHA-1');
  let params: RsaesOaepParamsAsn;
  let mgfHash: AlgorithmIdentifier | undefined;
  try {
    params = AsnParser.parse(id.parameters, RsaesOaepParamsAsn);
    const mgfParams = params.maskGenAlgorithm?.parameters;
    if (mgfParams instanceof ArrayBuffer) mgfHash = AsnParser.parse(mgfParams, AlgorithmIdentifier);
  } catch (error) {
    throw new EmuError('CMS_MALFORMED', 'RSAES-OAEP parameters do not parse', { cause: String(error) });
  }
  if (!isSha256(params.hashAlgorithm)) throw unsupported('RSAES-OAEP hash must be SHA-256');
  if (params.maskGenAlgorithm?.algorithm !== OID_MGF1 || !isSha256(mgfHash)) {
    throw unsupported('RSAES-OAEP mask generation must be MGF1 with SHA-256');
  }
  const pSource = params.pSourceAlgorithm;
  if (pSource !== undefined) {
    const emptyLabel =
      pSource.algorithm === OID_P_SPECIFIED &&
      pSource.parameters instanceof ArrayBuffer &&
      new Uint8Array(pSource.parameters).length === 2 &&
      new Uint8Array(pSource.parameters)[0] === 0x04 &&
      new Uint8Array(pSource.parameters)[1] === 0x00;
    if (!emptyLabel) throw unsupported('RSAES-OAEP label must be empty');
  }
}

/** Accepts only aes256-CBC whose parameter is a 16-byte OCTET STRING IV; returns the IV. */
export function checkAes256Cbc(id: AlgorithmIdentifier): Uint8Array {
  if (id.algorithm !== OID_AES256_CBC) {
    throw unsupported('content encryption must be AES-256-CBC', { algorithm: id.algorithm });
  }
  const params = id.parameters instanceof ArrayBuffer ? new Uint8Array(id.parameters) : undefined;
  // Primitive OCTET STRING, short length 16: exactly 18 bytes, no other encoding of an IV is sensible.
  if (params === undefined || params.length !== 2 + AES_CBC_IV_BYTES || params[0] !== 0x04 || params[1] !== 0x10) {
    throw new EmuError('CMS_MALFORMED', 'AES-256-CBC parameter must be a 16-byte OCTET STRING IV');
  }
  return params.slice(2);
}
