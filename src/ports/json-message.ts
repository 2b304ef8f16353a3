import { EmuError } from '../errors.ts';

/** A KMS call as the enclave sends it through the parent's proxy: AWS JSON 1.1 target and body. */
export interface JsonRpcRequest {
  readonly target: string;
  readonly body: string;
}

export interface JsonRpcResponse {
  readonly status: number;
  readonly body: string;
}

const MESSAGE_BYTES_MAX = 1024 * 1024;

export function encodeJsonMessage(value: JsonRpcRequest | JsonRpcResponse): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/** Re-validates at the boundary: a peer's bytes are never trusted to have the right shape. */
export function decodeJsonMessage<K extends 'request' | 'response'>(
  bytes: Uint8Array,
  kind: K,
): K extends 'request' ? JsonRpcRequest : JsonRpcResponse {
  if (bytes.length > MESSAGE_BYTES_MAX) throw new EmuError('PORT_MESSAGE_TOO_LARGE', `${kind} of ${bytes.length} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new EmuError('PORT_BAD_MESSAGE', `${kind} is not UTF-8 JSON`);
  }
  const record = value as Record<string, unknown>;
  const ok =
    typeof value === 'object' &&
    value !== null &&
    (kind === 'request'
      ? typeof record['target'] === 'string' && typeof record['body'] === 'string'
      : Number.isInteger(record['status']) && typeof record['body'] === 'string');
  if (!ok) throw new EmuError('PORT_BAD_MESSAGE', `${kind} has the wrong shape`);
  return value as K extends 'request' ? JsonRpcRequest : JsonRpcResponse;
}
