import { EmuError } from '../../errors.ts';
import type { KernelCall, KernelCost, KernelName, TensorRef, TensorStore } from './index.ts';
import { attentionF32, attentionFlops } from './ops-attention.ts';
import { embedF32, matmulF32 } from './ops-linear.ts';
import { addF32, geluF32, layernormF32, softmaxRowsF32 } from './ops-pointwise.ts';
import { elementCount, readF32, readI32, requireRank, requireShape, writeF32 } from './tensor-io.ts';

/**
 * The compute engine's entry: every check runs before any read-compute-write, and the single write happens last,
 * so a refused call leaves device memory as it was.
 */

interface KernelRule {
  readonly inputs: readonly number[]; // accepted input counts
  readonly params: readonly string[];
}

const RULES: Readonly<Record<KernelName, KernelRule>> = {
  embed: { inputs: [3], params: [] },
  matmul: { inputs: [2, 3], params: [] },
  add: { inputs: [2], params: [] },
  gelu: { inputs: [1], params: [] },
  layernorm: { inputs: [3], params: ['eps'] },
  softmax: { inputs: [1], params: [] },
  attention: { inputs: [3], params: ['heads'] },
};

export const LAYERNORM_EPS_DEFAULT = 1e-5;
const HEADS_MAX = 256;

export function executeKernel(store: TensorStore, call: KernelCall): KernelCost {
  checkCall(call);
  switch (call.kernel) {
    case 'embed': return runEmbed(store, call);
    case 'matmul': return runMatmul(store, call);
    case 'add': return runAdd(store, call);
    case 'gelu': return runUnary(store, call, (x) => geluF32(x), 8);
    case 'softmax': return runUnary(store, call, softmaxRowsF32, 5);
    case 'layernorm': return runLayernorm(store, call);
    case 'attention': return runAttention(store, call);
  }
}

function checkCall(call: KernelCall): void {
  const rule = Object.hasOwn(RULES, call?.kernel) ? RULES[call.kernel] : undefined;
  if (rule === undefined) throw new EmuError('KERNEL_UNKNOWN', 'no such kernel', { kernel: String(call?.kernel) });
  if (!Array.isArray(call.inputs) || !rule.inputs.includes(call.inputs.length)) {
    throw new EmuError('KERNEL_BAD_ARITY', `${call.kernel} takes ${rule.inputs.join(' or ')} inputs`, {
      kernel: call.kernel, inputs: Array.isArray(call.inputs) ? call.inputs.length : -1,
    });
  }
  const params = call.params ?? {};
  if (typeof params !== 'object' || params === null) throw new EmuError('KERNEL_BAD_PARAM', 'params must be an object');
  for (const [name, value] of Object.entries(params)) {
    if (!rule.params.includes(name) || typeof value !== 'number' || !Number.isFinite(value)) {
      throw new EmuError('KERNEL_BAD_PARAM', `${call.kernel}: unknown or non-finite param ${name}`, { kernel: call.kernel, name });
    }
  }
}

function input(call: KernelCall, index: number): TensorRef {
  return call.inputs[index]!; // arity checked in checkCall
}

function cost(flops: number, elementsMoved: number): KernelCost {
  return { flops, bytes: elementsMoved * 4 };
}

function runEmbed(store: TensorStore, call: KernelCall): KernelCost {
  const [ids, table, position] = [input(call, 0), input(call, 1), input(call, 2)];
  const seq = elementCount(ids, 'embed ids');
  elementCount(table, 'embed table');
  elementCount(position, 'embed position');
  elementCount(call.output, 'embed output');
  requireRank(ids, 1, 'embed ids');
  requireRank(table, 2, 'embed table');
  requireRank(position, 2, 'embed position');
  const [vocab, dim] = table.shape as [number, number];
  if (position.shape[1] !== dim || position.shape[0]! < seq) {
    throw new EmuError('KERNEL_BAD_SHAPE', 'embed position must be [≥seq, dim]', { seq, dim, position: [...position.shape] });
  }
  requireShape(call.output, [seq, dim], 'embed output');
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
  elementCount(a, 'matmul a');
  elementCount(b, 'matmul b');
  elementCount(call.output, 'matmul output');
  requireRank(a, 2, 'matmul a');
  requireRank(b, 2, 'matmul b');
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  requireShape(b, [k, n], 'matmul b');
  requireShape(call.output, [m, n], 'matmul output');
  if (bias !== null) {
    elementCount(bias, 'matmul bias');
    requireShape(bias, [n], 'matmul bias');
  }
  const biasValues = bias === null ? null : readF32(store, bias, n);
  const out = matmulF32(readF32(store, a, m * k), readF32(store, b, k * n), biasValues, m, k, n);
  writeF32(store, call.output, out);
  const biasTerms = bias === null ? 0 : m * n;
  return cost(2 * m * k * n + biasTerms, m * k + k * n + m * n + (bias === null ? 0 : n));
}

function runAdd(store: TensorStore, call: KernelCall): KernelCost {
  const [a, b] = [input(call, 0), input(call, 1)];
  const count = elementCount(a, 'add a');
  elementCount(b, 'add b');
  elementCount(call.output, 'add output');
  requireShape(b, a.shape, 'add b');
  requireShape(call.output, a.shape, 'add output');
  writeF32(store, call.output, addF32(readF32(store, a, count), readF32(store, b, count)));
  return cost(count, 3 * count);
}

/** `op` gets the length of the last axis (the row for softmax). */
type UnaryOp = (x: Float32Array, rowLength: number) => Float32Array;

function runUnary(store: TensorStore, call: KernelCall, op: UnaryOp, flopsPerElement: number): KernelCost {
  const x = input(call, 0);
  const count = elementCount(x, `${call.kernel} input`);
  elementCount(call.output, `${call.kernel} output`);
  requireShape(call.output, x.shape, `${call.kernel} output`);
  writeF32(store, call.output, op(readF32(store, x, count), x.shape[x.shape.length - 1]!));
  return cost(count * flopsPerElement, 2 * count);
}

function runLayernorm(store: TensorStore, call: KernelCall): KernelCost {
  const [x, gamma, beta] = [input(call, 0), input(call, 1), input(call, 2)];
  const count = elementCount(x, 'layernorm input');
  elementCount(gamma, 'layernorm gamma');
  elementCount(beta, 'layernorm beta');
  elementCount(call.output, 'layernorm output');
  const n = x.shape[x.shape.length - 1]!;
  requireShape(gamma, [n], 'layernorm gamma');
  requireShape(beta, [n], 'layernorm beta');
  requireShape(call.output, x.shape, 'layernorm output');
  const eps = call.params?.['eps'] ?? LAYERNORM_EPS_DEFAULT;
  if (!(eps > 0 && eps <= 1)) throw new EmuError('KERNEL_BAD_PARAM', 'layernorm eps must be in (0, 1]', { eps });
  const out = layernormF32(readF32(store, x, count), readF32(store, gamma, n), readF32(store, beta, n), n, eps);
  writeF32(store, call.output, out);
  return cost(8 * count, 2 * count + 2 * n);
}

function runAttention(store: TensorStore, call: KernelCall): KernelCost {
  const [q, k, v] = [input(call, 0), input(call, 1), input(call, 2)];
  const count = elementCount(q, 'attention q');
  elementCount(k, 'attention k');
  elementCount(v, 'attention v');
  elementCount(call.output, 'attention output');
  requireRank(q, 2, 'attention q');
  const [seq, dim] = q.shape as [number, number];
  requireShape(k, q.shape, 'attention k');
  requireShape(v, q.shape, 'attention v');
  requireShape(call.output, q.shape, 'attention output');
  const heads = call.params?.['heads'];
  if (heads === undefined || !Number.isSafeInteger(heads) || heads < 1 || heads > HEADS_MAX || dim % heads !== 0) {
    throw new EmuError('KERNEL_BAD_PARAM', 'attention heads must be a positive integer dividing dim', { heads, dim });
  }
  const out = attentionF32(readF32(store, q, count), readF32(store, k, count), readF32(store, v, count), seq, dim, heads);
  writeF32(store, call.output, out);
  return cost(attentionFlops(seq, dim), 4 * count);
}
