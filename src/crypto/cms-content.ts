import { createCipheriv, createDecipheriv } from 'node:crypto';
import { EmuError, assert } from '../errors.ts';

// AES-256-CBC with PKCS#7 padding, the content cipher of CiphertextForRecipient. CBC is not authenticated: the
// format relies on RSA-OAEP to protect the content key, and that is what real KMS sends, so we match it.
// Anyone who can alter the ciphertext in transit can flip plaintext bits or probe the padding; we answer every
// failure with the same error, check the padding without early exits, and leave integrity to what the
// plaintext protects (a data key that then opens AES-GCM ciphertext, which does authenticate).

const BLOCK_BYTES = 16;
const KEY_BYTES = 32;

export function aes256CbcEncryptPkcs7(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  assert(key.length === KEY_BYTES && iv.length === BLOCK_BYTES, 'AES-256-CBC needs a 32-byte key and 16-byte IV');
  const cipher = createCipheriv('aes-256-cbc', key, iv); // node pads with PKCS#7 by default
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  const out = new Uint8Array(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  return out;
}

function decryptFailed(): EmuError {
  return new EmuError('CMS_DECRYPT_FAILED', 'content decryption failed');
}

/** Decrypts and strips PKCS#7 padding; bad padding is CMS_DECRYPT_FAILED, never plaintext. */
export function aes256CbcDecryptPkcs7(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  if (key.length !== KEY_BYTES) throw decryptFailed();
  assert(iv.length === BLOCK_BYTES, 'IV length is checked by the parser');
  if (ciphertext.length === 0 || ciphertext.length % BLOCK_BYTES !== 0) throw decryptFailed();
  const decipher = createDecipheriv('aes-256-cbc', key, iv);
  decipher.setAutoPadding(false); // we check the padding ourselves, in constant time
  const head = decipher.update(ciphertext);
  const tail = decipher.final();
  const padded = new Uint8Array(head.length + tail.length);
  padded.set(head, 0);
  padded.set(tail, head.length);
  head.fill(0);
  tail.fill(0);
  const padBytes = padded[padded.length - 1]!;
  let bad = padBytes === 0 || padBytes > BLOCK_BYTES ? 1 : 0;
  for (let i = 1; i <= BLOCK_BYTES; i++) {
    const inPadding = i <= padBytes ? 1 : 0;
    bad |= inPadding & (padded[padded.length - i] === padBytes ? 0 : 1);
  }
  if (bad !== 0) {
    padded.fill(0);
    throw decryptFailed();
  }
  const plaintext = padded.slice(0, padded.length - padBytes);
  padded.fill(0);
  return plaintext;
}
