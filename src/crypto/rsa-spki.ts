import {
  AsnIntegerArrayBufferConverter,
  AsnParser,
  AsnProp,
  AsnPropTypes,
  AsnSerializer,
} from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { EmuError } from '../errors.ts';
import { bigIntToMinimalBytes, bitLength, bytesToBigInt } from './bigint.ts';
import { equalBytes } from './bytes.ts';

export const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
export const RSA_PUBLIC_EXPONENT = 65537n;
/** KMS wants RSA-2048 (research/nitro-attestation-kms.md §2.1); smaller moduli are refused outright. */
export const RSA_MODULUS_BITS_MIN = 2048;
/** Bounds the arithmetic done on untrusted keys. */
export const RSA_MODULUS_BITS_MAX = 8192;

/** RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 A.1.1). */
export class RsaPublicKeyAsn {
  modulus: ArrayBuffer = new ArrayBuffer(0);
  publicExponent: ArrayBuffer = new ArrayBuffer(0);
}
// Applied by hand: the schema library's decorators, without decorator syntax (not enabled in this build).
AsnProp({ type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter })(RsaPublicKeyAsn.prototype, 'modulus');
AsnProp({ type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter })(
  RsaPublicKeyAsn.prototype,
  'publicExponent',
);

/** Two's-complement INTEGER content bytes for a non-negative value (leading 0x00 when the top bit is set). */
function positiveIntegerContent(value: bigint): ArrayBuffer {
  const minimal = bigIntToMinimalBytes(value);
  const out = minimal[0]! >= 0x80 ? new Uint8Array([0, ...minimal]) : minimal;
  return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer;
}

/** DER SubjectPublicKeyInfo for an RSA public key (rsaEncryption, NULL parameters as RFC 3279 requires). */
export function encodeRsaSpki(modulus: bigint, publicExponent: bigint): Uint8Array {
  const rsaKey = new RsaPublicKeyAsn();
  rsaKey.modulus = positiveIntegerContent(modulus);
  rsaKey.publicExponent = positiveIntegerContent(publicExponent);
  const spki = new SubjectPublicKeyInfo({
    algorithm: new AlgorithmIdentifier({ algorithm: OID_RSA_ENCRYPTION, parameters: null }),
    subjectPublicKey: AsnSerializer.serialize(rsaKey),
  });
  return new Uint8Array(AsnSerializer.serialize(spki));
}

export interface RsaPublicKey {
  readonly modulus: bigint;
  readonly publicExponent: bigint;
  readonly modulusBits: number;
  /** Modulus length in bytes: the size of every ciphertext. */
  readonly k: number;
}

function bad(message: string, details?: Record<string, unknown>): EmuError {
  return new EmuError('RSA_BAD_PUBLIC_KEY', message, details);
}

/** A DER INTEGER's content must be minimal and, for these fields, positive. */
function positiveInteger(content: Uint8Array, field: string): bigint {
  if (content.length === 0) throw bad(`${field} is empty`);
  if (content[0]! >= 0x80) throw bad(`${field} is negative`);
  if (content.length > 1 && content[0] === 0 && content[1]! < 0x80) throw bad(`${field} is not minimally encoded`);
  return bytesToBigInt(content);
}

/**
 * Strict DER parse of an RSA SubjectPublicKeyInfo. Accepts only rsaEncryption with NULL parameters, e = 65537
 * and 2048..8192-bit odd moduli; anything else (other key types, BER, trailing bytes) is RSA_BAD_PUBLIC_KEY.
 */
export function parseRsaSpki(spki: Uint8Array): RsaPublicKey {
  if (spki.length > 4096) throw bad(`SPKI of ${spki.length} bytes is too large`);
  let info: SubjectPublicKeyInfo;
  let rsaKey: RsaPublicKeyAsn;
  try {
    info = AsnParser.parse(spki, SubjectPublicKeyInfo);
    if (info.algorithm.algorithm !== OID_RSA_ENCRYPTION) {
      throw bad('not an RSA key', { algorithm: info.algorithm.algorithm });
    }
    if (info.algorithm.parameters !== null) throw bad('rsaEncryption parameters must be NULL');
    rsaKey = AsnParser.parse(info.subjectPublicKey, RsaPublicKeyAsn);
  } catch (error) {
    if (error instanceof EmuError) throw error;
    throw bad('SubjectPublicKeyInfo does not parse', { cause: String(error) });
  }
  // Re-encoding must give back the input byte for byte: this rejects BER forms, trailing bytes and
  // non-zero unused bits, so one key has exactly one accepted encoding.
  const canonical = new Uint8Array(
    AsnSerializer.serialize(
      new SubjectPublicKeyInfo({
        algorithm: new AlgorithmIdentifier({ algorithm: OID_RSA_ENCRYPTION, parameters: null }),
        subjectPublicKey: AsnSerializer.serialize(rsaKey),
      }),
    ),
  );
  if (!equalBytes(canonical, spki)) throw bad('SubjectPublicKeyInfo is not canonical DER');
  const modulus = positiveInteger(new Uint8Array(rsaKey.modulus), 'modulus');
  const publicExponent = positiveInteger(new Uint8Array(rsaKey.publicExponent), 'publicExponent');
  if (publicExponent !== RSA_PUBLIC_EXPONENT) {
    throw bad('public exponent must be 65537', { publicExponent: publicExponent.toString() });
  }
  const modulusBits = bitLength(modulus);
  if (modulusBits < RSA_MODULUS_BITS_MIN || modulusBits > RSA_MODULUS_BITS_MAX) {
    throw bad(`modulus of ${modulusBits} bits is outside ${RSA_MODULUS_BITS_MIN}..${RSA_MODULUS_BITS_MAX}`, {
      modulusBits,
    });
  }
  if ((modulus & 1n) === 0n) throw bad('modulus is even');
  return { modulus, publicExponent, modulusBits, k: Math.ceil(modulusBits / 8) };
}
