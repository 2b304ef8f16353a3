/**
 * Record layer of the nitro-emu secure channel (TLS-like, not TLS; see secure-channel.ts). Each direction has
 * its own key and IV, so a record reflected back to its sender never opens. Every record's nonce is the
 * direction's IV XOR a 64-bit sequence number that both ends count implicitly, and the header (with that
 * sequence number) is the AAD: a replayed, reordered, dropped or altered record fails authentication.
 * The content type travels inside the ciphertext (as in TLS 1.3), so a close cannot be forged or stripped
 * unnoticed.
 */
import { EmuError, assert } from '../errors.ts';
import { aes256GcmOpen, aes256GcmSeal } from './aead.ts';
import { concatBytes, wipe } from './bytes.ts';

export const RECORD_TYPE_BYTE = 0x17;
export const CONTENT_DATA = 0x01;
export const CONTENT_CLOSE = 0x02;
/** Bounds one record; callers split larger messages (KMS requests are a few KiB). */
export const RECORD_PLAINTEXT_BYTES_MAX = 1 << 20;
const HEADER_BYTES = 7;
const TAG_BYTES = 16;
/** Far below 2^64; GCM under one key must also stay well below 2^32 invocations with random-ish IVs. */
export const RECORD_SEQUENCE_MAX = 2 ** 32;

export interface DirectionKeys {
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
}

function header(protocolVersion: number, bodyBytes: number): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES);
  const view = new DataView(out.buffer);
  out[0] = RECORD_TYPE_BYTE;
  view.setUint16(1, protocolVersion);
  view.setUint32(3, bodyBytes);
  return out;
}

function nonceFor(iv: Uint8Array, sequence: number): Uint8Array {
  const nonce = iv.slice();
  const seq = new Uint8Array(8);
  new DataView(seq.buffer).setBigUint64(0, BigInt(sequence));
  for (let i = 0; i < 8; i++) nonce[4 + i]! ^= seq[i]!;
  return nonce;
}

function aadFor(head: Uint8Array, sequence: number): Uint8Array {
  const seq = new Uint8Array(8);
  new DataView(seq.buffer).setBigUint64(0, BigInt(sequence));
  return concatBytes(head, seq);
}

/** One direction's protection: seals in order, or opens in order. Not reusable across directions. */
export class RecordProtector {
  readonly #keys: DirectionKeys;
  readonly #protocolVersion: number;
  #sequence = 0;

  constructor(keys: DirectionKeys, protocolVersion: number) {
    assert(keys.key.length === 32 && keys.iv.length === 12, 'record keys are AES-256 with a 12-byte IV');
    this.#keys = { key: keys.key.slice(), iv: keys.iv.slice() };
    this.#protocolVersion = protocolVersion;
  }

  get sequence(): number {
    return this.#sequence;
  }

  seal(contentType: number, data: Uint8Array): Uint8Array {
    if (data.length > RECORD_PLAINTEXT_BYTES_MAX) {
      throw new EmuError('SCHAN_RECORD_TOO_LARGE', `a record holds at most ${RECORD_PLAINTEXT_BYTES_MAX} bytes, got ${data.length}`);
    }
    this.#advance();
    const inner = concatBytes(data, Uint8Array.of(contentType));
    const head = header(this.#protocolVersion, inner.length + TAG_BYTES);
    const sequence = this.#sequence - 1;
    const body = aes256GcmSeal(this.#keys.key, nonceFor(this.#keys.iv, sequence), inner, aadFor(head, sequence));
    wipe(inner);
    return concatBytes(head, body);
  }

  /** Opens the next record in sequence; returns its content type and data. */
  open(record: Uint8Array): { contentType: number; data: Uint8Array } {
    if (record.length < HEADER_BYTES + TAG_BYTES + 1 || record[0] !== RECORD_TYPE_BYTE) {
      throw new EmuError('SCHAN_BAD_RECORD', 'not a secure-channel record', { bytes: record.length });
    }
    const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
    if (view.getUint16(1) !== this.#protocolVersion) {
      throw new EmuError('SCHAN_BAD_RECORD', `record version ${view.getUint16(1)} is not the session's ${this.#protocolVersion}`);
    }
    if (view.getUint32(3) !== record.length - HEADER_BYTES) {
      throw new EmuError('SCHAN_BAD_RECORD', 'record length does not match its header (truncated or padded)');
    }
    const sequence = this.#sequence;
    let inner: Uint8Array;
    try {
      inner = aes256GcmOpen(
        this.#keys.key,
        nonceFor(this.#keys.iv, sequence),
        record.subarray(HEADER_BYTES),
        aadFor(record.subarray(0, HEADER_BYTES), sequence),
      );
    } catch (error) {
      if (error instanceof EmuError) {
        throw new EmuError('SCHAN_RECORD_AUTH', 'record failed authentication (tampered, replayed, reordered or reflected)', {
          sequence,
        });
      }
      throw error;
    }
    // Only an authenticated record moves the sequence on: a rejected one changes nothing.
    this.#advance();
    const contentType = inner[inner.length - 1]!;
    if (contentType !== CONTENT_DATA && contentType !== CONTENT_CLOSE) {
      throw new EmuError('SCHAN_BAD_RECORD', `unknown content type ${contentType}`);
    }
    return { contentType, data: inner.subarray(0, inner.length - 1) };
  }

  #advance(): void {
    if (this.#sequence >= RECORD_SEQUENCE_MAX) {
      throw new EmuError('SCHAN_SEQUENCE_EXHAUSTED', 'the session sent its maximum number of records: open a new one');
    }
    this.#sequence++;
  }

  destroy(): void {
    wipe(this.#keys.key);
    wipe(this.#keys.iv);
  }
}
