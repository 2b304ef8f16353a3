import {
  ContentInfo,
  EncryptedContent,
  EncryptedContentInfo,
  EnvelopedData,
  KeyTransRecipientInfo,
  RecipientIdentifier,
  RecipientInfo,
  RecipientInfos,
} from '@peculiar/asn1-cms';
import { AsnParser, AsnSerializer, OctetString } from '@peculiar/asn1-schema';
import { SubjectKeyIdentifier } from '@peculiar/asn1-x509';
import { EmuError } from '../errors.ts';
import { type RandomSource, equalBytes, wipe } from './bytes.ts';
import {
  AES_CBC_IV_BYTES,
  OID_DATA,
  OID_ENVELOPED_DATA,
  aes256CbcIdentifier,
  checkAes256Cbc,
  checkRsaesOaepSha256,
  rsaesOaepSha256Identifier,
} from './cms-algorithms.ts';
import { aes256CbcDecryptPkcs7, aes256CbcEncryptPkcs7 } from './cms-content.ts';
import { CMS_BYTES_MAX, checkCmsShape } from './cms-shape.ts';
import { sha256 } from './hash.ts';
import { type RsaKeyPair, rsaOaepSha256Encrypt } from './rsa.ts';
import { parseRsaSpki } from './rsa-spki.ts';

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

/** RFC 5652 §6.1/§6.2: a subjectKeyIdentifier rid makes the KTRI version 2, and that makes EnvelopedData 2. */
const ENVELOPED_DATA_VERSION = 2;
const KTRI_VERSION = 2;
const CONTENT_KEY_BYTES = 32;
/** KMS uses 32-byte identifiers; OpenSSL's -keyid uses 20 (SHA-1). Anything past 64 bytes is not an identifier. */
const SKI_BYTES_MAX = 64;
/** An 8192-bit modulus, the largest we accept, gives 1024-byte wrapped keys. */
const ENCRYPTED_KEY_BYTES_MAX = 1024;

/**
 * The recipient's key identifier: SHA-256 of its DER SubjectPublicKeyInfo. AWS does not document how KMS
 * derives the 32-byte SKI in CiphertextForRecipient (sdk-c skips it when parsing), so this derivation is our
 * assumption; it is the natural 32-byte choice and it binds the whole SPKI.
 */
export function recipientKeyIdentifier(spki: Uint8Array): Uint8Array {
  return sha256(spki);
}

function asArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/**
 * CMS ContentInfo(EnvelopedData v2) with one KeyTransRecipientInfo v2: rid = subjectKeyIdentifier
 * (SHA-256 of the recipient SPKI), RSAES-OAEP(SHA-256, MGF1-SHA-256), content AES-256-CBC with PKCS#7 padding.
 * Randomness is drawn in a fixed order (content key, IV, OAEP seed) so a seed reproduces the bytes. Emits DER.
 */
export function buildEnvelopedData(plaintext: Uint8Array, recipientSpki: Uint8Array, random: RandomSource): Uint8Array {
  parseRsaSpki(recipientSpki); // refuse a bad key before drawing any randomness
  if (plaintext.length > CMS_BYTES_MAX / 2) {
    throw new EmuError('CMS_TOO_LARGE', `plaintext of ${plaintext.length} bytes exceeds ${CMS_BYTES_MAX / 2}`);
  }
  const contentKey = random.bytes(CONTENT_KEY_BYTES);
  const iv = random.bytes(AES_CBC_IV_BYTES);
  let encryptedKey: Uint8Array;
  let encryptedContent: Uint8Array;
  try {
    encryptedKey = rsaOaepSha256Encrypt(recipientSpki, contentKey, random);
    encryptedContent = aes256CbcEncryptPkcs7(contentKey, iv, plaintext);
  } finally {
    wipe(contentKey);
  }
  const recipient = new KeyTransRecipientInfo({
    version: KTRI_VERSION,
    rid: new RecipientIdentifier({
      subjectKeyIdentifier: new SubjectKeyIdentifier(asArrayBuffer(recipientKeyIdentifier(recipientSpki))),
    }),
    keyEncryptionAlgorithm: rsaesOaepSha256Identifier(),
    encryptedKey: new OctetString(asArrayBuffer(encryptedKey)),
  });
  const enveloped = new EnvelopedData({
    version: ENVELOPED_DATA_VERSION,
    recipientInfos: new RecipientInfos([new RecipientInfo({ ktri: recipient })]),
    encryptedContentInfo: new EncryptedContentInfo({
      contentType: OID_DATA,
      contentEncryptionAlgorithm: aes256CbcIdentifier(iv),
      encryptedContent: new EncryptedContent({ value: new OctetString(asArrayBuffer(encryptedContent)) }),
    }),
  });
  const contentInfo = new ContentInfo({
    contentType: OID_ENVELOPED_DATA,
    content: AsnSerializer.serialize(enveloped),
  });
  return new Uint8Array(AsnSerializer.serialize(contentInfo));
}

function malformed(message: string, details?: Record<string, unknown>): EmuError {
  return new EmuError('CMS_MALFORMED', message, details);
}

function unsupported(message: string, details?: Record<string, unknown>): EmuError {
  return new EmuError('CMS_UNSUPPORTED', message, details);
}

function mapEnvelopedData(bytes: Uint8Array): EnvelopedData {
  let contentInfo: ContentInfo;
  try {
    contentInfo = AsnParser.parse(bytes, ContentInfo);
  } catch (error) {
    throw malformed('ContentInfo does not parse', { cause: String(error) });
  }
  if (contentInfo.contentType !== OID_ENVELOPED_DATA) {
    throw unsupported('ContentInfo does not hold EnvelopedData', { contentType: contentInfo.contentType });
  }
  try {
    return AsnParser.parse(contentInfo.content, EnvelopedData);
  } catch (error) {
    throw malformed('EnvelopedData does not parse', { cause: String(error) });
  }
}

/** Strict parse of DER or BER (indefinite lengths, chunked content). Errors CMS_MALFORMED, CMS_UNSUPPORTED. */
export function parseEnvelopedData(bytes: Uint8Array): EnvelopedDataParts {
  const shape = checkCmsShape(bytes);
  const enveloped = mapEnvelopedData(bytes);
  if (enveloped.version !== ENVELOPED_DATA_VERSION) {
    throw unsupported('EnvelopedData version must be 2', { version: enveloped.version });
  }
  const recipient = enveloped.recipientInfos[0]?.ktri;
  if (enveloped.recipientInfos.length !== 1 || recipient === undefined) {
    throw unsupported('exactly one KeyTransRecipientInfo is supported');
  }
  if (recipient.version !== KTRI_VERSION) {
    throw unsupported('KeyTransRecipientInfo version must be 2', { version: recipient.version });
  }
  const ski = recipient.rid.subjectKeyIdentifier;
  if (ski === undefined) throw unsupported('recipient must be named by subjectKeyIdentifier');
  const subjectKeyIdentifier = new Uint8Array(ski.buffer);
  if (subjectKeyIdentifier.length === 0 || subjectKeyIdentifier.length > SKI_BYTES_MAX) {
    throw malformed(`subjectKeyIdentifier of ${subjectKeyIdentifier.length} bytes`);
  }
  checkRsaesOaepSha256(recipient.keyEncryptionAlgorithm);
  const encryptedKey = new Uint8Array(recipient.encryptedKey.buffer);
  if (encryptedKey.length === 0 || encryptedKey.length > ENCRYPTED_KEY_BYTES_MAX) {
    throw malformed(`encryptedKey of ${encryptedKey.length} bytes`);
  }
  const info = enveloped.encryptedContentInfo;
  if (info.contentType !== OID_DATA) throw unsupported('encrypted content type must be id-data');
  const iv = checkAes256Cbc(info.contentEncryptionAlgorithm);
  const encryptedContent = shape.encryptedContent;
  if (encryptedContent.length === 0 || encryptedContent.length % AES_CBC_IV_BYTES !== 0) {
    throw malformed(`encrypted content of ${encryptedContent.length} bytes is not whole AES blocks`);
  }
  // The schema library's view of the content must agree with the raw walk; disagreement means a parser bug.
  const mapped = info.encryptedContent;
  const mappedChunks = mapped?.value ? [mapped.value] : (mapped?.constructedValue ?? []);
  const mappedContent = Buffer.concat(mappedChunks.map((chunk) => new Uint8Array(chunk.buffer)));
  if (!equalBytes(new Uint8Array(mappedContent), encryptedContent)) {
    throw malformed('encrypted content is ambiguous');
  }
  return {
    version: ENVELOPED_DATA_VERSION,
    recipientVersion: KTRI_VERSION,
    subjectKeyIdentifier,
    keyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
    encryptedKey,
    contentEncryptionAlgorithm: 'AES_256_CBC',
    iv,
    encryptedContent,
  };
}

/** Parse, unwrap the content key with the RSA key, decrypt and unpad. Errors CMS_*, CMS_WRONG_RECIPIENT, CMS_DECRYPT_FAILED. */
export function openEnvelopedData(bytes: Uint8Array, key: RsaKeyPair): Uint8Array {
  const parts = parseEnvelopedData(bytes);
  if (!equalBytes(parts.subjectKeyIdentifier, recipientKeyIdentifier(key.spki))) {
    throw new EmuError('CMS_WRONG_RECIPIENT', 'the message is addressed to another key');
  }
  let contentKey: Uint8Array;
  try {
    contentKey = key.decryptOaepSha256(parts.encryptedKey);
  } catch (error) {
    if (error instanceof EmuError) throw new EmuError('CMS_DECRYPT_FAILED', 'content key unwrap failed');
    throw error;
  }
  try {
    if (contentKey.length !== CONTENT_KEY_BYTES) {
      throw new EmuError('CMS_DECRYPT_FAILED', 'unwrapped content key is not an AES-256 key');
    }
    return aes256CbcDecryptPkcs7(contentKey, parts.iv, parts.encryptedContent);
  } finally {
    wipe(contentKey);
  }
}
