import { expect } from 'vitest';
import { isEmuError } from '../../src/errors.ts';

/** Runs `action` and asserts it throws an EmuError with exactly `code`; returns the error for more checks. */
export function expectCode(action: () => unknown, code: string): Error {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected ${code}`).toBeDefined();
  expect(isEmuError(thrown) ? thrown.code : String(thrown)).toBe(code);
  return thrown as Error;
}

/** A copy of `bytes` with bits `mask` flipped at `index`. */
export function flipped(bytes: Uint8Array, index: number, mask = 0x01): Uint8Array {
  const out = bytes.slice();
  out[index] = out[index]! ^ mask;
  return out;
}

export function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}
