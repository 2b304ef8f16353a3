import { concatBytes, fromUtf8, utf8 } from '../crypto/index.ts';
import { EmuError } from '../errors.ts';
import type { DeviceCommand, DeviceMode } from './types.ts';

/**
 * Secured device commands (the payload of a VENDOR_DEFINED_REQUEST inside the SPDM session) in a fixed binary
 * layout, decoded strictly: exact lengths, no trailing bytes, bounded fields.
 *
 *   SET_READY     0x01
 *   SET_PEER_KEY  0x02 ‖ u8 idLength ‖ peer device id (ASCII hex, 2..64) ‖ u8 secretLength (32..64) ‖ secret
 *   GET_STATUS    0x03
 *
 * Replies: SET_READY and SET_PEER_KEY answer 0x00 (ok); GET_STATUS answers a status record (encodeDeviceStatus).
 */
const CODE = { SET_READY: 0x01, SET_PEER_KEY: 0x02, GET_STATUS: 0x03 } as const;
export const PEER_ID_CHARS_MAX = 64;
export const LINK_SECRET_BYTES_MIN = 32;
export const LINK_SECRET_BYTES_MAX = 64;
export const COMMAND_OK = Uint8Array.of(0x00);

function bad(message: string, details?: Record<string, unknown>): EmuError {
  return new EmuError('DEV_BAD_COMMAND', message, details);
}

function checkPeerId(id: string): void {
  if (id.length < 2 || id.length > PEER_ID_CHARS_MAX || !/^[0-9a-f]+$/.test(id)) {
    throw bad(`peer device id must be 2..${PEER_ID_CHARS_MAX} lower-case hex digits`);
  }
}

export function encodeDeviceCommand(command: DeviceCommand): Uint8Array {
  switch (command.command) {
    case 'SET_READY':
      return Uint8Array.of(CODE.SET_READY);
    case 'GET_STATUS':
      return Uint8Array.of(CODE.GET_STATUS);
    case 'SET_PEER_KEY': {
      checkPeerId(command.peerDeviceId);
      const secret = command.linkSecret;
      if (secret.length < LINK_SECRET_BYTES_MIN || secret.length > LINK_SECRET_BYTES_MAX) {
        throw bad(`link secret must be ${LINK_SECRET_BYTES_MIN}..${LINK_SECRET_BYTES_MAX} bytes`, { secretBytes: secret.length });
      }
      const id = utf8(command.peerDeviceId);
      return concatBytes(Uint8Array.of(CODE.SET_PEER_KEY, id.length), id, Uint8Array.of(secret.length), secret);
    }
  }
}

export function decodeDeviceCommand(bytes: Uint8Array): DeviceCommand {
  if (bytes.length === 0) throw bad('empty command');
  const code = bytes[0]!;
  if (code === CODE.SET_READY || code === CODE.GET_STATUS) {
    if (bytes.length !== 1) throw bad('command carries trailing bytes', { length: bytes.length });
    return code === CODE.SET_READY ? { command: 'SET_READY' } : { command: 'GET_STATUS' };
  }
  if (code !== CODE.SET_PEER_KEY) throw bad(`unknown command 0x${code.toString(16)}`);
  if (bytes.length < 2) throw bad('SET_PEER_KEY ends before the id length');
  const idLength = bytes[1]!;
  const secretLengthAt = 2 + idLength;
  if (bytes.length < secretLengthAt + 1) throw bad('SET_PEER_KEY ends inside the peer id');
  const secretLength = bytes[secretLengthAt]!;
  if (bytes.length !== secretLengthAt + 1 + secretLength) throw bad('SET_PEER_KEY length does not match its fields');
  let peerDeviceId: string;
  try {
    peerDeviceId = fromUtf8(bytes.subarray(2, secretLengthAt));
  } catch {
    throw bad('peer device id is not UTF-8');
  }
  checkPeerId(peerDeviceId);
  if (secretLength < LINK_SECRET_BYTES_MIN || secretLength > LINK_SECRET_BYTES_MAX) {
    throw bad(`link secret must be ${LINK_SECRET_BYTES_MIN}..${LINK_SECRET_BYTES_MAX} bytes`, { secretBytes: secretLength });
  }
  return { command: 'SET_PEER_KEY', peerDeviceId, linkSecret: bytes.slice(secretLengthAt + 1) };
}

/** GET_STATUS reply. */
export interface DeviceStatus {
  readonly mode: DeviceMode;
  readonly ready: boolean;
  readonly epoch: number;
  readonly svn: number;
  readonly firmwareVersion: string;
  /** 48-byte FWID of the running firmware. */
  readonly firmwareDigest: Uint8Array;
}

const MODE_CODES: readonly DeviceMode[] = ['off', 'confidential', 'devtools'];
const VERSION_BYTES_MAX = 255;

/** u8 mode ‖ u8 ready ‖ u32 LE epoch ‖ u32 LE svn ‖ digest(48) ‖ u8 versionLength ‖ version. */
export function encodeDeviceStatus(status: DeviceStatus): Uint8Array {
  const version = utf8(status.firmwareVersion);
  if (version.length > VERSION_BYTES_MAX || status.firmwareDigest.length !== 48) throw bad('status fields out of range');
  const head = new Uint8Array(10);
  const view = new DataView(head.buffer);
  head[0] = MODE_CODES.indexOf(status.mode);
  head[1] = status.ready ? 1 : 0;
  view.setUint32(2, status.epoch >>> 0, true);
  view.setUint32(6, status.svn >>> 0, true);
  return concatBytes(head, status.firmwareDigest, Uint8Array.of(version.length), version);
}

export function decodeDeviceStatus(bytes: Uint8Array): DeviceStatus {
  if (bytes.length < 10 + 48 + 1) throw new EmuError('DEV_BAD_STATUS', 'status reply is too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const mode = MODE_CODES[bytes[0]!];
  const readyByte = bytes[1]!;
  const versionLength = bytes[58]!;
  if (mode === undefined || readyByte > 1 || bytes.length !== 59 + versionLength) {
    throw new EmuError('DEV_BAD_STATUS', 'status reply is malformed');
  }
  let firmwareVersion: string;
  try {
    firmwareVersion = fromUtf8(bytes.subarray(59));
  } catch {
    throw new EmuError('DEV_BAD_STATUS', 'firmware version is not UTF-8');
  }
  return {
    mode, ready: readyByte === 1, epoch: view.getUint32(2, true), svn: view.getUint32(6, true),
    firmwareDigest: bytes.slice(10, 58), firmwareVersion,
  };
}
