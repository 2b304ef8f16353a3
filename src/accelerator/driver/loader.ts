import { EmuError } from '../../errors.ts';
import { parseTransformerFile, planWeightLayout, transformerParameterCount } from '../kernels/index.ts';
import { writeToDevice } from './bounce.ts';
import type { DriverEventSink } from './defences.ts';
import type { DeviceLink } from './link.ts';
import { type ModelPlan, planModel, stageWeights } from './plan.ts';

export interface LoadResult {
  readonly plan: ModelPlan;
  readonly parameterCount: number;
  /** Weight bytes actually streamed, summed over devices (each device gets only its stage's tensors). */
  readonly weightBytes: number;
  readonly busyNs: number;
}

/**
 * Streams a NETM file to a pipeline: each device receives the tensors its stage reads, straight from the file's
 * byte ranges, chunk by chunk through the bounce buffers (no per-device copy of the model is ever built).
 */
export function loadWeights(
  links: readonly DeviceLink[],
  weights: Uint8Array,
  chunkBytesOf: (link: DeviceLink) => number,
  emit: DriverEventSink,
): LoadResult {
  const model = parseTransformerFile(weights);
  const layout = planWeightLayout(model, weights, 0);
  const plan = planModel(model, layout, links);
  let weightBytes = 0;
  let busyNs = 0;
  for (const [index, stage] of plan.stages.entries()) {
    const chunkBytes = chunkBytesOf(stage.link);
    let deviceBytes = 0;
    for (const name of stageWeights(plan, index)) {
      const ref = layout.tensors.get(name);
      const range = layout.fileRanges.get(name);
      if (ref === undefined || range === undefined || range.offset + range.length > weights.length) {
        throw new EmuError('DRIVER_BAD_MODEL', `tensor ${name} has no place in the file or the layout`, { name });
      }
      busyNs += writeToDevice(stage.link, ref.address, range.length, chunkBytes, (offset, length) =>
        weights.subarray(range.offset + offset, range.offset + offset + length),
      );
      deviceBytes += range.length;
    }
    weightBytes += deviceBytes;
    emit('driver.load.stage', {
      deviceId: stage.link.port.deviceId, firstLayer: stage.firstLayer, lastLayer: stage.lastLayer, bytes: deviceBytes,
    });
  }
  return { plan, parameterCount: transformerParameterCount(model), weightBytes, busyNs };
}
