import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { p384 } from '@noble/curves/nist.js';
import { EmuError, assert } from '../errors.ts';
import type { RandomSource } from './bytes.ts';

/** A P-384 key pair: raw 48-byte scalar and 97-byte uncompressed SEC1 point. */
export interface P384KeyPair {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export const P384_SCALAR_LENGTH = 48;
export const P384_POINT_LENGTH = 97;
export const P384_SIGNATURE_LENGTH = 96;

// A random 48-byte string is >= n with probability ~2^-190, so more than a few redraws means a broken source.
const KEYGEN_ATTEMPTS_MAX = 16;

export function p384KeyPair(random: RandomSource): P384KeyPair {
  for (let attempt = 0; attempt < KEYGEN_ATTEMPTS_MAX; attempt++) {
    const candidate = random.bytes(P384_SCALAR_LENGTH);
    assert(candidate.length === P384_SCALAR_LENGTH, 'RandomSource returned the wrong number of bytes');
    if (!p384.utils.isValidSecretKey(candidate)) continue;
    return { privateKey: candidate, publicKey: p384.getPublicKey(candidate, false) };
  }
  throw new EmuError('ECDSA_KEYGEN_FAILED', `no valid P-384 scalar in ${KEYGEN_ATTEMPTS_MAX} draws: the random source is broken`);
}

function checkPrivateKey(privateKey: Uint8Array): void {
  if (privateKey.length !== P384_SCALAR_LENGTH || !p384.utils.isValidSecretKey(privateKey)) {
    throw new EmuError('ECDSA_BAD_PRIVATE_KEY', 'a P-384 private key is a 48-byte scalar in [1, n)');
  }
}

/** ECDSA P-384 over SHA-384(message), deterministic (RFC 6979), raw r‖s (96 bytes). */
export function p384Sign(message: Uint8Array, privateKey: Uint8Array): Uint8Array {
  checkPrivateKey(privateKey);
  // lowS false: plain RFC 6979 / FIPS 186 output, as OpenSSL and the NSM produce; verifiers accept either.
  const signature = p384.sign(message, privateKey, { prehash: true, lowS: false, format: 'compact' });
  assert(signature.length === P384_SIGNATURE_LENGTH, 'noble returned a signature of unexpected length');
  return signature;
}

// SubjectPublicKeyInfo prefix for id-ecPublicKey / secp384r1 with a 97-byte uncompressed point. Importing an SPKI is
// ~4x cheaper in node than a JWK, and the KeyObject cache makes repeated keys (CA keys) nearly free.
const P384_SPKI_PREFIX = Uint8Array.from([
  0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00,
  0x22, 0x03, 0x62, 0x00,
]);

/** The DER SubjectPublicKeyInfo for an uncompressed P-384 point. */
export function p384Spki(publicKey: Uint8Array): Uint8Array {
  assert(publicKey.length === P384_POINT_LENGTH && publicKey[0] === 0x04, 'expected an uncompressed P-384 point');
  const out = new Uint8Array(P384_SPKI_PREFIX.length + P384_POINT_LENGTH);
  out.set(P384_SPKI_PREFIX);
  out.set(publicKey, P384_SPKI_PREFIX.length);
  return out;
}

const KEY_CACHE_ENTRIES_MAX = 256;
// Value null remembers points that node rejected (not on the curve), so garbage is not re-parsed either.
const keyCache = new Map<string, KeyObject | null>();

function keyObjectFor(publicKey: Uint8Array): KeyObject | null {
  const cacheKey = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('latin1');
  const hit = keyCache.get(cacheKey);
  if (hit !== undefined) return hit;
  let key: KeyObject | null;
  try {
    key = createPublicKey({ key: Buffer.from(p384Spki(publicKey)), format: 'der', type: 'spki' });
  } catch {
    key = null;
  }
  if (keyCache.size >= KEY_CACHE_ENTRIES_MAX) {
    const oldest = keyCache.keys().next();
    if (oldest.done !== true) keyCache.delete(oldest.value);
  }
  keyCache.set(cacheKey, key);
  return key;
}

/** Verifies a raw r‖s signature over SHA-384(message); publicKey is a 97-byte SEC1 point. Never throws on bad input. */
export function p384Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    if (!(signature instanceof Uint8Array) || !(message instanceof Uint8Array) || !(publicKey instanceof Uint8Array)) {
      return false;
    }
    if (signature.length !== P384_SIGNATURE_LENGTH) return false;
    if (publicKey.length !== P384_POINT_LENGTH || publicKey[0] !== 0x04) return false;
    const key = keyObjectFor(publicKey);
    if (key === null) return false;
    // OpenSSL (not noble) verifies here: it is ~8x faster, and verification needs no determinism.
    return nodeVerify('sha384', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

/** ECDH on P-384: the 48-byte x coordinate of the shared point. */
export function p384SharedSecret(privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
  checkPrivateKey(privateKey);
  let shared: Uint8Array;
  try {
    shared = p384.getSharedSecret(privateKey, peerPublicKey, true);
  } catch (error) {
    throw new EmuError('ECDH_BAD_PUBLIC_KEY', 'the peer public key is not a valid P-384 point', {
      reason: error instanceof Error ? error.message : String(error),
    });
  }
  assert(shared.length === P384_SCALAR_LENGTH + 1, 'noble returned a shared point of unexpected length');
  return shared.slice(1);
}
