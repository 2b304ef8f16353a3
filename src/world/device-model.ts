import {
  generateTransformerFile,
  parseTransformerFile,
  referenceGenerate,
  type TransformerShape,
} from '../accelerator/index.ts';
import { promptTokens } from '../enclave/index.ts';
import type { World } from './world.ts';

/** Tokens each inference generates: enough that the output is a canary of its own (≥ 12 bytes). */
export const DEVICE_NEW_TOKENS = 12;

/** Scenario worlds run many flows: a 2-layer model keeps each well under a second. */
export const SMALL_TRANSFORMER_SHAPE: TransformerShape = { vocab: 256, dim: 64, layers: 2, heads: 2, ffn: 128, maxSeq: 64 };

export interface DeviceModel {
  readonly file: Uint8Array;
  /** 32 bytes of the first attention matrix: what a reader of plaintext weights would hold. */
  readonly tensorCanary: Uint8Array;
  /** The new tokens, one byte each, computed on the CPU with the same kernels. */
  readonly reference: Uint8Array;
  readonly newTokens: number;
}

export function deviceModelFor(world: World, card: string, prompt: Uint8Array): DeviceModel {
  const shape = world.options.accelerators?.shape ?? SMALL_TRANSFORMER_SHAPE;
  const file = generateTransformerFile(world.sim.prng('owner.model'), card, shape);
  const model = parseTransformerFile(file);
  const wq = model.tensors.get('l0.attn.wq');
  if (wq === undefined) throw new Error('the transformer has no l0.attn.wq');
  const tensorCanary = new Uint8Array(wq.data.buffer, wq.data.byteOffset, 32).slice();
  const tokens = referenceGenerate(model, file, promptTokens(prompt, model.maxSeq, DEVICE_NEW_TOKENS), DEVICE_NEW_TOKENS);
  return { file, tensorCanary, reference: Uint8Array.from(tokens), newTokens: DEVICE_NEW_TOKENS };
}
