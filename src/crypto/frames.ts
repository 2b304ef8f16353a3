import type { RandomSource } from './bytes.ts';

/**
 * Weights at rest: a framed AES-256-GCM format in the spirit of the AWS Encryption SDK's framed messages.
 * A header (magic, version, message id, frame length, header tag) then fixed-size frames; each frame's AAD binds
 * the message id, its sequence number and a final-frame flag, so truncation, reordering, frame swaps between
 * messages and appended frames are detected and no unauthenticated plaintext is ever released.
 */
export interface FramedHeader {
  readonly version: number;
  readonly messageId: Uint8Array;
  readonly frameLength: number;
}

export function encryptFramed(
  plaintext: Uint8Array,
  key: Uint8Array,
  options: { readonly random: RandomSource; readonly frameLength?: number; readonly aad?: Uint8Array },
): Uint8Array {
  throw new Error('TODO');
}

/** Yields each frame's plaintext only after its tag verified. Errors FRAME_MALFORMED, FRAME_AUTH_FAILED, FRAME_TRUNCATED, FRAME_TRAILING_DATA. */
export function* decryptFramedStream(
  sealed: Uint8Array,
  key: Uint8Array,
  aad?: Uint8Array,
): Generator<Uint8Array, FramedHeader, void> {
  throw new Error('TODO');
}

export function decryptFramed(sealed: Uint8Array, key: Uint8Array, aad?: Uint8Array): Uint8Array {
  throw new Error('TODO');
}
