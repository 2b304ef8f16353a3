/**
 * Sealed state the enclave keeps on the parent's disk: AES-256-GCM under a key the app derives from its KMS data
 * key, with the state's version in the header and in the AAD. The parent can keep, drop or replay blobs but cannot
 * read, alter or re-version one; whether an old (well-formed) blob is refused is the app's check against the
 * platform's monotonic counter (runtime-counter.ts).
 *
 *   "NESS" ‖ version u32 BE ‖ IV (12) ‖ ciphertext ‖ tag (16)
 */
import { EmuError } from '../errors.ts';
import { aes256GcmOpen, aes256GcmSeal, concatBytes, equalBytes, hkdfSha384, utf8, type RandomSource } from '../crypto/index.ts';

const MAGIC = utf8('NESS');
const HEADER_BYTES = 4 + 4 + 12;
export const SEALED_STATE_BYTES_MAX = 64 * 1024;
const AAD_LABEL = utf8('nitro-emu sealed state v1');

function aad(version: number): Uint8Array {
  const v = new Uint8Array(4);
  new DataView(v.buffer).setUint32(0, version);
  return concatBytes(AAD_LABEL, v);
}

/** The sealing key: bound to the data key and a purpose label, so it is never the weights key itself. */
export function sealedStateKey(dataKey: Uint8Array): Uint8Array {
  return hkdfSha384(dataKey, utf8('nitro-emu sealed state v1'), utf8('state key'), 32);
}

export function sealState(key: Uint8Array, version: number, data: Uint8Array, random: RandomSource): Uint8Array {
  if (!Number.isSafeInteger(version) || version < 0 || version > 0xffff_ffff) {
    throw new EmuError('SEALED_STATE_BAD_VERSION', `version ${version} is not a u32`);
  }
  if (data.length > SEALED_STATE_BYTES_MAX) throw new EmuError('SEALED_STATE_TOO_LARGE', `state of ${data.length} bytes is too large`);
  const iv = random.bytes(12);
  const head = new Uint8Array(HEADER_BYTES);
  head.set(MAGIC, 0);
  new DataView(head.buffer).setUint32(4, version);
  head.set(iv, 8);
  return concatBytes(head, aes256GcmSeal(key, iv, data, aad(version)));
}

/** Opens a blob; the version it returns is authenticated (a relabelled blob fails). Errors: SEALED_STATE_*. */
export function openSealedState(key: Uint8Array, blob: Uint8Array): { version: number; data: Uint8Array } {
  if (blob.length < HEADER_BYTES + 16 || blob.length > HEADER_BYTES + 16 + SEALED_STATE_BYTES_MAX || !equalBytes(blob.subarray(0, 4), MAGIC)) {
    throw new EmuError('SEALED_STATE_MALFORMED', 'not a sealed-state blob');
  }
  const version = new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getUint32(4);
  try {
    return { version, data: aes256GcmOpen(key, blob.slice(8, HEADER_BYTES), blob.subarray(HEADER_BYTES), aad(version)) };
  } catch (error) {
    if (error instanceof EmuError) throw new EmuError('SEALED_STATE_AUTH_FAILED', 'the sealed state was altered or sealed under another key');
    throw error;
  }
}
