import { concatBytes, generateRsaKeyPair, p384KeyPair, type RandomSource } from '../crypto/index.ts';
import { assert } from '../errors.ts';

export type KeyPairSpec = 'RSA_2048' | 'ECC_NIST_P384';

export interface DataKeyPair {
  /** DER SubjectPublicKeyInfo. */
  readonly publicKey: Uint8Array;
  /** DER PKCS#8 PrivateKeyInfo: what GenerateDataKeyPair's PrivateKeyPlaintext carries. */
  readonly privateKeyPkcs8: Uint8Array;
}

export function generateDataKeyPair(spec: KeyPairSpec, random: RandomSource): DataKeyPair {
  if (spec === 'RSA_2048') {
    const pair = generateRsaKeyPair(random, 2048);
    return { publicKey: pair.spki, privateKeyPkcs8: pair.exportPkcs8() };
  }
  const pair = p384KeyPair(random);
  return { publicKey: p384Spki(pair.publicKey), privateKeyPkcs8: p384Pkcs8(pair.privateKey, pair.publicKey) };
}

// AlgorithmIdentifier { id-ecPublicKey (1.2.840.10045.2.1), secp384r1 (1.3.132.0.34) }.
const EC_P384_ALGORITHM = Uint8Array.of(
  0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22,
);

function tlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  assert(n < 0x10000, 'DER element too long for this writer');
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return concatBytes(Uint8Array.of(tag, ...length), content);
}

/** SubjectPublicKeyInfo (RFC 5480) of an uncompressed P-384 point. */
export function p384Spki(point: Uint8Array): Uint8Array {
  assert(point.length === 97 && point[0] === 0x04, 'P-384 public key must be a 97-byte uncompressed point');
  return tlv(0x30, concatBytes(EC_P384_ALGORITHM, tlv(0x03, concatBytes(Uint8Array.of(0), point))));
}

/** PKCS#8 (RFC 5208) wrapping an RFC 5915 ECPrivateKey with its public key; curve named in the outer algorithm. */
export function p384Pkcs8(scalar: Uint8Array, point: Uint8Array): Uint8Array {
  assert(scalar.length === 48, 'P-384 private key must be 48 bytes');
  const ecPrivateKey = tlv(
    0x30,
    concatBytes(
      Uint8Array.of(0x02, 0x01, 0x01),
      tlv(0x04, scalar),
      tlv(0xa1, tlv(0x03, concatBytes(Uint8Array.of(0), point))),
    ),
  );
  return tlv(0x30, concatBytes(Uint8Array.of(0x02, 0x01, 0x00), EC_P384_ALGORITHM, tlv(0x04, ecPrivateKey)));
}
