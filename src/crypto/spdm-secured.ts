// DSP0277 secured messages as NVIDIA's GSP frames them (no sequence number on the wire; both ends count):
// SessionID(4, LE) ‖ Length(2, LE) ‖ AES-256-GCM{AppLen(2, LE) ‖ SPDM message} ‖ MAC(16), AAD = SessionID ‖ Length,
// IV = base IV XOR the 64-bit little-endian sequence number. A replayed, reordered or dropped message therefore fails
// its tag at the receiver.
import { EmuError, assert } from '../errors.ts';
import { aes256GcmOpen, aes256GcmSeal, GCM_TAG_BYTES } from './aead.ts';
import { concatBytes } from './bytes.ts';
import type { DirectionKeys } from './spdm-key-schedule.ts';

export const SECURED_HEADER_BYTES = 6;
/** Length is a u16: AppLen(2) + message + tag must fit. */
export const SECURED_APP_BYTES_MAX = 0xffff - 2 - GCM_TAG_BYTES;
/** The sequence number is 64-bit on the wire of DSP0277; we stop at 2^53 − 1, long before any IV could repeat. */
export const SECURED_SEQUENCE_MAX = Number.MAX_SAFE_INTEGER;

/** One direction of one session: key, base IV and the next sequence number. */
export class SecuredDirection {
  readonly #key: Uint8Array;
  readonly #iv: Uint8Array;
  #sequence = 0;

  constructor(keys: DirectionKeys) {
    this.#key = keys.key.slice();
    this.#iv = keys.iv.slice();
  }

  get sequence(): number {
    return this.#sequence;
  }

  #ivFor(sequence: number): Uint8Array {
    const iv = this.#iv.slice();
    let rest = sequence;
    for (let i = 0; i < 8; i++) {
      iv[i] = iv[i]! ^ (rest % 256);
      rest = Math.floor(rest / 256);
    }
    return iv;
  }

  #checkSequence(): void {
    if (this.#sequence >= SECURED_SEQUENCE_MAX) {
      throw new EmuError('SPDM_SEQUENCE_EXHAUSTED', 'the session sequence number is exhausted: end the session');
    }
  }

  /** Seals `message` and consumes one sequence number. */
  seal(sessionId: number, message: Uint8Array): Uint8Array {
    this.#checkSequence();
    assert(message.length <= SECURED_APP_BYTES_MAX, 'secured application data too large');
    const length = 2 + message.length + GCM_TAG_BYTES;
    const head = Uint8Array.of(sessionId & 0xff, (sessionId >>> 8) & 0xff, (sessionId >>> 16) & 0xff, sessionId >>> 24, length & 0xff, length >>> 8);
    const plain = concatBytes(Uint8Array.of(message.length & 0xff, message.length >>> 8), message);
    const sealed = aes256GcmSeal(this.#key, this.#ivFor(this.#sequence), plain, head);
    this.#sequence++;
    return concatBytes(head, sealed);
  }

  /**
   * Opens a secured message for `sessionId` at the expected sequence number; the number advances only on success.
   * Errors: SPDM_MALFORMED (framing), SPDM_DECRYPT_FAILED (tag: tampered, replayed, reordered or another key).
   */
  open(sessionId: number, secured: Uint8Array): Uint8Array {
    this.#checkSequence();
    const parsed = parseSecuredHeader(secured);
    if (parsed.sessionId !== sessionId) throw new EmuError('SPDM_MALFORMED', 'secured message for another session');
    let plain: Uint8Array;
    try {
      plain = aes256GcmOpen(this.#key, this.#ivFor(this.#sequence), secured.subarray(SECURED_HEADER_BYTES), secured.subarray(0, SECURED_HEADER_BYTES));
    } catch (error) {
      if (error instanceof EmuError) throw new EmuError('SPDM_DECRYPT_FAILED', 'secured message failed its tag', { sequence: this.#sequence });
      throw error;
    }
    if (plain.length < 2) throw new EmuError('SPDM_MALFORMED', 'secured data has no AppLength');
    const appLength = plain[0]! | (plain[1]! << 8);
    if (appLength > plain.length - 2) throw new EmuError('SPDM_MALFORMED', 'secured AppLength runs past the data');
    this.#sequence++;
    // Bytes after AppLength are DSP0277 random padding: authenticated, then dropped.
    return plain.slice(2, 2 + appLength);
  }

  wipe(): void {
    this.#key.fill(0);
    this.#iv.fill(0);
  }
}

/** Session id and the declared length, checked against the message size. */
export function parseSecuredHeader(secured: Uint8Array): { sessionId: number; length: number } {
  if (secured.length < SECURED_HEADER_BYTES + 2 + GCM_TAG_BYTES) throw new EmuError('SPDM_MALFORMED', 'secured message too short');
  const sessionId = (secured[0]! | (secured[1]! << 8) | (secured[2]! << 16) | (secured[3]! << 24)) >>> 0;
  const length = secured[4]! | (secured[5]! << 8);
  if (length !== secured.length - SECURED_HEADER_BYTES) throw new EmuError('SPDM_MALFORMED', 'secured Length does not match the message');
  return { sessionId, length };
}

/** Session id = ReqSessionID | RspSessionID << 16 (research gpu-cc.md §3.1). */
export function sessionIdOf(reqSessionId: number, rspSessionId: number): number {
  return ((rspSessionId << 16) | reqSessionId) >>> 0;
}
