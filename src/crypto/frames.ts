import { EmuError, assert } from '../errors.ts';
import { aes256GcmOpen, aes256GcmSeal } from './aead.ts';
import { type RandomSource, concatBytes, equalBytes, wipe } from './bytes.ts';
import {
  CALLER_AAD_BYTES_MAX,
  FINAL_FRAME_MARKER,
  FRAME_LENGTH_DEFAULT,
  FRAME_LENGTH_MAX,
  FRAME_LENGTH_MIN,
  FRAMES_VERSION,
  HEADER_BYTES,
  IV_BYTES,
  MESSAGE_ID_BYTES,
  TAG_BYTES,
  type FramesLayout,
  decodeHeader,
  deriveMessageKey,
  encodeHeaderBody,
  frameAad,
  frameIv,
  framesLayout,
} from './frames-format.ts';

/**
 * Weights at rest: a framed AES-256-GCM format in the spirit of the AWS Encryption SDK's framed messages.
 * A header (magic, version, message id, frame length, header tag) then fixed-size frames; each frame's AAD binds
 * the message id, its sequence number and a final-frame flag, so truncation, reordering, frame swaps between
 * messages and appended frames are detected and no unauthenticated plaintext is ever released.
 * The byte layout is described in frames-format.ts.
 */
export interface FramedHeader {
  readonly version: number;
  readonly messageId: Uint8Array;
  readonly frameLength: number;
}

const DATA_KEY_BYTES = 32;

function checkKey(key: Uint8Array): void {
  if (key.length !== DATA_KEY_BYTES) {
    throw new EmuError('FRAME_BAD_KEY', `framed messages need a ${DATA_KEY_BYTES}-byte data key`, {
      keyBytes: key.length,
    });
  }
}

function checkAad(aad: Uint8Array): void {
  if (aad.length > CALLER_AAD_BYTES_MAX) {
    throw new EmuError('FRAME_BAD_OPTIONS', `AAD of ${aad.length} bytes exceeds ${CALLER_AAD_BYTES_MAX}`);
  }
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

export function encryptFramed(
  plaintext: Uint8Array,
  key: Uint8Array,
  options: { readonly random: RandomSource; readonly frameLength?: number; readonly aad?: Uint8Array },
): Uint8Array {
  checkKey(key);
  const aad = options.aad ?? new Uint8Array(0);
  checkAad(aad);
  const frameLength = options.frameLength ?? FRAME_LENGTH_DEFAULT;
  const layout = framesLayout(frameLength, plaintext.length);
  if (layout === undefined) {
    throw new EmuError('FRAME_BAD_OPTIONS', `frame length must be an integer in ${FRAME_LENGTH_MIN}..${FRAME_LENGTH_MAX}`, {
      frameLength,
    });
  }
  const messageId = options.random.bytes(MESSAGE_ID_BYTES);
  const messageKey = deriveMessageKey(key, messageId);
  try {
    const out = new Uint8Array(layout.sealedLength);
    const headerBody = encodeHeaderBody(messageId, layout);
    out.set(headerBody, 0);
    out.set(aes256GcmSeal(messageKey, frameIv(0), new Uint8Array(0), concatBytes(headerBody, aad)), headerBody.length);
    let offset = HEADER_BYTES;
    for (let seq = 1; seq <= layout.frameCount; seq++) {
      const final = seq === layout.frameCount;
      const start = (seq - 1) * frameLength;
      const contentLength = final ? layout.finalContentLength : frameLength;
      const iv = frameIv(seq);
      if (final) {
        out.set(u32(FINAL_FRAME_MARKER), offset);
        offset += 4;
      }
      out.set(u32(seq), offset);
      out.set(iv, offset + 4);
      offset += 4 + IV_BYTES;
      if (final) {
        out.set(u32(contentLength), offset);
        offset += 4;
      }
      const content = plaintext.subarray(start, start + contentLength);
      const sealed = aes256GcmSeal(messageKey, iv, content, frameAad(messageId, seq, final, contentLength, aad));
      out.set(sealed, offset);
      offset += sealed.length;
    }
    assert(offset === layout.sealedLength, 'framed layout mismatch');
    return out;
  } finally {
    wipe(messageKey);
  }
}

function authFailed(message: string, details?: Record<string, unknown>): EmuError {
  return new EmuError('FRAME_AUTH_FAILED', message, details);
}

function readU32(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset + offset, 4).getUint32(0);
}

/** Opens frame `seq` at `offset`; returns its plaintext and the offset after it. */
function openFrame(
  sealed: Uint8Array,
  offset: number,
  seq: number,
  layout: FramesLayout,
  messageKey: Uint8Array,
  messageId: Uint8Array,
  aad: Uint8Array,
): { plaintext: Uint8Array; next: number } {
  const final = seq === layout.frameCount;
  let cursor = offset;
  if (final) {
    if (readU32(sealed, cursor) !== FINAL_FRAME_MARKER) throw authFailed('final frame missing', { seq });
    cursor += 4;
  }
  const storedSeq = readU32(sealed, cursor);
  if (storedSeq !== seq) throw authFailed('frame out of sequence', { expected: seq, found: storedSeq });
  const iv = frameIv(seq);
  if (!equalBytes(sealed.subarray(cursor + 4, cursor + 4 + IV_BYTES), iv)) {
    throw authFailed('frame IV differs from the one its sequence number implies', { seq });
  }
  cursor += 4 + IV_BYTES;
  const contentLength = final ? layout.finalContentLength : layout.frameLength;
  if (final) {
    const storedLength = readU32(sealed, cursor);
    if (storedLength !== contentLength) {
      throw authFailed('final frame length disagrees with the header', { expected: contentLength, found: storedLength });
    }
    cursor += 4;
  }
  const body = sealed.subarray(cursor, cursor + contentLength + TAG_BYTES);
  let plaintext: Uint8Array;
  try {
    plaintext = aes256GcmOpen(messageKey, iv, body, frameAad(messageId, seq, final, contentLength, aad));
  } catch (error) {
    if (error instanceof EmuError && error.code === 'AEAD_AUTH_FAILED') throw authFailed('frame tag mismatch', { seq });
    throw error;
  }
  return { plaintext, next: cursor + body.length };
}

/** Yields each frame's plaintext only after its tag verified. Errors FRAME_MALFORMED, FRAME_AUTH_FAILED, FRAME_TRUNCATED, FRAME_TRAILING_DATA. */
export function* decryptFramedStream(
  sealed: Uint8Array,
  key: Uint8Array,
  aad?: Uint8Array,
): Generator<Uint8Array, FramedHeader, void> {
  checkKey(key);
  const callerAad = aad ?? new Uint8Array(0);
  checkAad(callerAad);
  const header = decodeHeader(sealed);
  const { layout, messageId } = header;
  const messageKey = deriveMessageKey(key, messageId);
  try {
    try {
      aes256GcmOpen(messageKey, frameIv(0), header.tag, concatBytes(header.body, callerAad));
    } catch (error) {
      if (error instanceof EmuError && error.code === 'AEAD_AUTH_FAILED') {
        throw authFailed('header tag mismatch: wrong key, wrong AAD or a modified header');
      }
      throw error;
    }
    // The header is authentic, so its lengths fix the exact size of the message.
    if (sealed.length < layout.sealedLength) {
      throw new EmuError('FRAME_TRUNCATED', `message is ${layout.sealedLength - sealed.length} bytes short`, {
        expectedBytes: layout.sealedLength,
        foundBytes: sealed.length,
      });
    }
    if (sealed.length > layout.sealedLength) {
      throw new EmuError('FRAME_TRAILING_DATA', `${sealed.length - layout.sealedLength} bytes after the final frame`);
    }
    let offset = HEADER_BYTES;
    for (let seq = 1; seq <= layout.frameCount; seq++) {
      const frame = openFrame(sealed, offset, seq, layout, messageKey, messageId, callerAad);
      offset = frame.next;
      yield frame.plaintext;
    }
    return { version: FRAMES_VERSION, messageId, frameLength: layout.frameLength };
  } finally {
    // Runs on errors and when the consumer stops early too.
    wipe(messageKey);
  }
}

export function decryptFramed(sealed: Uint8Array, key: Uint8Array, aad?: Uint8Array): Uint8Array {
  const chunks: Uint8Array[] = [];
  try {
    for (const chunk of decryptFramedStream(sealed, key, aad)) chunks.push(chunk);
    return concatBytes(...chunks);
  } finally {
    for (const chunk of chunks) wipe(chunk);
  }
}
