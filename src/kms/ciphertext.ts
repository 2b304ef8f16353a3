import { concatBytes, fromHex, toHex, utf8 } from '../crypto/index.ts';
import { assert } from '../errors.ts';
import { invalidCiphertext } from './errors.ts';
import type { EncryptionContext } from './types.ts';

/**
 * Our CiphertextBlob (real KMS's format is not public, so this one is ours):
 *
 *   offset  size  field
 *   0       1     version = 0x01
 *   1       16    key id (the UUID's 16 bytes)
 *   17      12    AES-GCM IV
 *   29      n     AES-256-GCM ciphertext
 *   29+n    16    GCM tag
 *
 * AAD = "nitro-emu/kms/ciphertext/v1" ‖ 0x00 ‖ bytes 0..17 ‖ canonical encryption context (UTF-8 JSON, keys
 * sorted), so the version, the key id and the whole context are authenticated: changing any of them fails the tag.
 */
export const BLOB_VERSION = 0x01;
export const BLOB_HEADER_LENGTH = 17;
export const IV_LENGTH = 12;
export const TAG_LENGTH = 16;
export const BLOB_OVERHEAD = BLOB_HEADER_LENGTH + IV_LENGTH + TAG_LENGTH;

const AAD_LABEL = utf8('nitro-emu/kms/ciphertext/v1\u0000');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export interface ParsedBlob {
  readonly keyId: string;
  readonly header: Uint8Array;
  readonly iv: Uint8Array;
  /** Ciphertext ‖ tag, as aes256GcmOpen takes it. */
  readonly sealed: Uint8Array;
}

export function isKeyUuid(text: string): boolean {
  return UUID.test(text);
}

export function keyIdBytes(keyId: string): Uint8Array {
  assert(isKeyUuid(keyId), `not a key id: ${keyId}`);
  return fromHex(keyId.replaceAll('-', ''));
}

export function keyIdFromBytes(bytes: Uint8Array): string {
  const hex = toHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function blobHeader(keyId: string): Uint8Array {
  return concatBytes(Uint8Array.of(BLOB_VERSION), keyIdBytes(keyId));
}

/** JSON with sorted keys: the same context in any order gives the same bytes. */
export function canonicalContext(context: EncryptionContext): string {
  const keys = Object.keys(context).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(context[k])}`).join(',')}}`;
}

export function blobAad(header: Uint8Array, context: EncryptionContext): Uint8Array {
  return concatBytes(AAD_LABEL, header, utf8(canonicalContext(context)));
}

export function encodeBlob(header: Uint8Array, iv: Uint8Array, sealed: Uint8Array): Uint8Array {
  assert(header.length === BLOB_HEADER_LENGTH && iv.length === IV_LENGTH && sealed.length >= TAG_LENGTH, 'blob parts');
  return concatBytes(header, iv, sealed);
}

/** Structural parse only; every failure is the same InvalidCiphertextException. */
export function parseBlob(blob: Uint8Array): ParsedBlob {
  if (blob.length < BLOB_OVERHEAD + 1 || blob[0] !== BLOB_VERSION) throw invalidCiphertext();
  const header = blob.slice(0, BLOB_HEADER_LENGTH);
  const keyId = keyIdFromBytes(header.subarray(1));
  if (!isKeyUuid(keyId)) throw invalidCiphertext();
  return {
    keyId,
    header,
    iv: blob.slice(BLOB_HEADER_LENGTH, BLOB_HEADER_LENGTH + IV_LENGTH),
    sealed: blob.slice(BLOB_HEADER_LENGTH + IV_LENGTH),
  };
}
