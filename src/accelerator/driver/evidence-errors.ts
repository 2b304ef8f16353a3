import { EmuError, isEmuError } from '../../errors.ts';

/**
 * Lower layers (SPDM, X.509, COSE) have their own codes; the driver reports one family (DEVICE_*) so a caller and
 * a scenario checker match on what failed in the device's evidence, with the lower code kept as the cause.
 */
export function asDeviceError<T>(code: string, what: string, run: () => T, remap: Readonly<Record<string, string>> = {}): T {
  try {
    return run();
  } catch (error) {
    if (!isEmuError(error)) throw error;
    if (error.code.startsWith('DEVICE_') && remap[error.code] === undefined) throw error;
    const mapped = remap[error.code] ?? code;
    throw new EmuError(mapped, `${what}: ${error.message}`, { cause: error.code, ...(error.details ?? {}) });
  }
}

export function deviceError(code: string, message: string, details: Record<string, unknown> = {}): never {
  throw new EmuError(code, message, details);
}
