import { EmuError } from '../../errors.ts';
import type { TensorRef, TransformerShape, WeightLayout } from './index.ts';
import { readNetmHeader, specElements, tensorSpecs } from './netm-format.ts';

export const LAYOUT_PAGE_BYTES = 4096;

export function pageAlign(bytes: number): number {
  return Math.ceil(bytes / LAYOUT_PAGE_BYTES) * LAYOUT_PAGE_BYTES;
}

export function checkPageAddress(address: number, what: string): void {
  if (!Number.isSafeInteger(address) || address < 0 || address % LAYOUT_PAGE_BYTES !== 0) {
    throw new EmuError('KERNEL_BAD_ADDRESS', `${what} must be a non-negative multiple of ${LAYOUT_PAGE_BYTES}`, { what, address });
  }
}

/**
 * Each tensor on its own page-aligned run of device memory, in file order, so a loader can stream a tensor's file
 * bytes to its address chunk by chunk without ever splitting a page between two tensors.
 */
export function planWeightLayout(model: TransformerShape, bytes: Uint8Array, baseAddress: number): WeightLayout {
  checkPageAddress(baseAddress, 'baseAddress');
  const header = readNetmHeader(bytes);
  const fields = ['vocab', 'dim', 'layers', 'heads', 'ffn', 'maxSeq'] as const;
  for (const field of fields) {
    if (header.shape[field] !== model[field]) {
      throw new EmuError('MODEL_SHAPE_MISMATCH', `file ${field} differs from the expected shape`, {
        field, file: header.shape[field], expected: model[field],
      });
    }
  }
  const tensors = new Map<string, TensorRef>();
  const fileRanges = new Map<string, { readonly offset: number; readonly length: number }>();
  let fileOffset = header.dataOffset;
  let deviceOffset = 0;
  for (const spec of tensorSpecs(header.shape)) {
    const length = 4 * specElements(spec);
    tensors.set(spec.name, { address: baseAddress + deviceOffset, shape: spec.shape });
    fileRanges.set(spec.name, { offset: fileOffset, length });
    fileOffset += length;
    deviceOffset += pageAlign(length);
  }
  return { tensors, bytes: deviceOffset, fileRanges };
}
