import type { RandomSource } from './bytes.ts';
import type { RsaKeyPair } from './rsa.ts';

/** What a parsed CiphertextForRecipient holds (research/nitro-attestation-kms.md §2.1). */
export interface EnvelopedDataParts {
  readonly version: number;
  readonly recipientVersion: number;
  readonly subjectKeyIdentifier: Uint8Array;
  readonly keyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256';
  readonly encryptedKey: Uint8Array;
  readonly contentEncryptionAlgorithm: 'AES_256_CBC';
  readonly iv: Uint8Array;
  readonly encryptedContent: Uint8Array;
}

/**
 * CMS ContentInfo(EnvelopedData v2) with one KeyTransRecipientInfo v2: rid = subjectKeyIdentifier
 * (SHA-256 of the recipient SPKI), RSAES-OAEP(SHA-256, MGF1-SHA-256), content AES-256-CBC with PKCS#7 padding.
 */
export function buildEnvelopedData(plaintext: Uint8Array, recipientSpki: Uint8Array, random: RandomSource): Uint8Array {
  throw new Error('TODO');
}

/** Strict parse of DER or BER (indefinite lengths, chunked content). Errors CMS_MALFORMED, CMS_UNSUPPORTED. */
export function parseEnvelopedData(bytes: Uint8Array): EnvelopedDataParts {
  throw new Error('TODO');
}

/** Parse, unwrap the content key with the RSA key, decrypt and unpad. Errors CMS_*, CMS_WRONG_RECIPIENT, CMS_DECRYPT_FAILED. */
export function openEnvelopedData(bytes: Uint8Array, key: RsaKeyPair): Uint8Array {
  throw new Error('TODO');
}
