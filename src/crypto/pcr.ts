import { EmuError } from '../errors.ts';
import { concatBytes } from './bytes.ts';
import { sha384 } from './hash.ts';

export const PCR_LENGTH = 48;

export function zeroPcr(): Uint8Array {
  return new Uint8Array(PCR_LENGTH);
}

/** PCR_new = SHA384(PCR_old ‖ data), the NSM's ExtendPCR and every measurement formula. */
export function pcrExtend(current: Uint8Array, data: Uint8Array): Uint8Array {
  if (current.length !== PCR_LENGTH) {
    throw new EmuError('PCR_BAD_LENGTH', `a SHA-384 PCR is ${PCR_LENGTH} bytes, got ${current.length}`);
  }
  return sha384(concatBytes(current, data));
}

export function isZeroPcr(value: Uint8Array): boolean {
  return value.every((b) => b === 0);
}
