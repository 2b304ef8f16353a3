import { decodeSpdmError, fromUtf8, spdmErrorName, SpdmErrorCode } from '../../crypto/index.ts';
import { EmuError } from '../../errors.ts';

/**
 * SPDM_ERROR_RESPONSE for an ERROR message: details carry the SPDM error code and, for a VendorDefined error from
 * the device's command handler, the device's own EmuError code (`deviceCode`).
 */
export function errorResponse(message: Uint8Array, during: string): EmuError {
  const { code, data, extended } = decodeSpdmError(message);
  let deviceCode: string | undefined;
  if (code === SpdmErrorCode.VendorDefined && extended.length > 3 && extended[0] === 2) {
    try {
      deviceCode = fromUtf8(extended.subarray(3));
    } catch {
      deviceCode = undefined;
    }
  }
  const name = spdmErrorName(code);
  return new EmuError(
    'SPDM_ERROR_RESPONSE',
    `the responder answered ${during} with ERROR ${name}${deviceCode === undefined ? '' : ` (${deviceCode})`}`,
    { errorCode: code, errorName: name, errorData: data, ...(deviceCode === undefined ? {} : { deviceCode }) },
  );
}
