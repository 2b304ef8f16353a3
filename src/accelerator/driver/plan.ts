import { EmuError } from '../../errors.ts';
import {
  type ForwardStage,
  type TransformerShape,
  type WeightLayout,
  planForwardStage,
} from '../kernels/index.ts';
import type { DeviceLink } from './link.ts';

/**
 * Where things live in each device's memory, the same on every device of a pipeline:
 *   [0, weights)            the model's weight layout (only the tensors a device's stage reads are ever written)
 *   idsAddress              int32 token ids, maxSeq of them (first stage)
 *   inputAddress            the previous stage's activations [maxSeq, dim] (later stages)
 *   scratchAddress          the stage's scratch
 * Device memory is sparse, so the unused parts of the weight range cost nothing.
 */
export const PAGE_BYTES = 4096;
/** A pipeline longer than this has no use at these model sizes and would only multiply link traffic. */
export const PIPELINE_DEVICES_MAX = 16;

export function pageAlign(bytes: number): number {
  return Math.ceil(bytes / PAGE_BYTES) * PAGE_BYTES;
}

export interface StageAssignment {
  readonly link: DeviceLink;
  readonly firstLayer: number;
  readonly lastLayer: number;
}

export interface ModelPlan {
  readonly shape: TransformerShape;
  readonly layout: WeightLayout;
  readonly idsAddress: number;
  readonly inputAddress: number;
  readonly scratchAddress: number;
  readonly stages: readonly StageAssignment[];
}

export function planModel(shape: TransformerShape, layout: WeightLayout, links: readonly DeviceLink[]): ModelPlan {
  const n = links.length;
  if (n < 1 || n > PIPELINE_DEVICES_MAX || n > shape.layers) {
    throw new EmuError('DRIVER_BAD_GROUP', `a pipeline needs 1..min(${PIPELINE_DEVICES_MAX}, layers=${shape.layers}) devices`, { devices: n });
  }
  const ids = new Set(links.map((l) => l.port.deviceId));
  if (ids.size !== n) throw new EmuError('DRIVER_BAD_GROUP', 'a device appears twice in the pipeline');
  const idsAddress = pageAlign(layout.bytes);
  const inputAddress = idsAddress + pageAlign(4 * shape.maxSeq);
  const scratchAddress = inputAddress + pageAlign(4 * shape.maxSeq * shape.dim);
  // Even split, earlier devices take the remainder's share last: layers [⌊iL/n⌋, ⌊(i+1)L/n⌋).
  const stages = links.map((link, i) => ({
    link,
    firstLayer: Math.floor((i * shape.layers) / n),
    lastLayer: Math.floor(((i + 1) * shape.layers) / n),
  }));
  return { shape, layout, idsAddress, inputAddress, scratchAddress, stages };
}

export function planStage(plan: ModelPlan, index: number, seqLength: number): ForwardStage {
  const stage = plan.stages[index];
  if (stage === undefined) throw new EmuError('DRIVER_BAD_GROUP', 'no such pipeline stage', { index });
  return planForwardStage(plan.shape, plan.layout, {
    seqLength,
    idsAddress: plan.idsAddress,
    scratchAddress: plan.scratchAddress,
    firstLayer: stage.firstLayer,
    lastLayer: stage.lastLayer,
    ...(index === 0 ? {} : { input: { address: plan.inputAddress, shape: [seqLength, plan.shape.dim] } }),
  });
}

/** The weight tensors a stage reads, in layout order: exactly what that device must hold. */
export function stageWeights(plan: ModelPlan, index: number): string[] {
  const read = new Set<number>();
  for (const call of planStage(plan, index, 1).calls) for (const input of call.inputs) read.add(input.address);
  return [...plan.layout.tensors].filter(([, ref]) => read.has(ref.address)).map(([name]) => name);
}
