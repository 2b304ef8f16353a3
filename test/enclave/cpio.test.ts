import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/crypto/index.ts';
import { readCpio, writeCpio } from '../../src/enclave/index.ts';
import { expectCode } from './helpers.ts';

const ascii = (bytes: Uint8Array) => String.fromCharCode(...bytes);

describe('cpio newc writer', () => {
  it('writes the newc header, padded name and data, and the trailer, byte for byte', () => {
    const archive = writeCpio([{ path: 'ab', data: utf8('hello') }]);
    // header: magic, ino 1, mode 0100644, uid 0, gid 0, nlink 1, mtime 0, size 5, dev 0/0, rdev 0/0, namesize 3, check 0
    const header = '070701' + '00000001' + '000081A4' + '00000000' + '00000000' + '00000001' + '00000000' + '00000005' +
      '00000000'.repeat(4) + '00000003' + '00000000';
    expect(ascii(archive.subarray(0, 110))).toBe(header);
    // 110 + 3 = 113 → name padded to 116; data 5 → padded to 8
    expect(ascii(archive.subarray(110, 113))).toBe('ab\0');
    expect([...archive.subarray(113, 116)]).toEqual([0, 0, 0]);
    expect(ascii(archive.subarray(116, 121))).toBe('hello');
    expect([...archive.subarray(121, 124)]).toEqual([0, 0, 0]);
    const trailer = '070701' + '00000000'.repeat(4) + '00000001' + '00000000'.repeat(6) + '0000000B' + '00000000';
    expect(ascii(archive.subarray(124, 234))).toBe(trailer);
    expect(ascii(archive.subarray(234, 245))).toBe('TRAILER!!!\0');
    expect(archive.length).toBe(248); // 234 + 11 → 245, padded to 248
  });

  it('is deterministic: input order does not matter, directories are explicit and sorted first', () => {
    const files = [
      { path: 'b/z.txt', data: utf8('z') },
      { path: 'a.txt', data: utf8('a') },
      { path: 'b/c/d', data: new Uint8Array(0) },
    ];
    const one = writeCpio(files);
    expect(writeCpio([...files].reverse())).toEqual(one);
    const entries = readCpio(one);
    expect(entries.map((e) => `${e.kind}:${e.path}`)).toEqual(['file:a.txt', 'directory:b', 'directory:b/c', 'file:b/c/d', 'file:b/z.txt']);
    expect(entries.find((e) => e.path === 'b/z.txt')!.data).toEqual(utf8('z'));
    expect(entries.find((e) => e.path === 'b')!.mode).toBe(0o40755);
  });

  it('refuses paths that are not canonical and relative, and duplicates', () => {
    for (const path of ['/abs', '../up', 'a/../b', 'a//b', './a', 'a/', '', 'TRAILER!!!', 'nul\0byte']) {
      expectCode(() => writeCpio([{ path, data: new Uint8Array(0) }]), 'CPIO_BAD_PATH');
    }
    expectCode(() => writeCpio([{ path: 'a', data: new Uint8Array(0) }, { path: 'a', data: new Uint8Array(1) }]), 'CPIO_DUPLICATE_PATH');
    expectCode(() => writeCpio([{ path: 'a', data: new Uint8Array(0) }, { path: 'a/b', data: new Uint8Array(1) }]), 'CPIO_DUPLICATE_PATH');
  });
});

describe('cpio newc reader', () => {
  const good = writeCpio([{ path: 'dir/file', data: utf8('data!') }]);
  const patched = (at: number, text: string) => {
    const copy = good.slice();
    copy.set(utf8(text), at);
    return copy;
  };

  it('round-trips and accepts lower-case hex', () => {
    expect(readCpio(good).map((e) => e.path)).toEqual(['dir', 'dir/file']);
    expect(readCpio(patched(14, '000041ed')).length).toBe(2);
  });

  it('refuses malformed archives with typed errors', () => {
    expectCode(() => readCpio(patched(0, '070702')), 'CPIO_BAD_MAGIC');
    expectCode(() => readCpio(patched(6, '0000000G')), 'CPIO_MALFORMED');
    expectCode(() => readCpio(patched(102, '00000001')), 'CPIO_MALFORMED'); // check field
    expectCode(() => readCpio(good.subarray(0, good.length - 4)), 'CPIO_TRUNCATED');
    expectCode(() => readCpio(good.subarray(0, 50)), 'CPIO_TRUNCATED');
    const extra = new Uint8Array(good.length + 4);
    extra.set(good);
    expectCode(() => readCpio(extra), 'CPIO_TRAILING_BYTES');
    // symlink (0120777) is not accepted
    expectCode(() => readCpio(patched(14, '0000A1FF')), 'CPIO_UNSUPPORTED_ENTRY');
    // a directory carrying data
    expectCode(() => readCpio(patched(54, '00000001')), 'CPIO_MALFORMED');
    // the name must be NUL-terminated: namesize one short
    expectCode(() => readCpio(patched(94, '00000003')), 'CPIO_MALFORMED');
  });

  it('refuses duplicates, bad paths and non-zero padding', () => {
    const dup = writeCpio([{ path: 'x', data: new Uint8Array(0) }, { path: 'y', data: new Uint8Array(0) }]);
    const copy = dup.slice();
    // the second entry starts at 110 + 2 (name) + 0 → 112; its name 'y' at 222
    copy[222] = 'x'.charCodeAt(0);
    expectCode(() => readCpio(copy), 'CPIO_DUPLICATE_PATH');
    const dotdot = writeCpio([{ path: 'ab', data: new Uint8Array(0) }]);
    dotdot.set(utf8('..'), 110);
    expectCode(() => readCpio(dotdot), 'CPIO_BAD_PATH');
    const padding = writeCpio([{ path: 'ab', data: utf8('hello') }]);
    padding[122] = 1;
    expectCode(() => readCpio(padding), 'CPIO_MALFORMED');
  });
});
