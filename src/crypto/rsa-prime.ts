import { EmuError, assert } from '../errors.ts';
import { bitLength, bytesToBigInt, gcd, modPow } from './bigint.ts';
import type { RandomSource } from './bytes.ts';

// Probable-prime generation for RSA in the manner of FIPS 186-5 B.3.3: fresh random odd candidates with the top
// two bits set (so p ≥ 0.75·2^k > √2·2^(k-1)), cheap rejection by small-prime trial division and gcd(p−1, e),
// then Miller-Rabin with random bases.

/** Trial division bound: measured sweet spot between sieve cost and Miller-Rabin calls saved. */
const SMALL_PRIME_LIMIT = 16384;

function sieveSmallPrimes(limit: number): number[] {
  const composite = new Uint8Array(limit + 1);
  const primes: number[] = [];
  for (let i = 3; i <= limit; i += 2) {
    if (composite[i] === 1) continue;
    primes.push(i);
    for (let j = i * i; j <= limit; j += 2 * i) composite[j] = 1;
  }
  return primes;
}

/** Small odd primes grouped so each group's product stays below 2^52: one BigInt remainder per group. */
interface PrimeGroup {
  readonly product: bigint;
  readonly primes: readonly number[];
}

function groupPrimes(primes: readonly number[]): PrimeGroup[] {
  const groups: PrimeGroup[] = [];
  let current: number[] = [];
  let product = 1;
  for (const p of primes) {
    if (product * p >= 2 ** 52) {
      groups.push({ product: BigInt(product), primes: current });
      current = [];
      product = 1;
    }
    current.push(p);
    product *= p;
  }
  if (current.length > 0) groups.push({ product: BigInt(product), primes: current });
  return groups;
}

const SMALL_PRIMES = sieveSmallPrimes(SMALL_PRIME_LIMIT);
const PRIME_GROUPS = groupPrimes(SMALL_PRIMES);

/** True when no odd prime up to SMALL_PRIME_LIMIT divides `candidate` (which must exceed them all). */
export function passesTrialDivision(candidate: bigint): boolean {
  for (const group of PRIME_GROUPS) {
    const r = Number(candidate % group.product);
    for (const p of group.primes) if (r % p === 0) return false;
  }
  return true;
}

/**
 * Miller-Rabin rounds per FIPS 186-5 Table B.1 (probable primes for RSA, M-R tests only): 1024-bit primes
 * need 5 rounds, 1536- and 2048-bit primes need 4. Sizes in between take the larger count.
 */
export function millerRabinRounds(primeBits: number): number {
  assert(primeBits >= 1024, `prime size ${primeBits} is below the RSA-2048 floor`);
  return primeBits < 1536 ? 5 : 4;
}

/** Uniform integer in [2, w − 2] from the random stream, by rejection sampling (bounded). */
function randomBase(w: bigint, random: RandomSource): bigint {
  const bits = bitLength(w);
  const byteLength = Math.ceil(bits / 8);
  const excessBits = byteLength * 8 - bits;
  for (let attempt = 0; attempt < 256; attempt++) {
    const bytes = random.bytes(byteLength);
    bytes[0] = bytes[0]! & (0xff >> excessBits);
    const b = bytesToBigInt(bytes);
    if (b >= 2n && b <= w - 2n) return b;
  }
  throw new EmuError('RSA_KEYGEN_FAILED', 'random source kept producing out-of-range Miller-Rabin bases');
}

/** Miller-Rabin on an odd w > 3 with `rounds` random bases (FIPS 186-5 B.3.1). */
export function isProbablePrime(w: bigint, rounds: number, random: RandomSource): boolean {
  assert(w > 3n && (w & 1n) === 1n, 'Miller-Rabin needs an odd candidate above 3');
  assert(Number.isSafeInteger(rounds) && rounds >= 1 && rounds <= 128, `bad round count ${rounds}`);
  const wMinus1 = w - 1n;
  let a = 0;
  let m = wMinus1;
  while ((m & 1n) === 0n) {
    m >>= 1n;
    a++;
  }
  for (let round = 0; round < rounds; round++) {
    let z = modPow(randomBase(w, random), m, w);
    if (z === 1n || z === wMinus1) continue;
    let witness = true;
    for (let j = 1; j < a; j++) {
      z = (z * z) % w;
      if (z === wMinus1) {
        witness = false;
        break;
      }
      if (z === 1n) break;
    }
    if (witness) return false;
  }
  return true;
}

/** Odd `bits`-bit candidate with its two top bits set, drawn from `random`. */
function randomCandidate(bits: number, random: RandomSource): bigint {
  const byteLength = Math.ceil(bits / 8);
  const bytes = random.bytes(byteLength);
  const excessBits = byteLength * 8 - bits;
  bytes[0] = bytes[0]! & (0xff >> excessBits);
  const value = bytesToBigInt(bytes) | (3n << BigInt(bits - 2)) | 1n;
  bytes.fill(0);
  return value;
}

/**
 * A probable prime of exactly `bits` bits with gcd(p − 1, e) = 1, or RSA_KEYGEN_FAILED after the FIPS 186-5
 * iteration limit of 5·bits candidates (unreachable in practice with a working random source).
 */
export function generateRsaPrime(
  bits: number,
  publicExponent: bigint,
  random: RandomSource,
  accept: (candidate: bigint) => boolean = () => true,
): bigint {
  assert(bits >= 1024 && bits % 8 === 0, `bad prime size ${bits}`);
  const rounds = millerRabinRounds(bits);
  const candidatesMax = 5 * bits;
  for (let i = 0; i < candidatesMax; i++) {
    const candidate = randomCandidate(bits, random);
    if (!accept(candidate)) continue;
    if (!passesTrialDivision(candidate)) continue;
    if (gcd(candidate - 1n, publicExponent) !== 1n) continue;
    if (isProbablePrime(candidate, rounds, random)) return candidate;
  }
  throw new EmuError('RSA_KEYGEN_FAILED', `no ${bits}-bit prime found in ${candidatesMax} candidates`);
}
