/**
 * cpio "newc" (magic 070701), the initramfs format the kernel unpacks and nitro-cli's ramdisks use.
 * Each entry: a 110-byte ASCII header (magic + 13 fields of 8 hex digits), the NUL-terminated name padded
 * so header+name is a multiple of 4, then the data padded to a multiple of 4; the archive ends with an
 * entry named TRAILER!!!.
 *
 * The writer is deterministic (the same files give the same bytes): paths sorted by their UTF-8 bytes, parent
 * directories made explicit, inode numbers by position, mtime/uid/gid 0, fixed modes. The reader is strict:
 * regular files and directories only, canonical relative paths, zero padding, no duplicates, nothing after the
 * trailer. Errors: CPIO_*.
 */
import { concatBytes } from '../crypto/index.ts';
import { EmuError } from '../errors.ts';
import { fromUtf8, utf8 } from '../crypto/index.ts';

export interface CpioFile {
  /** Relative, '/'-separated, no '.', '..' or empty segments. */
  readonly path: string;
  readonly data: Uint8Array;
}

export interface CpioEntry {
  readonly path: string;
  readonly kind: 'file' | 'directory';
  readonly mode: number;
  readonly data: Uint8Array;
}

const MAGIC = '070701';
const HEADER_BYTES = 110;
const TRAILER = 'TRAILER!!!';
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const FILE_MODE = S_IFREG | 0o644;
const DIR_MODE = S_IFDIR | 0o755;
export const CPIO_ENTRIES_MAX = 65_536;
export const CPIO_PATH_BYTES_MAX = 4096;
export const CPIO_BYTES_MAX = 256 * 1024 * 1024;

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

/** Throws CPIO_BAD_PATH unless the path is canonical and relative. */
export function checkArchivePath(path: string): void {
  const bytes = utf8(path).length;
  if (bytes === 0 || bytes > CPIO_PATH_BYTES_MAX) throw new EmuError('CPIO_BAD_PATH', `path length ${bytes} is out of 1..${CPIO_PATH_BYTES_MAX}`);
  if (path.includes('\0')) throw new EmuError('CPIO_BAD_PATH', 'a path contains NUL');
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new EmuError('CPIO_BAD_PATH', `path ${JSON.stringify(path)} is not a canonical relative path`);
    }
  }
  if (path === TRAILER) throw new EmuError('CPIO_BAD_PATH', `${TRAILER} is reserved`);
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function headerText(fields: { ino: number; mode: number; nlink: number; size: number; nameBytes: number }): string {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
  // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
  return MAGIC + [fields.ino, fields.mode, 0, 0, fields.nlink, 0, fields.size, 0, 0, 0, 0, fields.nameBytes + 1, 0].map(hex).join('');
}

export function writeCpio(files: readonly CpioFile[]): Uint8Array {
  if (files.length > CPIO_ENTRIES_MAX) throw new EmuError('CPIO_TOO_MANY_ENTRIES', `${files.length} files, over ${CPIO_ENTRIES_MAX}`);
  const entries = new Map<string, Uint8Array | null>();
  for (const file of files) {
    checkArchivePath(file.path);
    if (entries.has(file.path)) throw new EmuError('CPIO_DUPLICATE_PATH', `${JSON.stringify(file.path)} given twice`);
    entries.set(file.path, file.data);
  }
  for (const file of files) {
    const segments = file.path.split('/');
    for (let depth = 1; depth < segments.length; depth++) {
      const dir = segments.slice(0, depth).join('/');
      if (entries.get(dir) instanceof Uint8Array) throw new EmuError('CPIO_DUPLICATE_PATH', `${JSON.stringify(dir)} is both a file and a directory`);
      entries.set(dir, null);
    }
  }
  if (entries.size > CPIO_ENTRIES_MAX) throw new EmuError('CPIO_TOO_MANY_ENTRIES', `${entries.size} entries, over ${CPIO_ENTRIES_MAX}`);
  const paths = [...entries.keys()].sort(compareUtf8);

  const chunks: Uint8Array[] = [];
  let total = 0;
  const push = (bytes: Uint8Array) => {
    chunks.push(bytes);
    total += bytes.length;
    if (total > CPIO_BYTES_MAX) throw new EmuError('CPIO_TOO_LARGE', `archive over ${CPIO_BYTES_MAX} bytes`);
  };
  const entry = (name: string, ino: number, mode: number, nlink: number, data: Uint8Array) => {
    const nameBytes = utf8(name);
    push(utf8(headerText({ ino, mode, nlink, size: data.length, nameBytes: nameBytes.length })));
    push(nameBytes);
    push(new Uint8Array(1 + pad4(HEADER_BYTES + nameBytes.length + 1)));
    push(data);
    push(new Uint8Array(pad4(data.length)));
  };
  paths.forEach((path, i) => {
    const data = entries.get(path);
    if (data instanceof Uint8Array) entry(path, i + 1, FILE_MODE, 1, data);
    else entry(path, i + 1, DIR_MODE, 2, new Uint8Array(0));
  });
  entry(TRAILER, 0, 0, 1, new Uint8Array(0));

  return concatBytes(...chunks);
}

function malformed(message: string, offset: number): never {
  throw new EmuError('CPIO_MALFORMED', `${message} at offset ${offset}`, { offset });
}

function zeroes(bytes: Uint8Array, from: number, count: number): boolean {
  for (let i = from; i < from + count; i++) if (bytes[i] !== 0) return false;
  return true;
}

export function readCpio(bytes: Uint8Array): CpioEntry[] {
  if (bytes.length > CPIO_BYTES_MAX) throw new EmuError('CPIO_TOO_LARGE', `archive over ${CPIO_BYTES_MAX} bytes`);
  const entries: CpioEntry[] = [];
  const seen = new Set<string>();
  let at = 0;
  for (;;) {
    if (entries.length > CPIO_ENTRIES_MAX) throw new EmuError('CPIO_TOO_MANY_ENTRIES', `over ${CPIO_ENTRIES_MAX} entries`);
    if (at + HEADER_BYTES > bytes.length) throw new EmuError('CPIO_TRUNCATED', `archive ends inside a header at ${at} (no ${TRAILER})`);
    const header = String.fromCharCode(...bytes.subarray(at, at + HEADER_BYTES));
    if (!header.startsWith(MAGIC)) throw new EmuError('CPIO_BAD_MAGIC', `expected newc magic ${MAGIC} at offset ${at}`);
    const fields: number[] = [];
    for (let i = 0; i < 13; i++) {
      const text = header.slice(6 + 8 * i, 14 + 8 * i);
      if (!/^[0-9A-Fa-f]{8}$/.test(text)) malformed(`header field ${i} is not 8 hex digits`, at);
      fields.push(parseInt(text, 16));
    }
    const [, mode, , , , , size, , , , , nameSize, check] = fields as [number, number, number, number, number, number, number, number, number, number, number, number, number];
    if (check !== 0) malformed('newc entries carry a zero check field', at);
    if (nameSize < 2 || nameSize > CPIO_PATH_BYTES_MAX + 1) malformed(`name size ${nameSize} out of range`, at);
    const nameAt = at + HEADER_BYTES;
    const namePad = pad4(HEADER_BYTES + nameSize);
    const dataAt = nameAt + nameSize + namePad;
    if (dataAt > bytes.length) throw new EmuError('CPIO_TRUNCATED', `archive ends inside a name at ${nameAt}`);
    if (bytes[nameAt + nameSize - 1] !== 0) malformed('name is not NUL-terminated', nameAt);
    if (!zeroes(bytes, nameAt + nameSize, namePad)) malformed('non-zero name padding', nameAt);
    let name: string;
    try {
      name = fromUtf8(bytes.subarray(nameAt, nameAt + nameSize - 1));
    } catch {
      malformed('name is not UTF-8', nameAt);
    }
    const dataPad = pad4(size);
    if (dataAt + size + dataPad > bytes.length) throw new EmuError('CPIO_TRUNCATED', `archive ends inside the data of ${JSON.stringify(name)}`);
    if (!zeroes(bytes, dataAt + size, dataPad)) malformed('non-zero data padding', dataAt + size);
    const next = dataAt + size + dataPad;
    if (name === TRAILER) {
      if (size !== 0) malformed('the trailer carries data', at);
      if (next !== bytes.length) throw new EmuError('CPIO_TRAILING_BYTES', `${bytes.length - next} bytes after ${TRAILER}`);
      return entries;
    }
    checkArchivePath(name);
    if (seen.has(name)) throw new EmuError('CPIO_DUPLICATE_PATH', `${JSON.stringify(name)} appears twice`);
    seen.add(name);
    const type = mode & S_IFMT;
    if (type === S_IFDIR) {
      if (size !== 0) malformed(`directory ${JSON.stringify(name)} has data`, at);
      entries.push({ path: name, kind: 'directory', mode, data: new Uint8Array(0) });
    } else if (type === S_IFREG) {
      entries.push({ path: name, kind: 'file', mode, data: bytes.slice(dataAt, dataAt + size) });
    } else {
      throw new EmuError('CPIO_UNSUPPORTED_ENTRY', `${JSON.stringify(name)} has file type 0o${type.toString(8)}; only files and directories are accepted`);
    }
    at = next;
  }
}
