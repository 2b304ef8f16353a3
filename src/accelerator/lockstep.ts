import { aes256GcmOpen, aes256GcmSeal } from '../crypto/index.ts';
import { EmuError, isEmuError } from '../errors.ts';
import { type ChannelLabel, type ChannelKey, deriveChannelKey } from './channel-keys.ts';

/**
 * One direction of one channel. Sender and receiver each hold an instance and advance the same counter, so the
 * receiver never takes an IV from the wire: a replayed, reordered or dropped buffer meets the wrong expected IV and
 * fails the tag (research/gpu-cc.md §1.5). Rotation happens at the same op/byte count on both sides.
 */
export interface LockstepLimits {
  /** Hard cap on the counter; reaching it is an error, never a wrap (IV reuse breaks GCM). */
  readonly counterMax: bigint;
  readonly rotateAfterOps: number;
  readonly rotateAfterBytes: number;
}

export const DEFAULT_LIMITS: LockstepLimits = {
  counterMax: (1n << 64n) - 1n,
  rotateAfterOps: 1 << 20,
  rotateAfterBytes: 2 ** 40,
};

export interface LockstepState {
  readonly generation: number;
  readonly counter: bigint;
  readonly opsThisKey: number;
  readonly bytesThisKey: number;
  readonly failures: number;
}

function ivFor(counter: bigint, mask: Uint8Array): Uint8Array {
  const iv = new Uint8Array(12);
  let rest = counter;
  for (let i = 11; i >= 0; i--) {
    iv[i] = Number(rest & 0xffn) ^ (mask[i] ?? 0);
    rest >>= 8n;
  }
  return iv;
}

export class LockstepChannel {
  readonly label: ChannelLabel;
  private readonly secret: Uint8Array;
  private readonly limits: LockstepLimits;
  private key: ChannelKey;
  private counter = 0n;
  private opsThisKey = 0;
  private bytesThisKey = 0;
  private failures = 0;

  constructor(sessionSecret: Uint8Array, label: ChannelLabel, limits: LockstepLimits = DEFAULT_LIMITS) {
    this.label = label;
    this.secret = sessionSecret.slice();
    this.limits = limits;
    this.key = deriveChannelKey(this.secret, label, 0);
  }

  state(): LockstepState {
    return {
      generation: this.key.generation,
      counter: this.counter,
      opsThisKey: this.opsThisKey,
      bytesThisKey: this.bytesThisKey,
      failures: this.failures,
    };
  }

  /** Sender side: encrypts under the next IV and advances. */
  seal(plaintext: Uint8Array): Uint8Array {
    const iv = this.nextIv();
    const sealed = aes256GcmSeal(this.key.key, iv, plaintext, this.aad());
    this.advance(plaintext.length);
    return sealed;
  }

  /** Receiver side: opens with the expected IV. On failure nothing advances and only the failure count changes. */
  open(sealed: Uint8Array): Uint8Array {
    const iv = this.nextIv();
    let plaintext: Uint8Array;
    try {
      plaintext = aes256GcmOpen(this.key.key, iv, sealed, this.aad());
    } catch (error) {
      if (!isEmuError(error, 'AEAD_AUTH_FAILED')) throw error;
      this.failures++;
      throw new EmuError('ACCEL_TAG_MISMATCH', `${this.label}: staging buffer failed the tag check`, {
        expectedCounter: this.counter.toString(),
        generation: this.key.generation,
      });
    }
    this.advance(plaintext.length);
    return plaintext;
  }

  private aad(): Uint8Array {
    // Binds the buffer to its channel, so an h2d buffer cannot be fed to the scrubber channel.
    return new TextEncoder().encode(this.label);
  }

  private nextIv(): Uint8Array {
    if (this.counter >= this.limits.counterMax) {
      throw new EmuError('ACCEL_COUNTER_EXHAUSTED', `${this.label}: IV counter exhausted`, {
        counter: this.counter.toString(),
      });
    }
    return ivFor(this.counter, this.key.ivMask);
  }

  private advance(bytes: number): void {
    this.counter++;
    this.opsThisKey++;
    this.bytesThisKey += bytes;
    if (this.opsThisKey >= this.limits.rotateAfterOps || this.bytesThisKey >= this.limits.rotateAfterBytes) {
      this.key = deriveChannelKey(this.secret, this.label, this.key.generation + 1);
      this.opsThisKey = 0;
      this.bytesThisKey = 0;
    }
  }
}
