import { EmuError, assert } from '../errors.ts';
import { concatBytes, utf8 } from './bytes.ts';
import { hkdfSha384 } from './aead.ts';

// Byte layout of framed weights (all integers big-endian), after the AWS Encryption SDK's framed body:
//
//   header  = "NEW1" ‖ version u8 (1) ‖ messageId[16] ‖ frameLength u32 ‖ plaintextLength u64 ‖ headerTag[16]
//   frame   = seq u32 ‖ iv[12] ‖ ciphertext[frameLength] ‖ tag[16]                      (seq = 1, 2, …)
//   final   = 0xFFFFFFFF ‖ seq u32 ‖ iv[12] ‖ contentLength u32 ‖ ciphertext[contentLength] ‖ tag[16]
//
// Every message ends with exactly one final frame (empty when the plaintext is), so frameCount =
// max(1, ceil(plaintextLength / frameLength)). Keys: messageKey = HKDF-SHA384(dataKey, salt = messageId,
// info = label), so each message has its own key and IVs never repeat under one key even though they are
// derived: iv(seq) = 0^8 ‖ seq u32, with seq 0 reserved for the header tag (GCM over the empty plaintext with
// the header as AAD). The stored IV is redundant and must equal the derived one. Frame AAD = messageId ‖ seq ‖
// final flag ‖ contentLength ‖ caller AAD: a frame moved to another position, another message or across the
// final boundary fails its tag. plaintextLength in the authenticated header fixes the exact sealed size, so
// truncation and appended bytes are caught before any plaintext is released.

export const FRAMES_MAGIC = utf8('NEW1');
export const FRAMES_VERSION = 1;
export const MESSAGE_ID_BYTES = 16;
export const FRAME_LENGTH_MIN = 1024;
export const FRAME_LENGTH_MAX = 1024 * 1024;
export const FRAME_LENGTH_DEFAULT = 64 * 1024;
/** seq is a u32 and 0xFFFFFFFF marks the final frame, 0 the header. */
export const FRAME_COUNT_MAX = 2 ** 32 - 2;
export const FINAL_FRAME_MARKER = 0xffffffff;
export const CALLER_AAD_BYTES_MAX = 64 * 1024;
export const TAG_BYTES = 16;
export const IV_BYTES = 12;

export const HEADER_BODY_BYTES = 4 + 1 + MESSAGE_ID_BYTES + 4 + 8;
export const HEADER_BYTES = HEADER_BODY_BYTES + TAG_BYTES;
/** seq ‖ iv ‖ … ‖ tag */
export const FRAME_OVERHEAD_BYTES = 4 + IV_BYTES + TAG_BYTES;
/** marker ‖ seq ‖ iv ‖ contentLength ‖ … ‖ tag */
export const FINAL_FRAME_OVERHEAD_BYTES = 4 + 4 + IV_BYTES + 4 + TAG_BYTES;

const MESSAGE_KEY_LABEL = utf8('nitro-emu/frames/v1 message key');

export interface FramesLayout {
  readonly frameLength: number;
  readonly plaintextLength: number;
  readonly frameCount: number;
  readonly finalContentLength: number;
  readonly sealedLength: number;
}

/** The one layout a (frameLength, plaintextLength) pair allows; undefined when out of bounds. */
export function framesLayout(frameLength: number, plaintextLength: number): FramesLayout | undefined {
  if (!Number.isSafeInteger(frameLength) || frameLength < FRAME_LENGTH_MIN || frameLength > FRAME_LENGTH_MAX) {
    return undefined;
  }
  if (!Number.isSafeInteger(plaintextLength) || plaintextLength < 0) return undefined;
  const frameCount = Math.max(1, Math.ceil(plaintextLength / frameLength));
  if (frameCount > FRAME_COUNT_MAX) return undefined;
  const finalContentLength = plaintextLength - (frameCount - 1) * frameLength;
  const sealedLength =
    HEADER_BYTES +
    (frameCount - 1) * (FRAME_OVERHEAD_BYTES + frameLength) +
    FINAL_FRAME_OVERHEAD_BYTES +
    finalContentLength;
  if (!Number.isSafeInteger(sealedLength)) return undefined;
  return { frameLength, plaintextLength, frameCount, finalContentLength, sealedLength };
}

export function deriveMessageKey(dataKey: Uint8Array, messageId: Uint8Array): Uint8Array {
  assert(messageId.length === MESSAGE_ID_BYTES, 'message id length');
  return hkdfSha384(dataKey, messageId, MESSAGE_KEY_LABEL, 32);
}

export function frameIv(seq: number): Uint8Array {
  assert(Number.isInteger(seq) && seq >= 0 && seq <= FRAME_COUNT_MAX, `bad sequence number ${seq}`);
  const iv = new Uint8Array(IV_BYTES);
  new DataView(iv.buffer).setUint32(8, seq);
  return iv;
}

export function frameAad(
  messageId: Uint8Array,
  seq: number,
  final: boolean,
  contentLength: number,
  callerAad: Uint8Array,
): Uint8Array {
  const fixed = new Uint8Array(4 + 1 + 4);
  const view = new DataView(fixed.buffer);
  view.setUint32(0, seq);
  view.setUint8(4, final ? 1 : 0);
  view.setUint32(5, contentLength);
  return concatBytes(messageId, fixed, callerAad);
}

export function encodeHeaderBody(messageId: Uint8Array, layout: FramesLayout): Uint8Array {
  const body = new Uint8Array(HEADER_BODY_BYTES);
  const view = new DataView(body.buffer);
  body.set(FRAMES_MAGIC, 0);
  view.setUint8(4, FRAMES_VERSION);
  body.set(messageId, 5);
  view.setUint32(5 + MESSAGE_ID_BYTES, layout.frameLength);
  view.setBigUint64(9 + MESSAGE_ID_BYTES, BigInt(layout.plaintextLength));
  return body;
}

export interface ParsedHeader {
  readonly body: Uint8Array;
  readonly tag: Uint8Array;
  readonly messageId: Uint8Array;
  readonly layout: FramesLayout;
}

/** Reads the header fields; nothing here is trusted until the header tag has been verified. */
export function decodeHeader(sealed: Uint8Array): ParsedHeader {
  const magicLength = Math.min(sealed.length, FRAMES_MAGIC.length);
  for (let i = 0; i < magicLength; i++) {
    if (sealed[i] !== FRAMES_MAGIC[i]) throw new EmuError('FRAME_MALFORMED', 'not a framed weights message');
  }
  if (sealed.length < HEADER_BYTES) {
    throw new EmuError('FRAME_TRUNCATED', `message of ${sealed.length} bytes ends inside the header`);
  }
  const view = new DataView(sealed.buffer, sealed.byteOffset, HEADER_BYTES);
  const version = view.getUint8(4);
  if (version !== FRAMES_VERSION) throw new EmuError('FRAME_MALFORMED', `unknown version ${version}`);
  const frameLength = view.getUint32(5 + MESSAGE_ID_BYTES);
  const plaintextLength = view.getBigUint64(9 + MESSAGE_ID_BYTES);
  const layout =
    plaintextLength <= BigInt(Number.MAX_SAFE_INTEGER) ? framesLayout(frameLength, Number(plaintextLength)) : undefined;
  if (layout === undefined) {
    throw new EmuError('FRAME_MALFORMED', 'header frame length or plaintext length out of bounds', {
      frameLength,
      plaintextLength: plaintextLength.toString(),
    });
  }
  return {
    body: sealed.slice(0, HEADER_BODY_BYTES),
    tag: sealed.slice(HEADER_BODY_BYTES, HEADER_BYTES),
    messageId: sealed.slice(5, 5 + MESSAGE_ID_BYTES),
    layout,
  };
}
