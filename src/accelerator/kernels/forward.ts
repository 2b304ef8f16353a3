import { EmuError } from '../../errors.ts';
import type { ForwardStage, KernelCall, TensorRef, TransformerShape, WeightLayout } from './index.ts';
import { checkPageAddress, pageAlign } from './layout.ts';
import { checkShape } from './netm-format.ts';

export interface ForwardOptions {
  readonly seqLength: number;
  readonly idsAddress: number;
  readonly scratchAddress: number;
  readonly firstLayer: number;
  readonly lastLayer: number;
  readonly input?: TensorRef;
}

/** Page-aligned scratch buffers handed out in order from the stage's scratch base. */
class ScratchPlan {
  private used = 0;
  constructor(private readonly base: number) {}
  take(shape: readonly number[]): TensorRef {
    const ref = { address: this.base + this.used, shape };
    this.used += pageAlign(4 * shape.reduce((a, b) => a * b, 1));
    return ref;
  }
  get bytes(): number {
    return this.used;
  }
}

function weight(layout: WeightLayout, name: string, shape: readonly number[]): TensorRef {
  const ref = layout.tensors.get(name);
  const same = ref !== undefined && ref.shape.length === shape.length && ref.shape.every((d, i) => d === shape[i]);
  if (!same) throw new EmuError('MODEL_SHAPE_MISMATCH', `layout lacks ${name} [${shape.join(',')}]`, { name });
  return ref;
}

function checkOptions(shape: TransformerShape, options: ForwardOptions): void {
  const { seqLength, firstLayer, lastLayer, input } = options;
  if (!Number.isSafeInteger(seqLength) || seqLength < 1 || seqLength > shape.maxSeq) {
    throw new EmuError('KERNEL_BAD_PARAM', `seqLength must be in 1..${shape.maxSeq}`, { seqLength });
  }
  if (!Number.isSafeInteger(firstLayer) || !Number.isSafeInteger(lastLayer) || firstLayer < 0 ||
      firstLayer > lastLayer || lastLayer > shape.layers) {
    throw new EmuError('KERNEL_BAD_PARAM', `need 0 ≤ firstLayer ≤ lastLayer ≤ ${shape.layers}`, { firstLayer, lastLayer });
  }
  if (input === undefined && firstLayer !== 0) {
    throw new EmuError('KERNEL_BAD_PARAM', 'a stage after the first needs the previous stage\'s activations', { firstLayer });
  }
  if (input !== undefined) {
    const same = input.shape.length === 2 && input.shape[0] === seqLength && input.shape[1] === shape.dim;
    if (!same) throw new EmuError('KERNEL_BAD_SHAPE', 'stage input must be [seqLength, dim]', { shape: [...input.shape] });
  }
  if (!Number.isSafeInteger(options.idsAddress) || options.idsAddress < 0) {
    throw new EmuError('KERNEL_BAD_ADDRESS', 'idsAddress must be a non-negative integer', { idsAddress: options.idsAddress });
  }
  checkPageAddress(options.scratchAddress, 'scratchAddress');
}

/**
 * Pre-LN GPT blocks: x += attn(ln1(x)); x += ffn(ln2(x)). The stage never writes its input: the first residual add
 * of the stage reads it and writes the stage's own x, so a retried stage sees the same input.
 */
export function planForwardStage(shape: TransformerShape, layout: WeightLayout, options: ForwardOptions): ForwardStage {
  checkShape(shape, 'MODEL_BAD_SHAPE');
  checkOptions(shape, options);
  const { dim, ffn, heads, vocab, maxSeq } = shape;
  const seq = options.seqLength;
  const row = [seq, dim];
  const scratch = new ScratchPlan(options.scratchAddress);
  const x = scratch.take(row);
  const normed = scratch.take(row);
  const q = scratch.take(row);
  const k = scratch.take(row);
  const v = scratch.take(row);
  const attended = scratch.take(row);
  const projected = scratch.take(row);
  const hidden = scratch.take([seq, ffn]);
  const calls: KernelCall[] = [];
  let residual: TensorRef;
  if (options.input === undefined) {
    const ids = { address: options.idsAddress, shape: [seq] };
    calls.push({ kernel: 'embed', inputs: [ids, weight(layout, 'tok_emb', [vocab, dim]), weight(layout, 'pos_emb', [maxSeq, dim])], output: x });
    residual = x;
  } else {
    residual = options.input;
  }
  const matrix = [dim, dim];
  for (let l = options.firstLayer; l < options.lastLayer; l++) {
    const w = (name: string, wShape: readonly number[]): TensorRef => weight(layout, `l${l}.${name}`, wShape);
    calls.push(
      { kernel: 'layernorm', inputs: [residual, w('ln1.g', [dim]), w('ln1.b', [dim])], output: normed },
      { kernel: 'matmul', inputs: [normed, w('attn.wq', matrix), w('attn.bq', [dim])], output: q },
      { kernel: 'matmul', inputs: [normed, w('attn.wk', matrix), w('attn.bk', [dim])], output: k },
      { kernel: 'matmul', inputs: [normed, w('attn.wv', matrix), w('attn.bv', [dim])], output: v },
      { kernel: 'attention', inputs: [q, k, v], output: attended, params: { heads } },
      { kernel: 'matmul', inputs: [attended, w('attn.wo', matrix), w('attn.bo', [dim])], output: projected },
      { kernel: 'add', inputs: [residual, projected], output: x },
      { kernel: 'layernorm', inputs: [x, w('ln2.g', [dim]), w('ln2.b', [dim])], output: normed },
      { kernel: 'matmul', inputs: [normed, w('ffn.w1', [dim, ffn]), w('ffn.b1', [ffn])], output: hidden },
      { kernel: 'gelu', inputs: [hidden], output: hidden },
      { kernel: 'matmul', inputs: [hidden, w('ffn.w2', [ffn, dim]), w('ffn.b2', [dim])], output: projected },
      { kernel: 'add', inputs: [x, projected], output: x },
    );
    residual = x;
  }
  if (options.lastLayer < shape.layers) return { calls, output: residual, scratchBytes: scratch.bytes };
  const logits = scratch.take([seq, vocab]);
  calls.push(
    { kernel: 'layernorm', inputs: [residual, weight(layout, 'ln_f.g', [dim]), weight(layout, 'ln_f.b', [dim])], output: normed },
    { kernel: 'matmul', inputs: [normed, weight(layout, 'lm_head', [dim, vocab])], output: logits },
  );
  return { calls, output: logits, scratchBytes: scratch.bytes };
}
