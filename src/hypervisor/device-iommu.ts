import { EmuError } from '../errors.ts';
import type { Simulator } from '../sim/index.ts';
import { PAGE_BYTES, type PhysicalMemory } from './memory.ts';

/** One DMA request moves at most this much (a descriptor's worth); bounds what a hostile engine asks for. */
export const DMA_BYTES_MAX = 1 << 20;

export interface DmaContext {
  readonly memory: PhysicalMemory;
  readonly sim: Simulator;
  readonly deviceId: string;
  /** The instance the device is assigned through; null while unassigned (then it reaches nothing). */
  readonly instanceId: string | null;
  /** Defence `deviceIommu`; off, every frame is reachable (OP-03's control). */
  readonly enforce: boolean;
}

function fault(context: DmaContext, physicalAddress: number, frame: number, owner: string): never {
  context.sim.record('host.iommu-fault', { deviceId: context.deviceId, physicalAddress, frame });
  throw new EmuError('HOST_IOMMU_FAULT', `device ${context.deviceId}: DMA to ${physicalAddress} (frame ${frame}, ${owner}) is outside its IOMMU domain`, {
    deviceId: context.deviceId,
    physicalAddress,
    frame,
  });
}

/**
 * Walks the pages of one DMA and checks every one before any byte moves, so a faulting transfer reads or writes
 * nothing. The domain is the frames the assigned instance owns now (its bounce buffers live there); enclave frames
 * were retagged away from it at carve-out and other guests' frames never were its own.
 */
function checkedSpans(context: DmaContext, physicalAddress: number, length: number): { frame: number; offset: number; chunk: number }[] {
  if (!Number.isSafeInteger(physicalAddress) || !Number.isSafeInteger(length) || physicalAddress < 0 || length < 0 || length > DMA_BYTES_MAX) {
    throw new EmuError('HOST_DMA_BAD_REQUEST', `DMA of ${length} bytes at ${physicalAddress} is out of bounds (at most ${DMA_BYTES_MAX} bytes)`);
  }
  const framesTotal = context.memory.framesTotal;
  if (physicalAddress + length > framesTotal * PAGE_BYTES) {
    fault(context, physicalAddress, Math.floor((physicalAddress + length - 1) / PAGE_BYTES), 'beyond host memory');
  }
  const owner = context.instanceId === null ? null : `instance:${context.instanceId}`;
  const spans: { frame: number; offset: number; chunk: number }[] = [];
  let done = 0;
  while (done < length) {
    const at = physicalAddress + done;
    const frame = Math.floor(at / PAGE_BYTES);
    const offset = at % PAGE_BYTES;
    const chunk = Math.min(length - done, PAGE_BYTES - offset);
    const frameOwner = context.memory.ownerOf(frame);
    if (context.enforce && frameOwner !== owner) fault(context, at, frame, frameOwner);
    spans.push({ frame, offset, chunk });
    done += chunk;
  }
  return spans;
}

export function dmaRead(context: DmaContext, physicalAddress: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  for (const span of checkedSpans(context, physicalAddress, length)) {
    out.set(context.memory.readFrame(span.frame, span.offset, span.chunk), done);
    done += span.chunk;
  }
  return out;
}

export function dmaWrite(context: DmaContext, physicalAddress: number, bytes: Uint8Array): void {
  let done = 0;
  for (const span of checkedSpans(context, physicalAddress, bytes.length)) {
    context.memory.writeFrame(span.frame, span.offset, bytes.subarray(done, done + span.chunk));
    done += span.chunk;
  }
}
