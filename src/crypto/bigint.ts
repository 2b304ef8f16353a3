import { assert } from '../errors.ts';

// BigInt helpers for RSA. These run on public values (encryption) and on key-generation candidates; private-key
// operations go through node's constant-time RSA instead, so the variable timing of BigInt arithmetic is
// confined to key generation inside the simulator.

/** Bounds every BigInt we build from bytes: 16384-bit moduli are far above anything we generate or accept. */
export const BIGINT_BYTES_MAX = 2048;

export function bytesToBigInt(bytes: Uint8Array): bigint {
  assert(bytes.length <= BIGINT_BYTES_MAX, `integer of ${bytes.length} bytes is too large`);
  if (bytes.length === 0) return 0n;
  return BigInt('0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex'));
}

/** Big-endian, left-padded to exactly `length` bytes. */
export function bigIntToBytes(value: bigint, length: number): Uint8Array {
  assert(value >= 0n, 'negative integer');
  assert(Number.isSafeInteger(length) && length >= 0 && length <= BIGINT_BYTES_MAX, `bad length ${length}`);
  const hex = value.toString(16);
  assert(hex.length <= length * 2 || value === 0n, `integer does not fit in ${length} bytes`);
  return new Uint8Array(Buffer.from(hex.padStart(length * 2, '0'), 'hex'));
}

/** Minimal big-endian encoding (at least one byte), as JWK wants. */
export function bigIntToMinimalBytes(value: bigint): Uint8Array {
  return bigIntToBytes(value, Math.max(1, Math.ceil(bitLength(value) / 8)));
}

export function bitLength(value: bigint): number {
  assert(value >= 0n, 'negative integer');
  return value === 0n ? 0 : value.toString(2).length;
}

// Window width by exponent size: the table costs 2^(w-1) products, the saving is roughly bits/(w+1) products.
function windowBits(exponentBits: number): number {
  if (exponentBits <= 32) return 1;
  if (exponentBits <= 256) return 4;
  if (exponentBits <= 1536) return 5;
  return 6;
}

/** base^exponent mod modulus by left-to-right sliding-window exponentiation (odd powers precomputed). */
export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  assert(modulus > 0n && exponent >= 0n, 'modPow needs a positive modulus and a non-negative exponent');
  if (modulus === 1n) return 0n;
  const b = ((base % modulus) + modulus) % modulus;
  const bits = exponent.toString(2);
  const w = windowBits(bits.length);
  // odd[i] = b^(2i+1)
  const odd: bigint[] = [b];
  if (w > 1) {
    const square = (b * b) % modulus;
    for (let i = 1; i < 1 << (w - 1); i++) odd.push((odd[i - 1]! * square) % modulus);
  }
  let result = 1n;
  let i = 0;
  while (i < bits.length) {
    if (bits.charCodeAt(i) === 48 /* '0' */) {
      result = (result * result) % modulus;
      i++;
      continue;
    }
    // Longest window of at most w bits that starts here and ends in a 1 bit.
    let end = Math.min(i + w, bits.length);
    while (bits.charCodeAt(end - 1) === 48) end--;
    const windowValue = parseInt(bits.slice(i, end), 2);
    for (let k = i; k < end; k++) result = (result * result) % modulus;
    result = (result * odd[(windowValue - 1) >> 1]!) % modulus;
    i = end;
  }
  return result;
}

export function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** a^-1 mod m by the extended Euclidean algorithm; undefined when gcd(a, m) ≠ 1. */
export function modInverse(a: bigint, m: bigint): bigint | undefined {
  assert(m > 1n, 'modInverse needs a modulus above 1');
  let [oldR, r] = [((a % m) + m) % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) return undefined;
  return ((oldS % m) + m) % m;
}
