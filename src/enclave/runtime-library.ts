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
  parseAttestationDocument,
  pemToDer,
  secureChannelConnect,
  sha384,
  toBase64,
  utf8,
  wipe,
  type RandomSource,
  type RsaKeyPair,
} from '../crypto/index.ts';
import { EmuError } from '../errors.ts';
import type { AbiConnection, EnclaveLibrary, SecureChannelConnectOptions } from './runtime-abi.ts';
import { openSealedState, sealState, sealedStateKey } from './runtime-sealed-state.ts';

/** Any regional KMS endpoint name; keys are regional, so a genuine KMS of another region holds none of ours. */
export const KMS_SERVER_NAME_PATTERN = /^kms\.[a-z0-9-]{1,32}\.amazonaws\.com$/;
const SEEDED_BLOCKS_MAX = 2 ** 24;

/** A random stream served from blocks: `nextBlock` is called whenever the bytes of the last block are used up. */
function pooledRandomSource(nextBlock: () => Uint8Array): RandomSource {
  let pool: Uint8Array = new Uint8Array(0);
  return {
    bytes(length: number): Uint8Array {
      const out = new Uint8Array(length);
      let filled = 0;
      while (filled < length) {
        if (pool.length === 0) pool = nextBlock();
        const take = Math.min(length - filled, pool.length);
        out.set(pool.subarray(0, take), filled);
        pool = pool.subarray(take);
        filled += take;
      }
      return out;
    },
  };
}

/**
 * A deterministic random stream from seed bytes: SHA-384(label ‖ seed ‖ counter) blocks. This is what an app
 * that takes its entropy from the parent gets (PA-15): anyone holding the seed recomputes every key drawn from it.
 */
export function seededRandomSource(seed: Uint8Array): RandomSource {
  const key = seed.slice();
  let counter = 0;
  return pooledRandomSource(() => {
    if (counter >= SEEDED_BLOCKS_MAX) throw new EmuError('RANDOM_EXHAUSTED', 'the seeded stream is used up');
    const block = new Uint8Array(4);
    new DataView(block.buffer).setUint32(0, counter++);
    return sha384(concatBytes(utf8('nitro-emu seeded random v1'), key, block));
  });
}

/** The enclave's randomness: bytes from NSM GetRandom, buffered (each call yields 256 bytes). */
export function nsmRandomSource(getRandom: () => Uint8Array): RandomSource {
  return pooledRandomSource(getRandom);
}

/** A P-384 key pair, each key copied into an array of its own. */
function ownP384KeyPair(random: RandomSource): { privateKey: Uint8Array; publicKey: Uint8Array } {
  const pair = p384KeyPair(random);
  return { privateKey: pair.privateKey.slice(), publicKey: pair.publicKey.slice() };
}

/** The enclave's trusted time: the timestamp the platform signs into a fresh document from its own NSM. */
export type NsmTime = () => number;

export function nsmTimeFrom(attest: () => Uint8Array): NsmTime {
  return () => parseAttestationDocument(attest()).doc.timestamp;
}

async function connectSecure(connection: AbiConnection, options: SecureChannelConnectOptions, nowMs: NsmTime): Promise<AbiConnection> {
  let pinnedRootDer: Uint8Array | null = null;
  if (options.pinnedRootPem !== null) {
    const roots = pemToDer(options.pinnedRootPem);
    if (roots.length !== 1) throw new EmuError('SCHAN_CERTIFICATE', `the pinned root PEM holds ${roots.length} certificates, not 1`);
    pinnedRootDer = roots[0]!;
  }
  const channel = await secureChannelConnect(connection, {
    random: options.random,
    pinnedRootDer,
    serverName: options.serverName ?? KMS_SERVER_NAME_PATTERN,
    atMs: options.pinnedRootPem === null ? 0 : nowMs(),
  });
  return Object.freeze({ send: (m: Uint8Array) => channel.send(m), receive: () => channel.receive(), close: () => channel.close() });
}

export function createEnclaveLibrary(getRandom: () => Uint8Array, nowMs: NsmTime = () => 0): EnclaveLibrary {
  return Object.freeze({
    randomFromNsm: () => nsmRandomSource(getRandom),
    randomFromSeed: (seed: Uint8Array) => seededRandomSource(seed),
    secureChannelConnect: (connection: AbiConnection, options: SecureChannelConnectOptions) => connectSecure(connection, options, nowMs),
    sealedStateKey,
    sealState: (key: Uint8Array, version: number, data: Uint8Array, random: RandomSource) => sealState(key, version, data, random),
    openSealedState,
    generateRsaKeyPair: (random: RandomSource, bits: number) => generateRsaKeyPair(random, bits),
    openEnvelopedData,
    decryptFramed,
    aes256GcmSeal,
    aes256GcmOpen,
    hkdfSha384,
    p384KeyPair: (random: RandomSource) => ownP384KeyPair(random),
    p384SharedSecret,
    utf8,
    fromUtf8,
    toBase64,
    fromBase64,
    concatBytes,
    wipe,
  });
}

/**
 * The keys the default app draws first from a seeded stream (appEntropyFromNsm off), in its order: the RSA-2048
 * recipient key, then the first KMS channel's ephemeral P-384 key. Whoever supplied the seed (the parent)
 * recomputes them with this: the point of PA-15's negative control.
 */
export function defaultAppKeysFromSeed(seed: Uint8Array): { recipientKey: RsaKeyPair; firstChannelKey: { privateKey: Uint8Array; publicKey: Uint8Array } } {
  const random = seededRandomSource(seed);
  const recipientKey = generateRsaKeyPair(random, 2048);
  return { recipientKey, firstChannelKey: ownP384KeyPair(random) };
}
