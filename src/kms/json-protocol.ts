import { toBase64 } from '../crypto/index.ts';
import { AssertionFailure } from '../errors.ts';
import { KmsError } from './errors.ts';
import { isKmsOperation, normalizeRequest } from './schema.ts';
import type { KmsOperation } from './types.ts';

export const TARGET_PREFIX = 'TrentService.';
/** Real KMS requests are small; anything bigger than this is not a KMS request. */
export const REQUEST_BODY_LENGTH_MAX = 256 * 1024;

export interface JsonReply {
  readonly status: number;
  readonly body: string;
}

/** What the service runs once it knows the operation: decode (may throw) → audited execution. */
export type RunOperation = (
  operationName: string,
  decode: (operation: KmsOperation) => Record<string, unknown>,
) => unknown;

/** The operation named by `X-Amz-Target`, or an UnknownOperationException. */
export function operationFromTarget(target: unknown): KmsOperation {
  const name = typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
  if (!isKmsOperation(name)) {
    throw new KmsError('KMS_UNKNOWN_OPERATION', 'UnknownOperationException', 'The requested operation is not supported by this emulator.', {
      target: typeof target === 'string' ? target.slice(0, 128) : typeof target,
    });
  }
  return name;
}

export function decodeJsonBody(operation: KmsOperation, body: unknown): Record<string, unknown> {
  const serialization = (message: string) => new KmsError('KMS_SERIALIZATION', 'SerializationException', message);
  if (typeof body !== 'string') throw serialization('The request body must be JSON text.');
  if (body.length > REQUEST_BODY_LENGTH_MAX) throw serialization('The request body is too large.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw serialization('The request body is not valid JSON.');
  }
  return normalizeRequest(operation, parsed, 'wire');
}

/**
 * AWS JSON 1.1 front: `target` = 'TrentService.<Operation>', body JSON with base64 blobs. Client errors are
 * 4xx with {"__type", "message"}; anything unexpected is a 500 KMSInternalException with no detail. Assertion
 * failures are our bugs and still propagate: a served world must not hide them behind a 500.
 */
export function handleJsonRequest(run: RunOperation, target: string, body: string): JsonReply {
  try {
    const response = run(typeof target === 'string' ? target : '', (operation) => decodeJsonBody(operation, body));
    return { status: 200, body: JSON.stringify(toWire(response)) };
  } catch (error) {
    if (error instanceof AssertionFailure) throw error;
    if (error instanceof KmsError) {
      return { status: error.httpStatus, body: JSON.stringify({ __type: error.awsType, message: error.awsMessage }) };
    }
    return { status: 500, body: JSON.stringify({ __type: 'KMSInternalException', message: 'An internal error occurred.' }) };
  }
}

/** Blobs become base64 text; everything else is already JSON-shaped. Absent (undefined) fields are omitted. */
export function toWire(value: unknown): unknown {
  if (value instanceof Uint8Array) return toBase64(value);
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toWire(v);
    return out;
  }
  return value;
}
