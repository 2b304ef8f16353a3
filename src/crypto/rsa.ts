import { constants, createPrivateKey, privateDecrypt, type KeyObject } from 'node:crypto';
import { EmuError, assert } from '../errors.ts';
import { bigIntToBytes, bigIntToMinimalBytes, bitLength, bytesToBigInt, gcd, modInverse, modPow } from './bigint.ts';
import { equalBytes, type RandomSource } from './bytes.ts';
import { oaepSha256Encode } from './rsa-oaep.ts';
import { generateRsaPrime } from './rsa-prime.ts';
import { RSA_PUBLIC_EXPONENT, encodeRsaSpki, parseRsaSpki } from './rsa-spki.ts';

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

/** Key sizes we generate: KMS wants 2048; the larger FIPS sizes are there for tests of the size logic. */
export const RSA_KEY_BITS_ALLOWED: readonly number[] = [2048, 3072, 4096];
/** Retries of the whole p, q search when d turns out too small (FIPS 186-5 B.3.1); practically never taken. */
const KEY_ATTEMPTS_MAX = 4;

class NodeRsaKeyPair implements RsaKeyPair {
  readonly bits: number;
  readonly spki: Uint8Array;
  readonly #privateKey: KeyObject;
  readonly #modulusBytes: number;

  constructor(bits: number, spki: Uint8Array, privateKey: KeyObject) {
    this.bits = bits;
    this.spki = spki;
    this.#privateKey = privateKey;
    this.#modulusBytes = Math.ceil(bits / 8);
  }

  decryptOaepSha256(ciphertext: Uint8Array): Uint8Array {
    if (ciphertext.length !== this.#modulusBytes) {
      throw new EmuError('RSA_DECRYPT_FAILED', `ciphertext must be ${this.#modulusBytes} bytes`, {
        ciphertextBytes: ciphertext.length,
      });
    }
    let plain: Buffer;
    try {
      plain = privateDecrypt(
        { key: this.#privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        ciphertext,
      );
    } catch {
      // One message for every failure: which OAEP check failed is exactly what an attacker wants to learn.
      throw new EmuError('RSA_DECRYPT_FAILED', 'RSAES-OAEP decryption failed');
    }
    const out = new Uint8Array(plain);
    plain.fill(0);
    return out;
  }

  exportPkcs8(): Uint8Array {
    const der = this.#privateKey.export({ type: 'pkcs8', format: 'der' });
    const out = new Uint8Array(der);
    der.fill(0);
    return out;
  }
}

function base64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** node:crypto KeyObject from the CRT components. The byte arrays made on the way are wiped. */
function privateKeyObject(components: Readonly<Record<'n' | 'e' | 'd' | 'p' | 'q' | 'dp' | 'dq' | 'qi', bigint>>) {
  const jwk: Record<string, string> = { kty: 'RSA' };
  for (const [name, value] of Object.entries(components)) {
    const bytes = bigIntToMinimalBytes(value);
    // The base64url strings are immutable and cannot be wiped; they become garbage once the key is built.
    jwk[name] = base64Url(bytes);
    bytes.fill(0);
  }
  return createPrivateKey({ key: jwk, format: 'jwk' });
}

/** A fixed-seed OAEP round trip (FIPS 186-5 pairwise consistency): catches a wrong CRT component at once. */
function assertPairwiseConsistent(key: RsaKeyPair): void {
  const probe = new Uint8Array(32).fill(0x5a);
  const zeroSeed: RandomSource = { bytes: (n) => new Uint8Array(n) };
  const ciphertext = rsaOaepSha256Encrypt(key.spki, probe, zeroSeed);
  assert(equalBytes(key.decryptOaepSha256(ciphertext), probe), 'generated RSA key fails its pairwise test');
}

/** Deterministic RSA key generation (e = 65537, probable primes by Miller-Rabin) from `random`. */
export function generateRsaKeyPair(random: RandomSource, bits = 2048): RsaKeyPair {
  if (!RSA_KEY_BITS_ALLOWED.includes(bits)) {
    throw new EmuError('RSA_BAD_KEY_SIZE', `RSA key size must be one of ${RSA_KEY_BITS_ALLOWED.join(', ')}`, { bits });
  }
  const half = bits / 2;
  const e = RSA_PUBLIC_EXPONENT;
  // FIPS 186-5 A.1.3: |p − q| > 2^(nlen/2 − 100), so Fermat factoring from √n is hopeless.
  const distanceMin = 1n << BigInt(half - 100);
  for (let attempt = 0; attempt < KEY_ATTEMPTS_MAX; attempt++) {
    let p = generateRsaPrime(half, e, random);
    let q = generateRsaPrime(half, e, random, (c) => (c > p ? c - p : p - c) > distanceMin);
    if (p < q) [p, q] = [q, p];
    const n = p * q;
    // Two top bits set in both primes make n exactly `bits` long.
    assert(bitLength(n) === bits, 'modulus has the wrong length');
    const pMinus1 = p - 1n;
    const qMinus1 = q - 1n;
    const lambda = (pMinus1 / gcd(pMinus1, qMinus1)) * qMinus1;
    const d = modInverse(e, lambda);
    assert(d !== undefined, 'e is coprime to p−1 and q−1 by construction');
    if (d <= 1n << BigInt(half)) continue;
    const qi = modInverse(q, p);
    assert(qi !== undefined, 'distinct primes are coprime');
    const privateKey = privateKeyObject({ n, e, d, p, q, dp: d % pMinus1, dq: d % qMinus1, qi });
    const key = new NodeRsaKeyPair(bits, encodeRsaSpki(n, e), privateKey);
    assertPairwiseConsistent(key);
    return key;
  }
  throw new EmuError('RSA_KEYGEN_FAILED', `no acceptable ${bits}-bit key in ${KEY_ATTEMPTS_MAX} attempts`);
}

/** RSAES-OAEP-SHA256 encryption to a DER SPKI; the OAEP seed comes from `random`. Error RSA_BAD_PUBLIC_KEY. */
export function rsaOaepSha256Encrypt(spki: Uint8Array, message: Uint8Array, random: RandomSource): Uint8Array {
  const key = parseRsaSpki(spki);
  const em = oaepSha256Encode(message, key.k, random);
  const m = bytesToBigInt(em);
  em.fill(0);
  // RSAEP (RFC 8017 §5.1.1); m < n holds because EM starts with a zero byte and n has its top bit in byte 0.
  assert(m < key.modulus, 'encoded message exceeds the modulus');
  return bigIntToBytes(modPow(m, key.publicExponent, key.modulus), key.k);
}

/** Modulus size in bits of a DER SPKI that holds an RSA key, or a typed error RSA_BAD_PUBLIC_KEY. */
export function rsaPublicKeyBits(spki: Uint8Array): number {
  return parseRsaSpki(spki).modulusBits;
}
