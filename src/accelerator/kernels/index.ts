// CONTRACT: signatures are fixed; the implementation lives in the files behind this entry.
import type { RandomSource } from '../../crypto/index.ts';
import { executeKernel as executeKernelImpl } from './execute.ts';
import { planForwardStage as planForwardStageImpl } from './forward.ts';
import { planWeightLayout as planWeightLayoutImpl } from './layout.ts';
import {
  generateTransformerFile as generateImpl,
  parseTransformerFile as parseImpl,
  transformerParameterCount as parameterCountImpl,
} from './netm-format.ts';
import {
  argmaxLastRow as argmaxImpl,
  referenceGenerate as referenceGenerateImpl,
  tokenize as tokenizeImpl,
} from './reference.ts';

export { LAYERNORM_EPS_DEFAULT } from './execute.ts';
export { LAYOUT_PAGE_BYTES, pageAlign } from './layout.ts';
export { NETM_VERSION, PARAMETERS_MAX, readNetmHeader, type NetmHeader } from './netm-format.ts';
export { MemoryStore, NEW_TOKENS_MAX, checkGeneration } from './reference.ts';
export { TENSOR_ELEMENTS_MAX } from './tensor-io.ts';

/**
 * Compute kernels on float32 tensors held in device memory, and the small transformer they run. Every kernel rounds
 * to float32 after each operation in a fixed summation order, so the same inputs give the same bits on every
 * platform and on every path (confidential or plain, one device or several).
 */

/** A tensor in device memory: little-endian float32 (or int32 for token ids) at a byte address, row-major. */
export interface TensorRef {
  readonly address: number;
  readonly shape: readonly number[];
}

/** Device memory as the compute engine sees it (ProtectedMemory implements it). */
export interface TensorStore {
  read(address: number, length: number): Uint8Array;
  write(address: number, bytes: Uint8Array): void;
}

export type KernelName =
  | 'embed' // out[t,:] = table[ids[t],:] + position[t,:]   (ids int32)
  | 'matmul' // out[m,n] = a[m,k] · b[k,n] (+ bias[n] when given)
  | 'add' // out = a + b (same shape)
  | 'gelu' // tanh approximation
  | 'layernorm' // per row, with gamma, beta, eps param
  | 'softmax' // per row
  | 'attention'; // causal multi-head self-attention from q, k, v [seq, dim] with `heads` param

export interface KernelCall {
  readonly kernel: KernelName;
  readonly inputs: readonly TensorRef[];
  readonly output: TensorRef;
  readonly params?: Readonly<Record<string, number>>;
}

export interface KernelCost {
  readonly flops: number;
  /** Bytes read plus bytes written in device memory. */
  readonly bytes: number;
}

/** Runs one kernel against device memory. Bad shapes or addresses: typed error (KERNEL_*), nothing written. */
export function executeKernel(store: TensorStore, call: KernelCall): KernelCost {
  return executeKernelImpl(store, call);
}

export interface TransformerShape {
  readonly vocab: number;
  readonly dim: number;
  readonly layers: number;
  readonly heads: number;
  readonly ffn: number;
  readonly maxSeq: number;
}

/** ≥ 1M parameters: the default model of `nitro-emu infer`. */
export const DEFAULT_TRANSFORMER_SHAPE: TransformerShape = { vocab: 256, dim: 128, layers: 6, heads: 4, ffn: 512, maxSeq: 64 };

export interface TransformerModel extends TransformerShape {
  readonly card: string;
  /** Named tensors in file order ("tok_emb", "pos_emb", "l0.ln1.g", …, "lm_head"). */
  readonly tensors: ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }>;
}

/** File format NETM v1 (documented in the implementation); the card carries the weights canary. */
export function generateTransformerFile(random: RandomSource, card: string, shape?: TransformerShape): Uint8Array {
  return generateImpl(random, card, shape ?? DEFAULT_TRANSFORMER_SHAPE);
}

export function parseTransformerFile(bytes: Uint8Array): TransformerModel {
  return parseImpl(bytes);
}

export function transformerParameterCount(shape: TransformerShape): number {
  return parameterCountImpl(shape);
}

/** Where each named tensor lives in device memory, from `baseAddress` (page-aligned), and the total bytes. */
export interface WeightLayout {
  readonly tensors: ReadonlyMap<string, TensorRef>;
  readonly bytes: number;
  /** The byte range of each tensor inside the NETM file, so a loader can stream file bytes straight to device memory. */
  readonly fileRanges: ReadonlyMap<string, { readonly offset: number; readonly length: number }>;
}

export function planWeightLayout(model: TransformerShape, bytes: Uint8Array, baseAddress: number): WeightLayout {
  return planWeightLayoutImpl(model, bytes, baseAddress);
}

/**
 * The kernel calls of one forward pass over `seqLength` tokens whose int32 ids sit at `idsAddress`, using scratch
 * memory from `scratchAddress`; layers [firstLayer, lastLayer) only, so a model can be split across devices.
 * `input`: where the layer input activations are (for a later stage); `output`: where this stage leaves its result
 * (logits [seqLength, vocab] for the last stage, activations [seqLength, dim] otherwise).
 */
export interface ForwardStage {
  readonly calls: readonly KernelCall[];
  readonly output: TensorRef;
  /** Scratch bytes the stage uses from scratchAddress. */
  readonly scratchBytes: number;
}

export function planForwardStage(
  shape: TransformerShape,
  layout: WeightLayout,
  options: {
    readonly seqLength: number;
    readonly idsAddress: number;
    readonly scratchAddress: number;
    readonly firstLayer: number;
    readonly lastLayer: number;
    /** Activations from the previous stage; absent for the first stage (which embeds ids). */
    readonly input?: TensorRef;
  },
): ForwardStage {
  return planForwardStageImpl(shape, layout, options);
}

/** Byte tokens: UTF-8 of the prompt, capped to maxSeq. */
export function tokenize(prompt: string, shape: TransformerShape): number[] {
  return tokenizeImpl(prompt, shape);
}

/** Greedy argmax with the lowest index winning ties. */
export function argmaxLastRow(logits: Float32Array, vocab: number): number {
  return argmaxImpl(logits, vocab);
}

/**
 * CPU reference: the same kernels over a plain in-memory store, greedy decoding of `newTokens` tokens (the whole
 * sequence is recomputed each step, bounded by maxSeq). The device paths must reproduce it bit for bit.
 * Returns the generated tokens only (not the prompt): fewer than `newTokens` when the sequence reaches maxSeq.
 */
export function referenceGenerate(model: TransformerModel, fileBytes: Uint8Array, promptTokens: readonly number[], newTokens: number): number[] {
  return referenceGenerateImpl(model, fileBytes, promptTokens, newTokens);
}
