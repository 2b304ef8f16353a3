import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { EmuError } from '../errors.ts';

/** Unix socket paths are limited by sockaddr_un (108 bytes on Linux, 104 on macOS). */
export const SOCKET_PATH_BYTES_MAX = 100;

function probe(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Makes `path` free to listen on. A live server there is HOST_SOCKET_BUSY; a socket nobody answers on is
 * what a killed server leaves behind, and is removed; anything that is not a socket is never touched.
 */
export async function claimSocketPath(path: string): Promise<void> {
  if (Buffer.byteLength(path) > SOCKET_PATH_BYTES_MAX) {
    throw new EmuError('HOST_SOCKET_PATH_TOO_LONG', `${path} is over ${SOCKET_PATH_BYTES_MAX} bytes, too long for a Unix socket`);
  }
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new EmuError('HOST_SOCKET_UNUSABLE', `cannot inspect ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (!isSocket) throw new EmuError('HOST_SOCKET_NOT_A_SOCKET', `${path} exists and is not a socket: refusing to replace it`);
  if (await probe(path)) throw new EmuError('HOST_SOCKET_BUSY', `another server is listening on ${path}`);
  unlinkSync(path);
}

/** Only the user who started the host may drive it (and reach its NSM door). */
export function restrictToOwner(path: string): void {
  chmodSync(path, 0o600);
}

/** Removes the socket file if it is still a socket (never anything that replaced it). */
export function releaseSocketPath(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // Already gone: nothing to release.
  }
}
