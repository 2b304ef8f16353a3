import { EmuError, assert } from '../errors.ts';
import type { RandomSource } from './bytes.ts';
import { sha256 } from './hash.ts';

const HASH_BYTES = 32;
/** SHA-256 of the empty label (RFC 8017 §7.1.1 step 2a). */
const EMPTY_LABEL_HASH = sha256(new Uint8Array(0));

/** MGF1 with SHA-256 (RFC 8017 B.2.1). */
export function mgf1Sha256(seed: Uint8Array, length: number): Uint8Array {
  assert(Number.isSafeInteger(length) && length >= 0 && length <= 1 << 16, `bad MGF1 length ${length}`);
  const out = new Uint8Array(length);
  const input = new Uint8Array(seed.length + 4);
  input.set(seed);
  const view = new DataView(input.buffer);
  for (let counter = 0, offset = 0; offset < length; counter++, offset += HASH_BYTES) {
    view.setUint32(seed.length, counter);
    const block = sha256(input);
    out.set(block.subarray(0, Math.min(HASH_BYTES, length - offset)), offset);
  }
  input.fill(0);
  return out;
}

/** Largest message RSAES-OAEP-SHA256 carries in a k-byte modulus. */
export function oaepSha256MessageBytesMax(k: number): number {
  return k - 2 * HASH_BYTES - 2;
}

/**
 * EME-OAEP encoding (RFC 8017 §7.1.1 step 2) with SHA-256, MGF1-SHA-256 and the empty label. The seed is drawn
 * from `random` so that a simulator seed reproduces the ciphertext. Returns EM of k bytes; the caller wipes it.
 */
export function oaepSha256Encode(message: Uint8Array, k: number, random: RandomSource): Uint8Array {
  const messageBytesMax = oaepSha256MessageBytesMax(k);
  if (message.length > messageBytesMax) {
    throw new EmuError('RSA_MESSAGE_TOO_LONG', `OAEP-SHA256 carries at most ${messageBytesMax} bytes here`, {
      messageBytes: message.length,
    });
  }
  const dbLength = k - HASH_BYTES - 1;
  // DB = lHash ‖ PS (zeros) ‖ 0x01 ‖ M
  const db = new Uint8Array(dbLength);
  db.set(EMPTY_LABEL_HASH, 0);
  db[dbLength - message.length - 1] = 0x01;
  db.set(message, dbLength - message.length);
  const seed = random.bytes(HASH_BYTES);
  assert(seed.length === HASH_BYTES, 'random source returned a short seed');
  const dbMask = mgf1Sha256(seed, dbLength);
  for (let i = 0; i < dbLength; i++) db[i] = db[i]! ^ dbMask[i]!;
  const seedMask = mgf1Sha256(db, HASH_BYTES);
  const em = new Uint8Array(k);
  for (let i = 0; i < HASH_BYTES; i++) em[1 + i] = seed[i]! ^ seedMask[i]!;
  em.set(db, 1 + HASH_BYTES);
  seed.fill(0);
  db.fill(0);
  dbMask.fill(0);
  return em;
}
