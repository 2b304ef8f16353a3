// Inputs that are a list of messages (a certificate chain, an SPDM conversation) travel as one byte string:
// each record is a u32 big-endian length then its bytes. A damaged framing ends the list where it stops making sense.
import { concat } from './mutate.ts';

export const RECORDS_MAX = 64;

export function encodeRecords(records: readonly Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const record of records) {
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, record.length);
    parts.push(length, record);
  }
  return concat(...parts);
}

export function decodeRecords(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at + 4 <= bytes.length && out.length < RECORDS_MAX) {
    const length = new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0);
    at += 4;
    out.push(bytes.subarray(at, Math.min(bytes.length, at + length)));
    at += length;
  }
  return out;
}
