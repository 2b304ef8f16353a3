import { EmuError, assert } from '../../errors.ts';

// Length hiding for sealed data packets (NET-10). The real length travels inside the ciphertext as a 4-byte prefix,
// so the wire shows only the size class; the receiver strips prefix and padding after the tag check, so a forged
// length can never reach it.

/** A claimed padding policy: every sealed payload's plaintext is grown to the smallest of these sizes that fits. */
export interface PaddingPolicy {
  /** Ascending size classes in bytes (prefix included); beyond the largest, whole multiples of it. */
  readonly bucketsBytes: readonly number[];
}

export const PADDING_PREFIX_BYTES = 4;
const BUCKETS_MAX = 64;
const BUCKET_BYTES_MAX = 1 << 24;

/** A one-class policy: every data packet the size of a full MTU (the strongest claim, and the simplest to check). */
export function mtuPadding(mtuPayloadBytes: number): PaddingPolicy {
  return { bucketsBytes: [mtuPayloadBytes + PADDING_PREFIX_BYTES] };
}

export function checkPaddingPolicy(policy: PaddingPolicy): void {
  const b = policy.bucketsBytes;
  assert(b.length >= 1 && b.length <= BUCKETS_MAX, `a padding policy has 1..${BUCKETS_MAX} size classes`);
  for (let i = 0; i < b.length; i++) {
    const size = b[i]!;
    assert(Number.isSafeInteger(size) && size > PADDING_PREFIX_BYTES && size <= BUCKET_BYTES_MAX, `bad padding size class ${size}`);
    assert(i === 0 || size > b[i - 1]!, 'padding size classes must be strictly ascending');
  }
}

/** The padded plaintext size for a payload of `payloadBytes`: what a wire observer can learn, and all it learns. */
export function paddedBytes(policy: PaddingPolicy, payloadBytes: number): number {
  const needed = payloadBytes + PADDING_PREFIX_BYTES;
  for (const size of policy.bucketsBytes) if (size >= needed) return size;
  const largest = policy.bucketsBytes[policy.bucketsBytes.length - 1]!;
  return Math.ceil(needed / largest) * largest;
}

/** prefix(u32 length) ‖ payload ‖ zeros, to the policy's size class. */
export function pad(policy: PaddingPolicy, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(paddedBytes(policy, payload.length));
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, PADDING_PREFIX_BYTES);
  return out;
}

/**
 * The payload inside a padded plaintext. Only ever called on authenticated bytes: a failure here means the peer runs
 * another padding policy (misconfiguration), not an attack, and it is refused rather than guessed at.
 */
export function unpad(policy: PaddingPolicy, padded: Uint8Array): Uint8Array {
  if (padded.length < PADDING_PREFIX_BYTES) throw new EmuError('LINK_BAD_PADDING', 'padded payload shorter than its length prefix', { bytes: padded.length });
  const length = new DataView(padded.buffer, padded.byteOffset, padded.byteLength).getUint32(0);
  if (length > padded.length - PADDING_PREFIX_BYTES || paddedBytes(policy, length) !== padded.length) {
    throw new EmuError('LINK_BAD_PADDING', 'padded payload does not match the padding policy', { bytes: padded.length, claimed: length });
  }
  for (let i = PADDING_PREFIX_BYTES + length; i < padded.length; i++) {
    if (padded[i] !== 0) throw new EmuError('LINK_BAD_PADDING', 'non-zero padding', { at: i });
  }
  return padded.slice(PADDING_PREFIX_BYTES, PADDING_PREFIX_BYTES + length);
}
