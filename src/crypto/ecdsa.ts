import type { RandomSource } from './bytes.ts';

/** A P-384 key pair: raw 48-byte scalar and 97-byte uncompressed SEC1 point. */
export interface P384KeyPair {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export function p384KeyPair(random: RandomSource): P384KeyPair {
  throw new Error('TODO');
}

/** ECDSA P-384 over SHA-384(message), deterministic (RFC 6979), raw r‖s (96 bytes). */
export function p384Sign(message: Uint8Array, privateKey: Uint8Array): Uint8Array {
  throw new Error('TODO');
}

/** Verifies a raw r‖s signature over SHA-384(message); publicKey is a 97-byte SEC1 point. Never throws on bad input. */
export function p384Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  throw new Error('TODO');
}

/** ECDH on P-384: the 48-byte x coordinate of the shared point. */
export function p384SharedSecret(privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
  throw new Error('TODO');
}
