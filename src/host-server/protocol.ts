/**
 * The control protocol between the nitro-cli-style commands and `host serve` (docs/host-server.md): frames
 * (framing.ts) holding UTF-8 JSON. One request, one reply; a `console` request is answered, then followed by
 * console frames until an end frame. Decoding is strict: this is a trust boundary.
 */
import { fromUtf8, utf8 } from '../crypto/index.ts';
import { EmuError } from '../errors.ts';

export const HOST_PROTOCOL_VERSION = 1;
/** A request carries the EIF (base64): this bounds the image to about 48 MiB. */
export const HOST_REQUEST_BYTES_MAX = 64 * 1024 * 1024;
/** Replies and console frames are small; a client refuses anything larger. */
export const HOST_REPLY_BYTES_MAX = 16 * 1024 * 1024;

export const HOST_OPS = ['describe-host', 'run-enclave', 'describe-enclaves', 'terminate-enclave', 'console'] as const;
export type HostOp = (typeof HOST_OPS)[number];

export interface HostRequest {
  /** Echoed in the reply; lets a client match replies if it pipelines. */
  readonly id: number | null;
  readonly op: HostOp;
  readonly args: Readonly<Record<string, unknown>>;
}

export interface HostErrorBody {
  readonly code: string;
  readonly message: string;
}

export type HostReply =
  | { readonly id: number | null; readonly ok: true; readonly result: unknown }
  | { readonly id: number | null; readonly ok: false; readonly error: HostErrorBody };

/** After a `console` request's reply: its lines, then one end frame. */
export type ConsoleFrame = { readonly console: string } | { readonly end: ConsoleEndReason };
export type ConsoleEndReason = 'terminated' | 'timeout' | 'server-stopping';

function bad(message: string): never {
  throw new EmuError('HOST_BAD_REQUEST', message);
}

function parseJsonObject(payload: Uint8Array, what: string, code: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(payload));
  } catch {
    throw new EmuError(code, `${what} is not UTF-8 JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new EmuError(code, `${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

export function decodeRequest(payload: Uint8Array): HostRequest {
  const value = parseJsonObject(payload, 'the request', 'HOST_BAD_REQUEST');
  for (const key of Object.keys(value)) if (key !== 'id' && key !== 'op' && key !== 'args') bad(`unknown request field ${JSON.stringify(key)}`);
  const id = value['id'] ?? null;
  if (id !== null && !(typeof id === 'number' && Number.isSafeInteger(id) && id >= 0)) bad('id must be a non-negative integer');
  const op = value['op'];
  if (typeof op !== 'string' || !(HOST_OPS as readonly string[]).includes(op)) {
    bad(`op must be one of ${HOST_OPS.join(', ')}, got ${JSON.stringify(op)?.slice(0, 60)}`);
  }
  const args = value['args'] ?? {};
  if (typeof args !== 'object' || args === null || Array.isArray(args)) bad('args must be a JSON object');
  return { id: id as number | null, op: op as HostOp, args: args as Record<string, unknown> };
}

export function encodeRequest(request: HostRequest): Uint8Array {
  return utf8(JSON.stringify(request));
}

/** The wire form of a failure: the stable code, and the message without the code prefix EmuError adds. */
export function errorBody(error: EmuError): HostErrorBody {
  const prefix = `${error.code}: `;
  return { code: error.code, message: error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message };
}

export function encodeReply(reply: HostReply): Uint8Array {
  return utf8(JSON.stringify(reply));
}

export function decodeReply(payload: Uint8Array): HostReply {
  const value = parseJsonObject(payload, 'the reply', 'HOST_BAD_REPLY');
  const id = value['id'] ?? null;
  if (value['ok'] === true) return { id: id as number | null, ok: true, result: value['result'] };
  const error = value['error'];
  if (value['ok'] !== false || typeof error !== 'object' || error === null) throw new EmuError('HOST_BAD_REPLY', 'the reply is neither a result nor an error');
  const { code, message } = error as Record<string, unknown>;
  if (typeof code !== 'string' || typeof message !== 'string') throw new EmuError('HOST_BAD_REPLY', 'the error has no code or message');
  return { id: id as number | null, ok: false, error: { code, message } };
}

export function encodeConsoleFrame(frame: ConsoleFrame): Uint8Array {
  return utf8(JSON.stringify(frame));
}

export function decodeConsoleFrame(payload: Uint8Array): ConsoleFrame {
  const value = parseJsonObject(payload, 'a console frame', 'HOST_BAD_REPLY');
  if (typeof value['console'] === 'string') return { console: value['console'] };
  const end = value['end'];
  if (end === 'terminated' || end === 'timeout' || end === 'server-stopping') return { end };
  throw new EmuError('HOST_BAD_REPLY', 'a console frame is neither a line nor an end');
}
