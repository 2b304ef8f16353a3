import {
  aes256GcmOpen,
  aes256GcmSeal,
  concatBytes,
  decryptFramed,
  fromBase64,
  fromUtf8,
  generateRsaKeyPair,
  hkdfSha384,
  openEnvelopedData,
  p384KeyPair,
  p384SharedSecret,
  toBase64,
  utf8,
  wipe,
  type RandomSource,
} from '../crypto/index.ts';
import type { EnclaveLibrary } from './runtime-abi.ts';

/** The enclave's randomness: bytes from NSM GetRandom, buffered (each call yields 256 bytes). */
export function nsmRandomSource(getRandom: () => Uint8Array): RandomSource {
  let pool: Uint8Array = new Uint8Array(0);
  return {
    bytes(length: number): Uint8Array {
      const out = new Uint8Array(length);
      let filled = 0;
      while (filled < length) {
        if (pool.length === 0) pool = getRandom();
        const take = Math.min(length - filled, pool.length);
        out.set(pool.subarray(0, take), filled);
        pool = pool.subarray(take);
        filled += take;
      }
      return out;
    },
  };
}

export function createEnclaveLibrary(getRandom: () => Uint8Array): EnclaveLibrary {
  return Object.freeze({
    randomFromNsm: () => nsmRandomSource(getRandom),
    generateRsaKeyPair: (random: RandomSource, bits: number) => generateRsaKeyPair(random, bits),
    openEnvelopedData,
    decryptFramed,
    aes256GcmSeal,
    aes256GcmOpen,
    hkdfSha384,
    p384KeyPair: (random: RandomSource) => {
      const pair = p384KeyPair(random);
      return { privateKey: pair.privateKey.slice(), publicKey: pair.publicKey.slice() };
    },
    p384SharedSecret,
    utf8,
    fromUtf8,
    toBase64,
    fromBase64,
    concatBytes,
    wipe,
  });
}
