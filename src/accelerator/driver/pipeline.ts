import { EmuError, assert } from '../../errors.ts';
import { argmaxLastRow } from '../kernels/index.ts';
import type { ComputeDescriptor, PeerDescriptor } from '../types.ts';
import { readFromDevice, writeToDevice } from './bounce.ts';
import type { DriverEventSink } from './defences.ts';
import { DOORBELL_BATCH_MAX, type DeviceLink, newDescriptorId, runBatch } from './link.ts';
import { type ModelPlan, planStage } from './plan.ts';

/**
 * Greedy generation on a pipeline of devices, the same computation as the kernels' CPU reference: each step puts
 * the whole sequence's ids in (through the bounce buffers), runs every stage in order, passes activations from one
 * device to the next over the peer link (sealed with the pair's link key in confidential mode), reads back only
 * the last row of logits, and appends its argmax. Bounded by maxSeq like the reference.
 */
export const NEW_TOKENS_MAX = 4096;
/** The link slot activations travel through: the pipeline is sequential, so one slot per receiver suffices. */
const ACTIVATION_LINK_SLOT = 0;

export interface PipelineContext {
  readonly chunkBytesOf: (link: DeviceLink) => number;
  readonly emit: DriverEventSink;
}

/** How many tokens will be generated; the same checks and cap as the reference (fewer when maxSeq is reached). */
export function generationCount(plan: ModelPlan, promptTokens: readonly number[], newTokens: number): number {
  const { maxSeq, vocab } = plan.shape;
  if (!Number.isSafeInteger(newTokens) || newTokens < 0 || newTokens > NEW_TOKENS_MAX) {
    throw new EmuError('MODEL_BAD_PROMPT', `newTokens must be in 0..${NEW_TOKENS_MAX}`, { newTokens });
  }
  if (!Array.isArray(promptTokens) || promptTokens.length < 1 || promptTokens.length > maxSeq) {
    throw new EmuError('MODEL_BAD_PROMPT', `prompt must hold 1..${maxSeq} tokens`, { length: promptTokens.length });
  }
  for (const token of promptTokens) {
    if (!Number.isSafeInteger(token) || token < 0 || token >= vocab) {
      throw new EmuError('MODEL_BAD_PROMPT', 'prompt token outside the vocabulary', { token, vocab });
    }
  }
  return Math.min(newTokens, maxSeq - promptTokens.length);
}

function int32Bytes(tokens: readonly number[]): Uint8Array {
  const out = new Uint8Array(4 * tokens.length);
  const view = new DataView(out.buffer);
  for (const [i, t] of tokens.entries()) view.setInt32(4 * i, t, true);
  return out;
}

function float32s(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

function runCompute(link: DeviceLink, calls: ComputeDescriptor['call'][]): number {
  let busyNs = 0;
  for (let i = 0; i < calls.length; i += DOORBELL_BATCH_MAX) {
    const batch = calls.slice(i, i + DOORBELL_BATCH_MAX).map((call): ComputeDescriptor => ({ id: newDescriptorId(link), op: 'compute', call }));
    busyNs += runBatch(link, batch);
  }
  return busyNs;
}

/** Device → device, chunk by chunk: the sender seals into the receiver's link slot, the receiver opens it. */
function passActivations(from: DeviceLink, to: DeviceLink, fromAddress: number, toAddress: number, length: number, chunkBytes: number): number {
  let busyNs = 0;
  for (let offset = 0; offset < length; offset += chunkBytes) {
    const size = Math.min(chunkBytes, length - offset);
    const send: PeerDescriptor = {
      id: newDescriptorId(from), op: 'peer-send', peerDeviceId: to.port.deviceId, linkSlot: ACTIVATION_LINK_SLOT,
      deviceAddress: fromAddress + offset, length: size,
    };
    busyNs += runBatch(from, [send]);
    const recv: PeerDescriptor = {
      id: newDescriptorId(to), op: 'peer-recv', peerDeviceId: from.port.deviceId, linkSlot: ACTIVATION_LINK_SLOT,
      deviceAddress: toAddress + offset, length: size,
    };
    busyNs += runBatch(to, [recv]);
  }
  return busyNs;
}

export function runGeneration(
  ctx: PipelineContext,
  plan: ModelPlan,
  promptTokens: readonly number[],
  newTokens: number,
): { tokens: number[]; deviceNs: number } {
  const count = generationCount(plan, promptTokens, newTokens);
  const { dim, vocab } = plan.shape;
  const first = plan.stages[0]!.link;
  const tokens = [...promptTokens];
  const generated: number[] = [];
  let deviceNs = 0;
  for (let step = 0; step < count; step++) {
    const seq = tokens.length;
    const ids = int32Bytes(tokens);
    deviceNs += writeToDevice(first, plan.idsAddress, ids.length, ctx.chunkBytesOf(first), (o, n) => ids.subarray(o, o + n));
    let logitsRow: Float32Array | undefined;
    for (const [index, stage] of plan.stages.entries()) {
      const forward = planStage(plan, index, seq);
      deviceNs += runCompute(stage.link, [...forward.calls]);
      const next = plan.stages[index + 1];
      if (next !== undefined) {
        const chunkBytes = Math.min(ctx.chunkBytesOf(stage.link), ctx.chunkBytesOf(next.link));
        deviceNs += passActivations(stage.link, next.link, forward.output.address, plan.inputAddress, 4 * seq * dim, chunkBytes);
      } else {
        const rowAddress = forward.output.address + 4 * (seq - 1) * vocab;
        const read = readFromDevice(stage.link, rowAddress, 4 * vocab, ctx.chunkBytesOf(stage.link));
        deviceNs += read.busyNs;
        logitsRow = float32s(read.bytes);
      }
    }
    assert(logitsRow !== undefined, 'the last stage reads the logits back');
    const token = argmaxLastRow(logitsRow, vocab);
    tokens.push(token);
    generated.push(token);
    ctx.emit('driver.generate.token', { step, seqLength: seq, deviceNs });
  }
  return { tokens: generated, deviceNs };
}
