/**
 * The two kinds of failure (DESIGN.md §4.5):
 * - operating failures are `EmuError`s with a stable `code` that callers and tests match on;
 * - programmer errors are assertions: they mean the emulator itself is wrong, and they crash.
 */
export class EmuError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(`${code}: ${message}`);
    this.name = 'EmuError';
    this.code = code;
    this.details = details;
  }
}

export function isEmuError(error: unknown, code?: string): error is EmuError {
  return error instanceof EmuError && (code === undefined || error.code === code);
}

export class AssertionFailure extends Error {
  constructor(message: string) {
    super(`assertion failed: ${message}`);
    this.name = 'AssertionFailure';
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionFailure(message);
}
