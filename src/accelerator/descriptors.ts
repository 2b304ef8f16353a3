import { EmuError } from '../errors.ts';
import type { ProtectedMemory } from './protected-memory.ts';
import type { StagingBuffers } from './staging.ts';
import type { Descriptor } from './types.ts';

/**
 * Strict check of a descriptor at submit time: it comes from code the device does not trust, so every field is
 * validated and the device keeps its own frozen copy (the submitter cannot change it between submit and doorbell).
 * Anything static (size, range, slot) fails here, before it takes a ring slot.
 */
export interface DescriptorLimits {
  readonly transferBytesMax: number;
  readonly memory: ProtectedMemory;
  readonly staging: StagingBuffers;
  readonly link: StagingBuffers;
}

const PEER_ID_CHARS_MAX = 64;
const KERNEL_INPUTS_MAX = 16;
const SHAPE_RANK_MAX = 4;

function bad(message: string, details?: Record<string, unknown>): EmuError {
  return new EmuError('ACCEL_BAD_DESCRIPTOR', message, details);
}

function isUint(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function checkLength(length: unknown, limits: DescriptorLimits): number {
  if (!isUint(length)) throw bad('length must be a non-negative integer');
  if (length > limits.transferBytesMax) {
    throw new EmuError('ACCEL_TRANSFER_TOO_LARGE', 'descriptor length out of bounds', { length, transferBytesMax: limits.transferBytesMax });
  }
  return length;
}

function copyTensor(ref: unknown): { address: number; shape: number[] } {
  const r = ref as { address?: unknown; shape?: unknown } | null;
  if (typeof r !== 'object' || r === null || !isUint(r.address) || !Array.isArray(r.shape)) throw bad('bad tensor reference');
  if (r.shape.length === 0 || r.shape.length > SHAPE_RANK_MAX || !r.shape.every(isUint)) throw bad('bad tensor shape');
  return { address: r.address, shape: [...(r.shape as number[])] };
}

export function checkDescriptor(d: Descriptor, limits: DescriptorLimits): Descriptor {
  if (typeof d !== 'object' || d === null || !isUint(d.id)) throw bad('descriptor needs a non-negative integer id');
  switch (d.op) {
    case 'decrypt':
    case 'encrypt':
    case 'copy-in':
    case 'copy-out': {
      const length = checkLength(d.length, limits);
      limits.memory.checkRange(d.deviceAddress, length);
      limits.staging.checkSlot(d.stagingSlot);
      return Object.freeze({ id: d.id, op: d.op, stagingSlot: d.stagingSlot, deviceAddress: d.deviceAddress, length });
    }
    case 'peer-send':
    case 'peer-recv': {
      const length = checkLength(d.length, limits);
      limits.memory.checkRange(d.deviceAddress, length);
      if (typeof d.peerDeviceId !== 'string' || d.peerDeviceId.length === 0 || d.peerDeviceId.length > PEER_ID_CHARS_MAX) {
        throw bad('bad peer device id');
      }
      if (d.op === 'peer-recv') limits.link.checkSlot(d.linkSlot);
      else if (!isUint(d.linkSlot)) throw bad('bad link slot');
      return Object.freeze({ id: d.id, op: d.op, peerDeviceId: d.peerDeviceId, linkSlot: d.linkSlot, deviceAddress: d.deviceAddress, length });
    }
    case 'compute': {
      const call = d.call as unknown as { kernel?: unknown; inputs?: unknown; output?: unknown; params?: unknown } | null;
      if (typeof call !== 'object' || call === null || typeof call.kernel !== 'string' || !Array.isArray(call.inputs)) throw bad('bad kernel call');
      if (call.inputs.length > KERNEL_INPUTS_MAX) throw bad(`at most ${KERNEL_INPUTS_MAX} kernel inputs`);
      const params = call.params === undefined ? undefined : { ...(call.params as Record<string, number>) };
      return Object.freeze({
        id: d.id, op: 'compute' as const,
        call: { kernel: d.call.kernel, inputs: call.inputs.map(copyTensor), output: copyTensor(call.output), ...(params ? { params } : {}) },
      });
    }
    default:
      throw bad(`unknown op ${String((d as { op?: unknown }).op)}`);
  }
}
