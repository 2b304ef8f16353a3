import { EmuError, assert } from '../../errors.ts';
import type { TransferDescriptor } from '../types.ts';
import { DOORBELL_BATCH_MAX, type DeviceLink, newDescriptorId, runBatch, transferFailed, usableLink } from './link.ts';

/**
 * Bounce buffers: everything that crosses into or out of device memory passes through host-visible staging slots.
 * Confidential path: the driver seals each chunk with its h2d lockstep channel and the copy engine opens it
 * ('decrypt'); read-back is 'encrypt' on the device and open here, so the host only ever sees ciphertext ‖ tag.
 * Plain path: 'copy-in'/'copy-out' with plaintext in the slots (the contrast the negative controls show).
 */
export const GCM_TAG_BYTES = 16;
export const DEFAULT_CHUNK_BYTES = 1 << 20;
/** Bounds one transfer call (1 GiB): the loop below runs at most this / chunkBytes times. */
export const TRANSFER_BYTES_MAX = 1 << 30;

/** The chunk size for this port: the caller's (checked against the slot) or the default clamped to the slot. */
export function chunkBytesFor(link: DeviceLink, requested: number | undefined): number {
  const slotPayloadMax = link.port.staging.slotBytesMax - GCM_TAG_BYTES;
  if (slotPayloadMax <= 0) throw new EmuError('DRIVER_BAD_CHUNK', 'staging slots are too small for a tagged chunk');
  if (requested === undefined) return Math.min(DEFAULT_CHUNK_BYTES, slotPayloadMax);
  if (!Number.isSafeInteger(requested) || requested <= 0 || requested > slotPayloadMax) {
    throw new EmuError('DRIVER_BAD_CHUNK', 'chunkBytes must be a positive integer ≤ the staging slot size minus the tag', {
      chunkBytes: requested,
      slotPayloadMax,
    });
  }
  return requested;
}

function slotsPerBatch(link: DeviceLink): number {
  return Math.max(1, Math.min(DOORBELL_BATCH_MAX, link.port.staging.slotsMax));
}

function checkLength(length: number): void {
  if (!Number.isSafeInteger(length) || length < 0 || length > TRANSFER_BYTES_MAX) {
    throw new EmuError('DRIVER_BAD_TRANSFER', 'transfer length out of bounds', { length, transferBytesMax: TRANSFER_BYTES_MAX });
  }
}

/** Host → device memory at `address`. `source(offset, length)` yields plaintext bytes lazily (file ranges). */
export function writeToDevice(
  link: DeviceLink,
  address: number,
  length: number,
  chunkBytes: number,
  source: (offset: number, length: number) => Uint8Array,
): number {
  usableLink(link);
  checkLength(length);
  const batchMax = slotsPerBatch(link);
  let busyNs = 0;
  let offset = 0;
  while (offset < length) {
    const batch: TransferDescriptor[] = [];
    while (offset < length && batch.length < batchMax) {
      const size = Math.min(chunkBytes, length - offset);
      const plaintext = source(offset, size);
      assert(plaintext.length === size, 'source returned the wrong number of bytes');
      const slot = batch.length;
      stage(link, slot, plaintext);
      batch.push({
        id: newDescriptorId(link),
        op: link.path === 'confidential' ? 'decrypt' : 'copy-in',
        stagingSlot: slot,
        deviceAddress: address + offset,
        length: size,
      });
      offset += size;
    }
    busyNs += runBatch(link, batch);
  }
  return busyNs;
}

/** Seals (or copies) one chunk into a slot; a slot write that fails after the seal leaves the counters apart. */
function stage(link: DeviceLink, slot: number, plaintext: Uint8Array): void {
  if (link.path === 'plain') {
    link.port.staging.write(slot, plaintext, { writer: 'driver', sealed: false });
    return;
  }
  const h2d = link.h2d;
  assert(h2d !== undefined, 'confidential link without an h2d channel');
  const sealed = h2d.seal(plaintext);
  try {
    link.port.staging.write(slot, sealed, { writer: 'driver', sealed: true });
  } catch (error) {
    link.broken = true;
    throw transferFailed(link, error instanceof EmuError ? error.code : 'STAGING_WRITE_FAILED', error);
  }
}

/** Device memory → host: returns the plaintext and the device busy time. */
export function readFromDevice(
  link: DeviceLink,
  address: number,
  length: number,
  chunkBytes: number,
): { readonly bytes: Uint8Array; readonly busyNs: number } {
  usableLink(link);
  checkLength(length);
  const out = new Uint8Array(length);
  const batchMax = slotsPerBatch(link);
  let busyNs = 0;
  let offset = 0;
  while (offset < length) {
    const batch: TransferDescriptor[] = [];
    for (let o = offset; o < length && batch.length < batchMax; o += chunkBytes) {
      batch.push({
        id: newDescriptorId(link),
        op: link.path === 'confidential' ? 'encrypt' : 'copy-out',
        stagingSlot: batch.length,
        deviceAddress: address + o,
        length: Math.min(chunkBytes, length - o),
      });
    }
    busyNs += runBatch(link, batch);
    // Open in submission order: the d2h counter advanced once per 'encrypt', in the same order.
    for (const d of batch) {
      const staged = link.port.staging.read(d.stagingSlot);
      const plaintext = link.path === 'confidential' ? openChunk(link, staged) : staged;
      if (plaintext.length !== d.length) {
        link.broken = true;
        throw transferFailed(link, 'DEVICE_LENGTH_MISMATCH', undefined, { expected: d.length, got: plaintext.length });
      }
      out.set(plaintext, d.deviceAddress - address);
    }
    offset += batch.reduce((sum, d) => sum + d.length, 0);
  }
  return { bytes: out, busyNs };
}

function openChunk(link: DeviceLink, sealed: Uint8Array): Uint8Array {
  const d2h = link.d2h;
  assert(d2h !== undefined, 'confidential link without a d2h channel');
  try {
    return d2h.open(sealed);
  } catch (error) {
    link.broken = true;
    throw transferFailed(link, error instanceof EmuError ? error.code : 'DEVICE_OPEN_FAILED', error);
  }
}
