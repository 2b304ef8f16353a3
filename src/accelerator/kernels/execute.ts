import { EmuError } from '../../errors.ts';
import type { KernelCall, KernelCost, TensorStore } from './index.ts';
import { attentionF32, attentionFlops } from './ops-attention.ts';
import { embedF32, matmulF32 } from './ops-linear.ts';
import { addF32, geluF32, layernormF32, softmaxRowsF32 } from './ops-pointwise.ts';
import { checkCall, checkShapes, input } from './call-rules.ts';
import { readF32, readI32, writeF32 } from './tensor-io.ts';

/**
 * The compute engine's entry: every check runs before any read-compute-write (call-rules.ts holds the per-kernel
 * arity and shape rules), and the single write happens last, so a refused call leaves device memory as it was.
 */

export const LAYERNORM_EPS_DEFAULT = 1e-5;
const HEADS_MAX = 256;

export function executeKernel(store: TensorStore, call: KernelCall): KernelCost {
  checkCall(call);
  const counts = checkShapes(call);
  switch (call.kernel) {
    case 'embed': return runEmbed(store, call);
    case 'matmul': return runMatmul(store, call);
    case 'add': return runAdd(store, call, counts[0]!);
    case 'gelu': return runUnary(store, call, counts[0]!, (x) => geluF32(x), 8);
    case 'softmax': return runUnary(store, call, counts[0]!, softmaxRowsF32, 5);
    case 'layernorm': return runLayernorm(store, call, counts[0]!);
    case 'attention': return runAttention(store, call, counts[0]!);
  }
}

function cost(flops: number, elementsMoved: number): KernelCost {
  return { flops, bytes: elementsMoved * 4 };
}

function runEmbed(store: TensorStore, call: KernelCall): KernelCost {
  const [ids, table, position] = [input(call, 0), input(call, 1), input(call, 2)];
  const seq = ids.shape[0]!;
  const [vocab, dim] = table.shape as [number, number];
  const idValues = readI32(store, ids, seq);
  for (let t = 0; t < seq; t++) {
    const id = idValues[t]!;
    if (id < 0 || id >= vocab) throw new EmuError('KERNEL_BAD_INPUT', 'token id outside the vocabulary', { t, id, vocab });
  }
  const tableValues = readF32(store, table, vocab * dim);
  const positionValues = readF32(store, position, seq * dim);
  writeF32(store, call.output, embedF32(idValues, tableValues, positionValues, seq, dim));
  return cost(seq * dim, seq + 3 * seq * dim);
}

function runMatmul(store: TensorStore, call: KernelCall): KernelCost {
  const [a, b] = [input(call, 0), input(call, 1)];
  const bias = call.inputs.length === 3 ? input(call, 2) : null;
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  const biasValues = bias === null ? null : readF32(store, bias, n);
  const out = matmulF32(readF32(store, a, m * k), readF32(store, b, k * n), biasValues, m, k, n);
  writeF32(store, call.output, out);
  const biasTerms = bias === null ? 0 : m * n;
  return cost(2 * m * k * n + biasTerms, m * k + k * n + m * n + (bias === null ? 0 : n));
}

function runAdd(store: TensorStore, call: KernelCall, count: number): KernelCost {
  const [a, b] = [input(call, 0), input(call, 1)];
  writeF32(store, call.output, addF32(readF32(store, a, count), readF32(store, b, count)));
  return cost(count, 3 * count);
}

/** `op` gets the length of the last axis (the row for softmax). */
type UnaryOp = (x: Float32Array, rowLength: number) => Float32Array;

function runUnary(store: TensorStore, call: KernelCall, count: number, op: UnaryOp, flopsPerElement: number): KernelCost {
  const x = input(call, 0);
  writeF32(store, call.output, op(readF32(store, x, count), x.shape[x.shape.length - 1]!));
  return cost(count * flopsPerElement, 2 * count);
}

function runLayernorm(store: TensorStore, call: KernelCall, count: number): KernelCost {
  const [x, gamma, beta] = [input(call, 0), input(call, 1), input(call, 2)];
  const n = x.shape[x.shape.length - 1]!;
  const eps = call.params?.['eps'] ?? LAYERNORM_EPS_DEFAULT;
  if (!(eps > 0 && eps <= 1)) throw new EmuError('KERNEL_BAD_PARAM', 'layernorm eps must be in (0, 1]', { eps });
  const out = layernormF32(readF32(store, x, count), readF32(store, gamma, n), readF32(store, beta, n), n, eps);
  writeF32(store, call.output, out);
  return cost(8 * count, 2 * count + 2 * n);
}

function runAttention(store: TensorStore, call: KernelCall, count: number): KernelCost {
  const [q, k, v] = [input(call, 0), input(call, 1), input(call, 2)];
  const [seq, dim] = q.shape as [number, number];
  const heads = call.params?.['heads'];
  if (heads === undefined || !Number.isSafeInteger(heads) || heads < 1 || heads > HEADS_MAX || dim % heads !== 0) {
    throw new EmuError('KERNEL_BAD_PARAM', 'attention heads must be a positive integer dividing dim', { heads, dim });
  }
  const out = attentionF32(readF32(store, q, count), readF32(store, k, count), readF32(store, v, count), seq, dim, heads);
  writeF32(store, call.output, out);
  return cost(attentionFlops(seq, dim), 4 * count);
}
