/** AES-256-GCM with a 12-byte IV and 16-byte tag, via node:crypto. */
export function aes256GcmSeal(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  throw new Error('TODO');
}

/** Input is ciphertext ‖ tag. The tag is checked before any plaintext is returned. Error AEAD_AUTH_FAILED. */
export function aes256GcmOpen(key: Uint8Array, iv: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array {
  throw new Error('TODO');
}

/** HKDF with SHA-384 (RFC 5869). */
export function hkdfSha384(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  throw new Error('TODO');
}
