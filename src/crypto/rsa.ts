import type { RandomSource } from './bytes.ts';

/**
 * An RSA key pair. Generated from the simulator's random stream (not node's keygen) so that a
 * seed reproduces every byte. The private half lives behind this handle; `spki` is public.
 */
export interface RsaKeyPair {
  readonly bits: number;
  /** DER SubjectPublicKeyInfo (rsaEncryption), what the enclave puts in `public_key`. */
  readonly spki: Uint8Array;
  /** Decrypts RSAES-OAEP with SHA-256 and MGF1-SHA-256, empty label. Error RSA_DECRYPT_FAILED. */
  decryptOaepSha256(ciphertext: Uint8Array): Uint8Array;
  /** PKCS#8 DER of the private key, for tools such as `openssl cms -decrypt`. */
  exportPkcs8(): Uint8Array;
}

/** Deterministic RSA key generation (e = 65537, probable primes by Miller-Rabin) from `random`. */
export function generateRsaKeyPair(random: RandomSource, bits?: number): RsaKeyPair {
  throw new Error('TODO');
}

/** RSAES-OAEP-SHA256 encryption to a DER SPKI; the OAEP seed comes from `random`. Error RSA_BAD_PUBLIC_KEY. */
export function rsaOaepSha256Encrypt(spki: Uint8Array, message: Uint8Array, random: RandomSource): Uint8Array {
  throw new Error('TODO');
}

/** Modulus size in bits of a DER SPKI that holds an RSA key, or a typed error RSA_BAD_PUBLIC_KEY. */
export function rsaPublicKeyBits(spki: Uint8Array): number {
  throw new Error('TODO');
}
