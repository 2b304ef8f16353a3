import { indexOfBytes, toBase64, toHex, utf8 } from '../crypto/index.ts';
import { assert } from '../errors.ts';
import type { Principal } from './principals.ts';

export type CanaryEncoding = 'raw' | 'hex' | 'HEX' | 'base64' | 'base64url';

export interface Canary {
  readonly name: string;
  /** Whose secret this is: the only non-TCB principal allowed to hold it. */
  readonly owner: Principal;
  readonly bytes: Uint8Array;
}

interface Pattern {
  readonly canary: Canary;
  readonly encoding: CanaryEncoding;
  readonly needle: Uint8Array;
}

/** Shortest canary accepted: shorter patterns would match by chance in megabytes of ciphertext. */
export const CANARY_BYTES_MIN = 12;

/**
 * Planted secrets and the patterns that reveal them: the bytes themselves, hex in both cases, and
 * base64/base64url at each of the three byte alignments (only the characters that depend on the
 * canary alone, so the match does not care what surrounds it).
 */
export class CanarySet {
  readonly #canaries: Canary[] = [];
  #patterns: Pattern[] = [];

  plant(name: string, owner: Principal, bytes: Uint8Array): Canary {
    assert(bytes.length >= CANARY_BYTES_MIN, `canary ${name} must be at least ${CANARY_BYTES_MIN} bytes`);
    assert(!this.#canaries.some((c) => c.name === name), `canary ${name} planted twice`);
    const canary: Canary = Object.freeze({ name, owner, bytes: bytes.slice() });
    this.#canaries.push(canary);
    this.#patterns = this.#patterns.concat(patternsOf(canary));
    return canary;
  }

  get all(): readonly Canary[] {
    return this.#canaries;
  }

  /** Every (canary, encoding) found in `data`. */
  find(data: Uint8Array): Array<{ canary: Canary; encoding: CanaryEncoding }> {
    const hits: Array<{ canary: Canary; encoding: CanaryEncoding }> = [];
    for (const pattern of this.#patterns) {
      if (indexOfBytes(data, pattern.needle) !== -1) hits.push({ canary: pattern.canary, encoding: pattern.encoding });
    }
    return hits;
  }
}

function patternsOf(canary: Canary): Pattern[] {
  const hex = toHex(canary.bytes);
  const patterns: Pattern[] = [
    { canary, encoding: 'raw', needle: canary.bytes },
    { canary, encoding: 'hex', needle: utf8(hex) },
    { canary, encoding: 'HEX', needle: utf8(hex.toUpperCase()) },
  ];
  for (let shift = 0; shift < 3; shift++) {
    const padded = new Uint8Array(shift + canary.bytes.length);
    padded.set(canary.bytes, shift);
    const encoded = toBase64(padded);
    // Characters touching the leading filler or the trailing partial group depend on neighbours: drop them.
    const start = Math.ceil((shift * 8) / 6);
    const end = Math.floor((padded.length * 8) / 6);
    const core = encoded.slice(start, end);
    patterns.push({ canary, encoding: 'base64', needle: utf8(core) });
    const url = core.replaceAll('+', '-').replaceAll('/', '_');
    if (url !== core) patterns.push({ canary, encoding: 'base64url', needle: utf8(url) });
  }
  return patterns;
}
