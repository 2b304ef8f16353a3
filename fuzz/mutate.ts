// Byte-level mutations (bit flips, inserts, deletes, truncation, length-field edits, splices, random bytes) and
// the dispatcher that adds the structure-aware ones for the target's input format.
import { concatBytes } from '../src/crypto/index.ts';
import type { InputFormat } from './types.ts';
import { mutateCbor, mutateDer, mutateJson, mutateText } from './mutate-structured.ts';
import { decodeRecords, encodeRecords } from './records.ts';

/** The only randomness the mutators use: a seeded stream (src/sim Prng satisfies it). */
export interface Draw {
  below(bound: number): number;
  bytes(length: number): Uint8Array;
}

/** Inputs never grow past this, so a mutation chain cannot blow up memory on its own. */
export const INPUT_BYTES_MAX = 1 << 20;

const INTERESTING_U8 = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x30, 0x84];
const INTERESTING_U32 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

/** The project's byte concatenation, under the short name the mutators use. */
export const concat = concatBytes;

/** Writes `value` as a `width`-byte integer at `at` (big- or little-endian), clipped to the input. */
function writeInt(out: Uint8Array, at: number, width: number, value: number, littleEndian: boolean): void {
  for (let i = 0; i < width && at + i < out.length; i++) {
    const shift = 8 * (littleEndian ? i : width - 1 - i);
    out[at + i] = Math.floor(value / 2 ** shift) & 0xff;
  }
}

function mutateBytesOnce(input: Uint8Array, draw: Draw, seeds: readonly Uint8Array[]): Uint8Array {
  const n = input.length;
  const at = n === 0 ? 0 : draw.below(n);
  switch (draw.below(11)) {
    case 0: {
      const out = input.slice();
      if (n > 0) out[at] = out[at]! ^ (1 << draw.below(8));
      return out;
    }
    case 1: {
      const out = input.slice();
      if (n > 0) out[at] = INTERESTING_U8[draw.below(INTERESTING_U8.length)]!;
      return out;
    }
    case 2:
      return concat(input.subarray(0, at), draw.bytes(1 + draw.below(16)), input.subarray(at));
    case 3:
      return concat(input.subarray(0, at), input.subarray(Math.min(n, at + 1 + draw.below(32))));
    case 4:
      return input.slice(0, draw.below(n + 1));
    case 5: {
      // A length field: any aligned 1/2/4/8-byte integer set to a boundary value or to the input's size ± 1.
      const out = input.slice();
      const width = [1, 2, 4, 8][draw.below(4)]!;
      const near = [n - 1, n, n + 1, n * 2][draw.below(4)]!;
      const value = draw.below(3) === 0 ? Math.max(0, near) : INTERESTING_U32[draw.below(INTERESTING_U32.length)]!;
      writeInt(out, at, width, value, draw.below(2) === 0);
      return out;
    }
    case 6: {
      // Duplicate a run of bytes (repeated fields, doubled records).
      const length = 1 + draw.below(Math.max(1, Math.min(64, n - at)));
      return concat(input.subarray(0, at), input.subarray(at, at + length), input.subarray(at));
    }
    case 7: {
      const other = seeds[draw.below(seeds.length)] ?? input;
      const from = other.length === 0 ? 0 : draw.below(other.length);
      return concat(input.subarray(0, at), other.subarray(from, from + 1 + draw.below(256)), input.subarray(at + draw.below(64)));
    }
    case 8: {
      const out = input.slice();
      for (let i = 0, count = 1 + draw.below(8); i < count && n > 0; i++) out[draw.below(n)] = draw.bytes(1)[0]!;
      return out;
    }
    case 9:
      return draw.bytes(draw.below(2) === 0 ? draw.below(64) : draw.below(4096));
    default: {
      // Swap two byte runs: reordered fields.
      if (n < 4) return input.slice();
      const out = input.slice();
      const length = 1 + draw.below(Math.min(16, n >> 1));
      const a = draw.below(n - length);
      const b = draw.below(n - length);
      const saved = out.slice(a, a + length);
      out.copyWithin(a, b, b + length);
      out.set(saved, b);
      return out;
    }
  }
}

function mutateStructured(input: Uint8Array, format: InputFormat, draw: Draw): Uint8Array {
  if (format === 'cbor') return mutateCbor(input, draw);
  if (format === 'der') return mutateDer(input, draw);
  if (format === 'json') return mutateJson(input, draw);
  return mutateText(input, draw);
}

/** A list input: one record mutated in its own format, or records dropped, repeated or reordered. */
function mutateRecords(input: Uint8Array, recordFormat: InputFormat, draw: Draw, seeds: readonly Uint8Array[]): Uint8Array {
  const records = decodeRecords(input);
  if (records.length === 0) return mutateBytesOnce(input, draw, seeds);
  const at = draw.below(records.length);
  switch (draw.below(5)) {
    case 0:
      records.splice(at, 1);
      break;
    case 1:
      records.splice(draw.below(records.length + 1), 0, records[at]!);
      break;
    case 2: {
      const j = draw.below(records.length);
      [records[at], records[j]] = [records[j]!, records[at]!];
      break;
    }
    default:
      records[at] = recordFormat === 'bytes' || draw.below(2) === 0 ? mutateBytesOnce(records[at]!, draw, seeds) : mutateStructured(records[at]!, recordFormat, draw);
  }
  return encodeRecords(records);
}

/** One fuzz input from a seed: 1–4 stacked mutations, structure-aware ones about half the time. */
export function mutate(seed: Uint8Array, format: InputFormat, draw: Draw, seeds: readonly Uint8Array[], recordFormat: InputFormat = 'bytes'): Uint8Array {
  let out = seed;
  const rounds = 1 + draw.below(4);
  for (let r = 0; r < rounds; r++) {
    const structured = format !== 'bytes' && draw.below(4) !== 0;
    if (!structured) out = mutateBytesOnce(out, draw, seeds);
    else if (format === 'records') out = mutateRecords(out, recordFormat, draw, seeds);
    else out = mutateStructured(out, format, draw);
    if (out.length > INPUT_BYTES_MAX) out = out.subarray(0, INPUT_BYTES_MAX);
  }
  return out;
}
