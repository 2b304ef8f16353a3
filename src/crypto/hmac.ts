import { createHmac } from 'node:crypto';

export const HMAC_SHA384_BYTES = 48;

/** HMAC-SHA-384 (RFC 2104); compare results with the constant-time `equalBytes`. */
export function hmacSha384(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha384', key).update(data).digest());
}

/** HMAC-SHA-256 (RFC 2104), e.g. AWS SigV4's signing-key chain. */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', key).update(data).digest());
}
