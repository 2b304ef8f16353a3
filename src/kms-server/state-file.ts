// The served KMS's state file: a one-line versioned header carrying the body's length and SHA-256, then the body
// (JSON). The check catches truncation and corruption; it is not a MAC: whoever can write the file can also read
// the key material in it, so the file is created 0600 and is as secret as the keys.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { fromUtf8, sha256Hex, utf8 } from '../crypto/index.ts';
import { EmuError } from '../errors.ts';
import type { KmsStateSnapshot } from '../kms/index.ts';

export const STATE_FILE_MAGIC = 'NITRO-EMU-KMS-STATE';
export const STATE_FILE_VERSION = 1;
/** 10 000 keys and grants fit in a few MB; anything much bigger is not ours. */
export const STATE_FILE_BYTES_MAX = 64 * 1024 * 1024;
const HEADER_BYTES_MAX = 256;

export interface ServedState {
  /** The world seed whose Nitro root the KMS trusts; a file is refused under another seed. */
  readonly seed: number;
  /**
   * How many times a server has started from this file. The KMS's random streams (key ids, material, IVs) are
   * seeded from (seed, boots), so a restart never replays the previous run's IVs under the same keys.
   */
  readonly boots: number;
  readonly kms: KmsStateSnapshot;
}

function refused(code: string, path: string, message: string, details?: Record<string, unknown>): EmuError {
  return new EmuError(code, `${path}: ${message}; the file was left as it is`, { path, ...details });
}

/**
 * The header is ASCII; reading it byte by byte never throws, so a non-UTF-8 header is a format error like any
 * other (a fatal UTF-8 decode used to throw a bare TypeError here).
 */
function asciiText(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}

export function encodeStateFile(state: ServedState): Uint8Array {
  const body = utf8(JSON.stringify(state));
  const header = `${STATE_FILE_MAGIC}/${STATE_FILE_VERSION} length=${body.length} sha256=${sha256Hex(body)}\n`;
  const out = new Uint8Array(header.length + body.length);
  out.set(utf8(header));
  out.set(body, header.length);
  return out;
}

/** Checks the header, the length and the hash before parsing anything; every failure is a typed KMS_STATE_* error. */
export function decodeStateFile(bytes: Uint8Array, path: string): ServedState {
  if (bytes.length > STATE_FILE_BYTES_MAX) throw refused('KMS_STATE_TOO_LARGE', path, `larger than ${STATE_FILE_BYTES_MAX} bytes`);
  const newline = bytes.subarray(0, HEADER_BYTES_MAX).indexOf(0x0a);
  if (newline < 0) {
    const prefix = asciiText(bytes.subarray(0, STATE_FILE_MAGIC.length));
    if (STATE_FILE_MAGIC.startsWith(prefix)) throw refused('KMS_STATE_TRUNCATED', path, 'truncated inside its header');
    throw refused('KMS_STATE_FORMAT', path, 'not a nitro-emu KMS state file');
  }
  const header = /^([A-Z-]+)\/(\d+) length=(\d+) sha256=([0-9a-f]{64})$/.exec(asciiText(bytes.subarray(0, newline)));
  if (header === null || header[1] !== STATE_FILE_MAGIC) throw refused('KMS_STATE_FORMAT', path, 'not a nitro-emu KMS state file');
  if (Number(header[2]) !== STATE_FILE_VERSION) {
    throw refused('KMS_STATE_VERSION', path, `state file version ${header[2]}; this build reads version ${STATE_FILE_VERSION}`);
  }
  const body = bytes.subarray(newline + 1);
  const lengthExpected = Number(header[3]);
  if (body.length < lengthExpected) {
    throw refused('KMS_STATE_TRUNCATED', path, `truncated: ${body.length} of ${lengthExpected} body bytes`, { lengthExpected, length: body.length });
  }
  if (body.length > lengthExpected) throw refused('KMS_STATE_CORRUPT', path, `${body.length - lengthExpected} unexpected bytes after the body`);
  if (sha256Hex(body) !== header[4]) throw refused('KMS_STATE_CORRUPT', path, 'corrupted: the body does not match its SHA-256');
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromUtf8(body));
  } catch {
    throw refused('KMS_STATE_CORRUPT', path, 'the body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) throw refused('KMS_STATE_CORRUPT', path, 'the body is not an object');
  const { seed, boots, kms, ...rest } = parsed as Record<string, unknown>;
  if (!Number.isSafeInteger(seed) || (seed as number) < 0 || !Number.isSafeInteger(boots) || (boots as number) < 0 || Object.keys(rest).length > 0) {
    throw refused('KMS_STATE_CORRUPT', path, 'the body is not {seed, boots, kms}');
  }
  return { seed: seed as number, boots: boots as number, kms: kms as KmsStateSnapshot };
}

/** The file's state, or undefined when there is no file yet. */
export function readStateFile(path: string): ServedState | undefined {
  if (!existsSync(path)) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (error) {
    throw new EmuError('KMS_STATE_UNREADABLE', `${path}: cannot read the state file (${(error as Error).message})`, { path });
  }
  return decodeStateFile(bytes, path);
}

/** Temp file in the same directory, fsync, rename: a crash leaves either the old file or the new one, whole. */
export function writeStateFile(path: string, state: ServedState): void {
  const temporary = `${path}.tmp`;
  const bytes = encodeStateFile(state);
  let fd: number | undefined;
  try {
    fd = openSync(temporary, 'w', 0o600);
    let written = 0;
    for (let i = 0; written < bytes.length && i < 1_000_000; i++) written += writeSync(fd, bytes, written);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    if (existsSync(temporary)) unlinkSync(temporary);
    throw new EmuError('KMS_STATE_WRITE', `${path}: cannot write the state file (${(error as Error).message})`, { path });
  }
}
