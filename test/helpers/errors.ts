import { expect } from 'vitest';
import { EmuError } from '../../src/errors.ts';

/** Runs `fn` and returns the EmuError it threw; fails the test on success or on any other kind of error. */
export function emuErrorFrom(fn: () => unknown): EmuError {
  try {
    fn();
  } catch (error) {
    if (error instanceof EmuError) return error;
    throw new Error(`expected an EmuError, got ${String(error)}`);
  }
  throw new Error('expected an EmuError, but the call succeeded');
}

export function errorCode(fn: () => unknown): string {
  return emuErrorFrom(fn).code;
}

/** Asserts `fn` throws an EmuError with exactly `code`; returns it for further checks. */
export function expectCode(fn: () => unknown, code: string): EmuError {
  const error = emuErrorFrom(fn);
  expect(error.code).toBe(code);
  return error;
}
