import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { EmuError } from '../errors.ts';

export const AES256_KEY_BYTES = 32;
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;
/** NIST SP 800-38D caps one GCM invocation at 2^39 − 256 bits; we stay far below with a 1 GiB bound. */
export const GCM_PLAINTEXT_BYTES_MAX = 1 << 30;
const HKDF_SHA384_BYTES_MAX = 255 * 48;
/** node's hkdfSync refuses longer info strings. */
const HKDF_INFO_BYTES_MAX = 1024;

function checkKeyAndIv(key: Uint8Array, iv: Uint8Array): void {
  if (key.length !== AES256_KEY_BYTES) {
    throw new EmuError('AEAD_BAD_KEY', `AES-256-GCM key must be ${AES256_KEY_BYTES} bytes`, { keyBytes: key.length });
  }
  if (iv.length !== GCM_IV_BYTES) {
    throw new EmuError('AEAD_BAD_IV', `AES-256-GCM IV must be ${GCM_IV_BYTES} bytes`, { ivBytes: iv.length });
  }
}

/** AES-256-GCM with a 12-byte IV and 16-byte tag, via node:crypto. */
export function aes256GcmSeal(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  checkKeyAndIv(key, iv);
  if (plaintext.length > GCM_PLAINTEXT_BYTES_MAX) {
    throw new EmuError('AEAD_TOO_LARGE', `plaintext of ${plaintext.length} bytes exceeds ${GCM_PLAINTEXT_BYTES_MAX}`);
  }
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_BYTES });
  if (aad !== undefined) cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  const tail = cipher.final();
  const out = new Uint8Array(body.length + tail.length + GCM_TAG_BYTES);
  out.set(body, 0);
  out.set(tail, body.length);
  out.set(cipher.getAuthTag(), body.length + tail.length);
  return out;
}

/** Input is ciphertext ‖ tag. The tag is checked before any plaintext is returned. Error AEAD_AUTH_FAILED. */
export function aes256GcmOpen(key: Uint8Array, iv: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array {
  checkKeyAndIv(key, iv);
  if (sealed.length < GCM_TAG_BYTES || sealed.length - GCM_TAG_BYTES > GCM_PLAINTEXT_BYTES_MAX) {
    throw new EmuError('AEAD_AUTH_FAILED', 'sealed input has an impossible length', { sealedBytes: sealed.length });
  }
  const bodyLength = sealed.length - GCM_TAG_BYTES;
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_BYTES });
  decipher.setAuthTag(sealed.subarray(bodyLength));
  if (aad !== undefined) decipher.setAAD(aad);
  // update() hands out unverified plaintext; it stays in this scope and is wiped if final() rejects the tag.
  const body = decipher.update(sealed.subarray(0, bodyLength));
  let tail: Buffer;
  try {
    tail = decipher.final();
  } catch {
    body.fill(0);
    throw new EmuError('AEAD_AUTH_FAILED', 'AES-256-GCM tag mismatch');
  }
  // GCM's final() adds nothing; when update() gave a buffer of its own (not a slice of node's shared pool), hand
  // it out as is instead of copying a megabyte per call on the bounce-buffer path.
  if (tail.length === 0 && body.byteOffset === 0 && body.buffer.byteLength === body.length) {
    return new Uint8Array(body.buffer, 0, body.length);
  }
  const out = new Uint8Array(body.length + tail.length);
  out.set(body, 0);
  out.set(tail, body.length);
  body.fill(0);
  return out;
}

/** HKDF with SHA-384 (RFC 5869). */
export function hkdfSha384(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 1 || length > HKDF_SHA384_BYTES_MAX) {
    throw new EmuError('HKDF_BAD_LENGTH', `HKDF-SHA384 output must be 1..${HKDF_SHA384_BYTES_MAX} bytes`, { length });
  }
  if (info.length > HKDF_INFO_BYTES_MAX) {
    throw new EmuError('HKDF_BAD_INFO', `HKDF info must be at most ${HKDF_INFO_BYTES_MAX} bytes`, {
      infoBytes: info.length,
    });
  }
  return new Uint8Array(hkdfSync('sha384', ikm, salt, info, length));
}
