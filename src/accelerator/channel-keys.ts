import { hkdfSha384 } from '../crypto/index.ts';
import { EmuError } from '../errors.ts';

/**
 * Per-channel, per-direction keys. NVIDIA copies the SPDM export master key into a keystore and expands one key per
 * channel and direction by label, plus a GSP-supplied IV mask beside each key (research/gpu-cc.md §1.4). We expand
 * both key and mask with HKDF-SHA384 from the session secret; the key generation goes into the label so a rotation
 * yields unrelated keys on both sides without another exchange.
 */
export const CHANNEL_LABELS = ['h2d-data', 'd2h-data', 'scrubber'] as const;
export type ChannelLabel = (typeof CHANNEL_LABELS)[number];

export interface ChannelKey {
  readonly key: Uint8Array;
  readonly ivMask: Uint8Array;
  readonly generation: number;
}

const SESSION_SECRET_BYTES_MIN = 32;
const encoder = new TextEncoder();

export function deriveChannelKey(sessionSecret: Uint8Array, label: ChannelLabel, generation: number): ChannelKey {
  if (sessionSecret.length < SESSION_SECRET_BYTES_MIN) {
    throw new EmuError('ACCEL_BAD_SESSION_SECRET', `session secret must be at least ${SESSION_SECRET_BYTES_MIN} bytes`, {
      secretBytes: sessionSecret.length,
    });
  }
  if (!Number.isSafeInteger(generation) || generation < 0) {
    throw new EmuError('ACCEL_BAD_GENERATION', 'key generation must be a non-negative integer', { generation });
  }
  const salt = new Uint8Array(0);
  const okm = hkdfSha384(sessionSecret, salt, encoder.encode(`nitro-emu accel ${label} gen ${generation}`), 32 + 12);
  const key = okm.slice(0, 32);
  // An all-zero key means a broken keystore; NVIDIA treats it as fatal too.
  if (key.every((b) => b === 0)) throw new EmuError('ACCEL_ZERO_KEY', 'derived an all-zero channel key');
  return { key, ivMask: okm.slice(32, 44), generation };
}
