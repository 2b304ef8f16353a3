// The newc reader's refusals, on archives built field by field here (not by writeCpio) so each defect is exact.
import { describe, expect, it } from 'vitest';
import { isEmuError } from '../../src/errors.ts';
import { readCpio, writeCpio } from '../../src/enclave/index.ts';
import { concatBytes } from '../../src/crypto/index.ts';

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const pad4 = (n: number) => (4 - (n % 4)) % 4;

interface RawEntry {
  name: Uint8Array | string;
  mode: number;
  data?: Uint8Array;
  nameSize?: number;
  namePadByte?: number;
}

function rawEntry(e: RawEntry): Uint8Array {
  const name = typeof e.name === 'string' ? new TextEncoder().encode(e.name) : e.name;
  const data = e.data ?? new Uint8Array(0);
  const nameSize = e.nameSize ?? name.length + 1;
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
  const header = '070701' + [1, e.mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, nameSize, 0].map(hex).join('');
  const namePart = new Uint8Array(nameSize + pad4(110 + nameSize));
  namePart.set(name.subarray(0, Math.max(0, nameSize - 1)));
  if (e.namePadByte !== undefined && namePart.length > nameSize) namePart[nameSize] = e.namePadByte;
  const out = new Uint8Array(110 + namePart.length + data.length + pad4(data.length));
  out.set(new TextEncoder().encode(header), 0);
  out.set(namePart, 110);
  out.set(data, 110 + namePart.length);
  return out;
}

function archive(...entries: RawEntry[]): Uint8Array {
  return concatBytes(...[...entries, { name: 'TRAILER!!!', mode: 0 }].map(rawEntry));
}

function refusal(bytes: Uint8Array, code: string): string {
  try {
    readCpio(bytes);
  } catch (error) {
    if (isEmuError(error, code)) return error.message;
    throw error;
  }
  throw new Error(`expected ${code}, but the archive was accepted`);
}

describe('cpio newc reader refusals', () => {
  it('the hand-built archive is read back (the builder is a faithful newc writer)', () => {
    const entries = readCpio(archive({ name: 'd', mode: S_IFDIR | 0o755 }, { name: 'd/f', mode: S_IFREG | 0o644, data: Uint8Array.of(1, 2, 3) }));
    expect(entries.map((e) => [e.path, e.kind, [...e.data]])).toEqual([
      ['d', 'directory', []],
      ['d/f', 'file', [1, 2, 3]],
    ]);
    expect(readCpio(writeCpio([{ path: 'd/f', data: Uint8Array.of(1, 2, 3) }]))).toEqual(entries);
  });

  it('name size below 2 or above 4097', () => {
    expect(refusal(archive({ name: '', mode: S_IFREG, nameSize: 1 }), 'CPIO_MALFORMED')).toMatch(/name size 1 out of range/);
    const longName = 'a'.repeat(4097);
    expect(refusal(archive({ name: longName, mode: S_IFREG }), 'CPIO_MALFORMED')).toMatch(/name size 4098 out of range/);
  });

  it('nonzero name padding', () => {
    // 'ab' + NUL: 110 + 3 = 113, so three padding bytes follow the name.
    expect(refusal(archive({ name: 'ab', mode: S_IFREG, namePadByte: 1 }), 'CPIO_MALFORMED')).toMatch(/non-zero name padding/);
  });

  it('a name that is not UTF-8', () => {
    expect(refusal(archive({ name: Uint8Array.of(0x61, 0xff), mode: S_IFREG }), 'CPIO_MALFORMED')).toMatch(/not UTF-8/);
  });

  it('data that runs past the end of the archive', () => {
    const whole = archive({ name: 'f', mode: S_IFREG, data: new Uint8Array(64) });
    const cut = whole.subarray(0, 110 + 4 + 10);
    expect(refusal(cut, 'CPIO_TRUNCATED')).toMatch(/inside the data of "f"/);
  });

  it('a trailer carrying data, and a directory carrying data', () => {
    const trailerWithData = rawEntry({ name: 'TRAILER!!!', mode: 0, data: Uint8Array.of(1, 2, 3, 4) });
    expect(refusal(trailerWithData, 'CPIO_MALFORMED')).toMatch(/trailer carries data/);
    expect(refusal(archive({ name: 'd', mode: S_IFDIR | 0o755, data: Uint8Array.of(1) }), 'CPIO_MALFORMED')).toMatch(/directory "d" has data/);
  });
});

describe('cpio bounds', () => {
  it('the writer refuses more than 65536 files, or more than 65536 entries once parent directories are added', () => {
    const tooMany = Array.from({ length: 65_537 }, (_, i) => ({ path: `f${i}`, data: new Uint8Array(0) }));
    expect(() => writeCpio(tooMany)).toThrow(expect.objectContaining({ code: 'CPIO_TOO_MANY_ENTRIES' }));
    // 32769 files each in its own directory: under the file limit, over the entry limit (65538 entries).
    const withDirs = Array.from({ length: 32_769 }, (_, i) => ({ path: `d${i}/f`, data: new Uint8Array(0) }));
    let caught: unknown;
    try {
      writeCpio(withDirs);
    } catch (error) {
      caught = error;
    }
    expect(isEmuError(caught, 'CPIO_TOO_MANY_ENTRIES')).toBe(true);
    expect((caught as Error).message).toMatch(/65538 entries/);
  });

  it('both sides refuse an archive over 256 MiB before reading or copying it', () => {
    // Never written to: the zero pages are not touched, so this costs address space, not memory.
    const big = new Uint8Array(256 * 1024 * 1024 + 1);
    expect(refusal(big, 'CPIO_TOO_LARGE')).toMatch(/archive over/);
    expect(() => writeCpio([{ path: 'big', data: big.subarray(0, 256 * 1024 * 1024) }])).toThrow(
      expect.objectContaining({ code: 'CPIO_TOO_LARGE' }),
    );
  });
});
