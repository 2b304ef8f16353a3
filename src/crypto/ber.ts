import { EmuError } from '../errors.ts';

// A small BER reader that only finds element boundaries. The ASN.1 schema library maps structures to objects
// but is lenient (it ignores trailing bytes and unknown trailing elements); this walk gives the strict checks
// their ground truth: exact total length, element counts, primitive vs constructed, bounded depth and size.

export const TAG_CLASS_UNIVERSAL = 0;
export const TAG_CLASS_CONTEXT = 2;

export interface BerNode {
  readonly tagClass: number;
  readonly tagNumber: number;
  readonly constructed: boolean;
  readonly indefinite: boolean;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset after the content (before the end-of-contents octets of an indefinite form). */
  readonly contentEnd: number;
  /** Offset after the whole element, end-of-contents included. */
  readonly end: number;
  readonly children: readonly BerNode[];
}

export interface BerLimits {
  readonly depthMax: number;
  readonly nodesMax: number;
}

const DEFAULT_LIMITS: BerLimits = { depthMax: 24, nodesMax: 4096 };

class BerReader {
  readonly #bytes: Uint8Array;
  readonly #limits: BerLimits;
  readonly #code: string;
  #nodes = 0;

  constructor(bytes: Uint8Array, limits: BerLimits, code: string) {
    this.#bytes = bytes;
    this.#limits = limits;
    this.#code = code;
  }

  fail(message: string, offset: number): EmuError {
    return new EmuError(this.#code, `BER: ${message}`, { offset });
  }

  #byte(offset: number, limit: number): number {
    if (offset >= limit) throw this.fail('element runs past its container', offset);
    return this.#bytes[offset]!;
  }

  read(offset: number, limit: number, depth: number): BerNode {
    if (depth > this.#limits.depthMax) throw this.fail(`nesting deeper than ${this.#limits.depthMax}`, offset);
    if (++this.#nodes > this.#limits.nodesMax) throw this.fail(`more than ${this.#limits.nodesMax} elements`, offset);
    const start = offset;
    const identifier = this.#byte(offset++, limit);
    const tagClass = identifier >> 6;
    const constructed = (identifier & 0x20) !== 0;
    let tagNumber = identifier & 0x1f;
    if (tagNumber === 0x1f) {
      tagNumber = 0;
      for (let i = 0; ; i++) {
        if (i === 3) throw this.fail('tag number too large', offset);
        const b = this.#byte(offset++, limit);
        tagNumber = tagNumber * 128 + (b & 0x7f);
        if ((b & 0x80) === 0) break;
      }
    }
    const first = this.#byte(offset++, limit);
    if (first === 0x80) {
      if (!constructed) throw this.fail('indefinite length on a primitive element', start);
      const children: BerNode[] = [];
      let cursor = offset;
      for (;;) {
        if (this.#byte(cursor, limit) === 0 && this.#byte(cursor + 1, limit) === 0) break;
        const child = this.read(cursor, limit, depth + 1);
        children.push(child);
        cursor = child.end;
      }
      const node = { tagClass, tagNumber, constructed, indefinite: true, start, contentStart: offset };
      return { ...node, contentEnd: cursor, end: cursor + 2, children };
    }
    let length = first;
    if (first > 0x80) {
      const count = first & 0x7f;
      if (count > 4) throw this.fail('length field longer than 4 bytes', start);
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + this.#byte(offset++, limit);
    }
    const contentEnd = offset + length;
    if (contentEnd > limit) throw this.fail('element runs past its container', start);
    const children: BerNode[] = [];
    if (constructed) {
      let cursor = offset;
      while (cursor < contentEnd) {
        const child = this.read(cursor, contentEnd, depth + 1);
        children.push(child);
        cursor = child.end;
      }
    } else if (tagClass === TAG_CLASS_UNIVERSAL && tagNumber === 0) {
      throw this.fail('unexpected end-of-contents', start);
    }
    const node = { tagClass, tagNumber, constructed, indefinite: false, start, contentStart: offset };
    return { ...node, contentEnd, end: contentEnd, children };
  }
}

/**
 * Reads exactly one BER element covering all of `bytes` (definite or indefinite lengths). Errors carry `code`;
 * trailing bytes after the element are an error too.
 */
export function readBerElement(bytes: Uint8Array, code: string, limits: BerLimits = DEFAULT_LIMITS): BerNode {
  const reader = new BerReader(bytes, limits, code);
  const node = reader.read(0, bytes.length, 0);
  if (node.end !== bytes.length) {
    throw reader.fail(`${bytes.length - node.end} trailing bytes after the element`, node.end);
  }
  return node;
}

/** True when the node has the given universal tag number and form. */
export function isUniversal(node: BerNode, tagNumber: number, constructed: boolean): boolean {
  return node.tagClass === TAG_CLASS_UNIVERSAL && node.tagNumber === tagNumber && node.constructed === constructed;
}

export function isContext(node: BerNode, tagNumber: number): boolean {
  return node.tagClass === TAG_CLASS_CONTEXT && node.tagNumber === tagNumber;
}
