/**
 * Reading an application folder from disk for `build-enclave` and for the default image. Listing order is
 * whatever the filesystem returns, so files are sorted by path: the same folder gives the same image on
 * every machine. Only regular files and directories are followed (no symlinks: their target is outside
 * what is measured).
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmuError } from '../errors.ts';
import { fromUtf8 } from '../crypto/index.ts';
import { APP_FILES_MAX, buildEnclaveImage, type AppFile } from './image.ts';

export const APP_FOLDER_BYTES_MAX = 256 * 1024 * 1024;
const DEPTH_MAX = 32;
export const DEFAULT_ENTRY = 'main.js';

export interface AppFolder {
  readonly files: readonly AppFile[];
  /** `main.js`, or the first line of a top-level `cmd` file when the folder has one. */
  readonly entry: string;
}

function ioError(path: string, error: unknown): EmuError {
  return new EmuError('ENCLAVE_APP_FOLDER_UNREADABLE', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
}

export function readAppFolder(root: string): AppFolder {
  const files: AppFile[] = [];
  let totalBytes = 0;
  const walk = (dir: string, prefix: string, depth: number): void => {
    if (depth > DEPTH_MAX) throw new EmuError('ENCLAVE_APP_FOLDER_TOO_DEEP', `${dir} is nested more than ${DEPTH_MAX} levels`);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (error) {
      throw ioError(dir, error);
    }
    for (const name of names) {
      const full = join(dir, name);
      const path = prefix === '' ? name : `${prefix}/${name}`;
      let stat;
      try {
        stat = lstatSync(full);
      } catch (error) {
        throw ioError(full, error);
      }
      if (stat.isDirectory()) walk(full, path, depth + 1);
      else if (stat.isFile()) {
        if (files.length >= APP_FILES_MAX) throw new EmuError('ENCLAVE_IMAGE_TOO_MANY_FILES', `${root} has more than ${APP_FILES_MAX} files`);
        totalBytes += stat.size;
        if (totalBytes > APP_FOLDER_BYTES_MAX) throw new EmuError('ENCLAVE_APP_FOLDER_TOO_LARGE', `${root} holds more than ${APP_FOLDER_BYTES_MAX} bytes`);
        try {
          files.push({ path, data: new Uint8Array(readFileSync(full)) });
        } catch (error) {
          throw ioError(full, error);
        }
      }
    }
  };
  walk(root, '', 0);
  files.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  const cmdFile = files.find((f) => f.path === 'cmd');
  let entry = DEFAULT_ENTRY;
  if (cmdFile !== undefined) {
    let text: string;
    try {
      text = fromUtf8(cmdFile.data);
    } catch {
      throw new EmuError('ENCLAVE_IMAGE_BAD_ENTRY', `${root}/cmd is not UTF-8`);
    }
    entry = (text.split('\n')[0] ?? '').trim();
  }
  return { files, entry };
}

let defaultImage: Uint8Array | undefined;

/**
 * The image built from `src/enclave/default-app/`: name `nitro-emu-default-app`, unsigned, build time 0.
 * Built once per process; callers get a copy so no one can alter what another world measures.
 */
export function defaultEnclaveImage(): Uint8Array {
  if (defaultImage === undefined) {
    const folder = readAppFolder(fileURLToPath(new URL('./default-app/', import.meta.url)));
    defaultImage = buildEnclaveImage({ appFiles: folder.files, entry: folder.entry, name: 'nitro-emu-default-app', version: '1.0' });
  }
  return defaultImage.slice();
}
