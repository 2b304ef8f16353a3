// One test per real crash the fuzzer found; the reproducers themselves are replayed by corpus.test.ts.
import { describe, expect, it } from 'vitest';
import { decodeStateFile } from '../../src/kms-server/index.ts';
import { EmuError } from '../../src/errors.ts';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof EmuError) return error.code;
    throw error;
  }
  return 'no error';
}

describe('kms-state: a header that is not UTF-8', () => {
  const enc = new TextEncoder();

  it('is a KMS_STATE_TRUNCATED/FORMAT refusal, not a TypeError from the UTF-8 decoder', () => {
    // Truncated inside the header (no newline), with a byte sequence that is not UTF-8.
    expect(codeOf(() => decodeStateFile(new Uint8Array([...enc.encode('NITRO-EMU-KMS-STAT'), 0xff, 0xfe]), 'x'))).toBe('KMS_STATE_FORMAT');
    // A whole header line with a broken two-byte sequence.
    const header = new Uint8Array([...enc.encode('NITRO-EMU-KMS-STATE/1 length=2 sha256='), 0xc3, 0x28, 0x0a, 0x7b, 0x7d]);
    expect(codeOf(() => decodeStateFile(header, 'x'))).toBe('KMS_STATE_FORMAT');
  });

  it('still reads a truncated but valid prefix as truncated', () => {
    expect(codeOf(() => decodeStateFile(enc.encode('NITRO-EMU-KMS'), 'x'))).toBe('KMS_STATE_TRUNCATED');
  });
});
