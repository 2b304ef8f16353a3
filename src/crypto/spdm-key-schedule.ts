// SPDM 1.1 key schedule (DSP0274 "Key schedule", research gpu-cc.md §3.2): HKDF-SHA384 extract/expand with
// bin_str = length(u16 LE) ‖ "spdm1.1 " ‖ label ‖ context. Handshake secrets from TH1, data secrets and the export
// master secret from TH2.
import { createHmac } from 'node:crypto';
import { assert } from '../errors.ts';
import { concatBytes, equalBytes, utf8, wipe } from './bytes.ts';

export const SPDM_HASH_LEN = 48;
export const SPDM_AEAD_KEY_LEN = 32;
export const SPDM_AEAD_IV_LEN = 12;
const VERSION_LABEL = 'spdm1.1 ';
/** HKDF-Expand limit for SHA-384 (RFC 5869). */
const EXPAND_BYTES_MAX = 255 * SPDM_HASH_LEN;

export function hmacSha384(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha384', key).update(data).digest());
}

export function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return hmacSha384(salt, ikm);
}

export function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  assert(Number.isInteger(length) && length > 0 && length <= EXPAND_BYTES_MAX, 'HKDF-Expand length out of range');
  const out = new Uint8Array(length);
  let previous: Uint8Array = new Uint8Array(0);
  for (let i = 1, offset = 0; offset < length; i++) {
    previous = hmacSha384(prk, concatBytes(previous, info, Uint8Array.of(i)));
    out.set(previous.subarray(0, Math.min(previous.length, length - offset)), offset);
    offset += previous.length;
  }
  return out;
}

export function binStr(length: number, label: string, context: Uint8Array = new Uint8Array(0)): Uint8Array {
  return concatBytes(Uint8Array.of(length & 0xff, length >>> 8), utf8(VERSION_LABEL + label), context);
}

/** AEAD key, IV and finished key for one direction. */
export interface DirectionKeys {
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
}

export function messageKeys(secret: Uint8Array): DirectionKeys {
  return {
    key: hkdfExpand(secret, binStr(SPDM_AEAD_KEY_LEN, 'key'), SPDM_AEAD_KEY_LEN),
    iv: hkdfExpand(secret, binStr(SPDM_AEAD_IV_LEN, 'iv'), SPDM_AEAD_IV_LEN),
  };
}

export function finishedKey(handshakeSecret: Uint8Array): Uint8Array {
  return hkdfExpand(handshakeSecret, binStr(SPDM_HASH_LEN, 'finished'), SPDM_HASH_LEN);
}

export interface HandshakeSecrets {
  readonly handshakeSecret: Uint8Array;
  readonly request: DirectionKeys;
  readonly response: DirectionKeys;
  readonly requestFinishedKey: Uint8Array;
  readonly responseFinishedKey: Uint8Array;
}

/** From the ECDHE shared secret and TH1 (the transcript hash through the KEY_EXCHANGE_RSP signature). */
export function handshakeSecrets(dheSecret: Uint8Array, th1Hash: Uint8Array): HandshakeSecrets {
  assert(th1Hash.length === SPDM_HASH_LEN, 'TH1 is a SHA-384');
  const handshakeSecret = hkdfExtract(new Uint8Array(SPDM_HASH_LEN), dheSecret);
  const reqHs = hkdfExpand(handshakeSecret, binStr(SPDM_HASH_LEN, 'req hs data', th1Hash), SPDM_HASH_LEN);
  const rspHs = hkdfExpand(handshakeSecret, binStr(SPDM_HASH_LEN, 'rsp hs data', th1Hash), SPDM_HASH_LEN);
  const out = {
    handshakeSecret,
    request: messageKeys(reqHs),
    response: messageKeys(rspHs),
    requestFinishedKey: finishedKey(reqHs),
    responseFinishedKey: finishedKey(rspHs),
  };
  wipe(reqHs);
  wipe(rspHs);
  return out;
}

export interface DataSecrets {
  readonly request: DirectionKeys;
  readonly response: DirectionKeys;
  readonly exportMaster: Uint8Array;
}

/** From the handshake secret and TH2 (the transcript hash through FINISH_RSP). */
export function dataSecrets(handshakeSecret: Uint8Array, th2Hash: Uint8Array): DataSecrets {
  assert(th2Hash.length === SPDM_HASH_LEN, 'TH2 is a SHA-384');
  const salt = hkdfExpand(handshakeSecret, binStr(SPDM_HASH_LEN, 'derived'), SPDM_HASH_LEN);
  const master = hkdfExtract(salt, new Uint8Array(SPDM_HASH_LEN));
  const reqData = hkdfExpand(master, binStr(SPDM_HASH_LEN, 'req app data', th2Hash), SPDM_HASH_LEN);
  const rspData = hkdfExpand(master, binStr(SPDM_HASH_LEN, 'rsp app data', th2Hash), SPDM_HASH_LEN);
  const out = {
    request: messageKeys(reqData),
    response: messageKeys(rspData),
    exportMaster: hkdfExpand(master, binStr(SPDM_HASH_LEN, 'exp master', th2Hash), SPDM_HASH_LEN),
  };
  for (const secret of [salt, master, reqData, rspData]) wipe(secret);
  return out;
}

/** VerifyData = HMAC(finished_key, Hash(TH)). */
export function verifyData(finishedKeyBytes: Uint8Array, thHash: Uint8Array): Uint8Array {
  return hmacSha384(finishedKeyBytes, thHash);
}

export function verifyDataMatches(finishedKeyBytes: Uint8Array, thHash: Uint8Array, received: Uint8Array): boolean {
  return equalBytes(verifyData(finishedKeyBytes, thHash), received);
}
