/**
 * CBOR at trust boundaries. cbor-x decodes permissively, so bytes are first walked by a strict
 * structural validator: duplicate map keys, tags not allowed by the caller, trailing bytes,
 * non-minimal or reserved encodings, and nesting/length beyond bounds are typed errors
 * (codes CBOR_MALFORMED, CBOR_DUPLICATE_KEY, CBOR_UNEXPECTED_TAG, CBOR_TRAILING_BYTES, CBOR_TOO_LARGE, CBOR_TOO_DEEP).
 */
export interface StrictCborOptions {
  /** Tags allowed anywhere (default none). */
  readonly allowedTags?: readonly number[];
  readonly maxBytes?: number;
  readonly maxDepth?: number;
}

/** Decodes one CBOR item strictly. Maps decode to `Map` (keys keep their CBOR type), byte strings to Uint8Array, integers beyond 2^53 to bigint. */
export function decodeCborStrict(bytes: Uint8Array, what: string, options?: StrictCborOptions): unknown {
  throw new Error('TODO');
}

/** Encodes with definite lengths; integers that do not fit in 32 bits must be passed as bigint. Maps are `Map`s (insertion order kept). */
export function encodeCbor(value: unknown): Uint8Array {
  throw new Error('TODO');
}
