import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bigIntToBytes, bytesToBigInt, modInverse, modPow } from '../../src/crypto/bigint.ts';
import { generateRsaPrime, isProbablePrime, millerRabinRounds, passesTrialDivision } from '../../src/crypto/rsa-prime.ts';
import { Prng } from '../../src/sim/prng.ts';

/** Square-and-multiply, the textbook reference for the sliding-window version. */
function referenceModPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n % modulus;
  let b = ((base % modulus) + modulus) % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

const bigNat = (bytesMax: number) =>
  fc.uint8Array({ minLength: 0, maxLength: bytesMax }).map((bytes) => bytesToBigInt(bytes));

describe('BigInt arithmetic', () => {
  it('sliding-window modPow agrees with square-and-multiply for all window widths', () => {
    fc.assert(
      fc.property(bigNat(40), bigNat(260), bigNat(40), (base, exponent, m) => {
        const modulus = m + 1n;
        expect(modPow(base, exponent, modulus)).toBe(referenceModPow(base, exponent, modulus));
      }),
      { numRuns: 150 },
    );
  });

  it('modInverse inverts when coprime and reports when not', () => {
    fc.assert(
      fc.property(bigNat(24), bigNat(24), (a, m) => {
        const modulus = m + 2n;
        const inverse = modInverse(a, modulus);
        if (inverse === undefined) {
          let [x, y] = [a, modulus];
          while (y !== 0n) [x, y] = [y, x % y];
          expect(x).not.toBe(1n);
        } else {
          expect((a * inverse) % modulus).toBe(1n);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips bytes and big-endian padding', () => {
    expect(bigIntToBytes(0x0102n, 4)).toEqual(new Uint8Array([0, 0, 1, 2]));
    expect(bytesToBigInt(new Uint8Array([0, 0, 1, 2]))).toBe(0x0102n);
  });
});

describe('primality', () => {
  const random = new Prng(11, 'mr-test');

  it('accepts known primes and rejects composites, including strong pseudoprimes to base 2', () => {
    const mersenne127 = (1n << 127n) - 1n;
    const mersenne521 = (1n << 521n) - 1n;
    expect(isProbablePrime(mersenne127, 10, random)).toBe(true);
    expect(isProbablePrime(mersenne521, 10, random)).toBe(true);
    expect(isProbablePrime(((1n << 61n) - 1n) * ((1n << 89n) - 1n), 10, random)).toBe(false);
    // 2047 = 23·89 and 3215031751 = 151·751·28351 fool base 2 (and the latter bases 2, 3, 5, 7).
    expect(isProbablePrime(2047n, 20, random)).toBe(false);
    expect(isProbablePrime(3215031751n, 20, random)).toBe(false);
    expect(isProbablePrime(561n, 20, random)).toBe(false); // Carmichael
  });

  it('trial division rejects multiples of small primes and keeps large primes', () => {
    const mersenne521 = (1n << 521n) - 1n;
    expect(passesTrialDivision(mersenne521)).toBe(true);
    expect(passesTrialDivision(mersenne521 * 16381n)).toBe(false); // 16381 is the largest prime below 16384
    expect(passesTrialDivision(mersenne521 * 3n)).toBe(false);
    expect(passesTrialDivision(mersenne521 * 16411n)).toBe(true); // first prime past the sieve bound
  });

  it('uses the FIPS 186-5 Table B.1 round counts', () => {
    expect(millerRabinRounds(1024)).toBe(5);
    expect(millerRabinRounds(1536)).toBe(4);
    expect(millerRabinRounds(2048)).toBe(4);
  });

  it('generates primes of exactly the requested size with the two top bits set and p−1 coprime to e', () => {
    const p = generateRsaPrime(1024, 65537n, new Prng(12, 'prime'));
    expect(p >> 1022n).toBe(3n);
    expect((p - 1n) % 65537n).not.toBe(0n);
    expect(isProbablePrime(p, 20, random)).toBe(true);
  });
});
