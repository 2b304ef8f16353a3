import { EmuError } from '../../errors.ts';
import type { KernelCall, KernelName, TensorRef } from './index.ts';
import { elementCount, requireRank, requireShape } from './tensor-io.ts';

/**
 * What a kernel call must look like before anything is read: its arity, its params and its tensors' shapes, one
 * row per kernel. The checks run in a fixed order (arity, params, every required tensor's element count and
 * address, ranks, then the shape rules in the row's order) so the same bad call always gets the same error.
 */

/** A shape rule: which tensor (an input's index, or the output) must have which shape. */
type ShapeRule = readonly [target: number | 'output', expected: readonly number[]];

interface KernelRule {
  readonly inputs: readonly number[]; // accepted input counts
  readonly params: readonly string[];
  /** What errors call each input ("matmul bias"); inputs past the smallest count are optional. */
  readonly names: readonly string[];
  /** [input, rank] checked once every required tensor is counted. */
  readonly ranks: ReadonlyArray<readonly [number, number]>;
  /** The shape rules, from the inputs already counted and ranked; a rule may throw its own clearer error. */
  shapes(inputs: readonly TensorRef[]): readonly ShapeRule[];
}

const lastDim = (ref: TensorRef): number => ref.shape[ref.shape.length - 1]!;

const RULES: Readonly<Record<KernelName, KernelRule>> = {
  embed: {
    inputs: [3], params: [], names: ['ids', 'table', 'position'], ranks: [[0, 1], [1, 2], [2, 2]],
    shapes: ([ids, table, position]) => {
      const seq = ids!.shape[0]!;
      const dim = table!.shape[1]!;
      if (position!.shape[1] !== dim || position!.shape[0]! < seq) {
        throw new EmuError('KERNEL_BAD_SHAPE', 'embed position must be [≥seq, dim]', { seq, dim, position: [...position!.shape] });
      }
      return [['output', [seq, dim]]];
    },
  },
  matmul: {
    inputs: [2, 3], params: [], names: ['a', 'b', 'bias'], ranks: [[0, 2], [1, 2]],
    shapes: ([a, b]) => {
      const [m, k] = a!.shape as [number, number];
      const n = b!.shape[1]!;
      return [[1, [k, n]], ['output', [m, n]], [2, [n]]];
    },
  },
  add: { inputs: [2], params: [], names: ['a', 'b'], ranks: [], shapes: ([a]) => [[1, a!.shape], ['output', a!.shape]] },
  gelu: { inputs: [1], params: [], names: ['input'], ranks: [], shapes: ([x]) => [['output', x!.shape]] },
  layernorm: {
    inputs: [3], params: ['eps'], names: ['input', 'gamma', 'beta'], ranks: [],
    shapes: ([x]) => [[1, [lastDim(x!)]], [2, [lastDim(x!)]], ['output', x!.shape]],
  },
  softmax: { inputs: [1], params: [], names: ['input'], ranks: [], shapes: ([x]) => [['output', x!.shape]] },
  attention: {
    inputs: [3], params: ['heads'], names: ['q', 'k', 'v'], ranks: [[0, 2]],
    shapes: ([q]) => [[1, q!.shape], [2, q!.shape], ['output', q!.shape]],
  },
};

export function input(call: KernelCall, index: number): TensorRef {
  return call.inputs[index]!; // arity checked in checkCall
}

/** Refuses an unknown kernel, a wrong number of inputs or an unknown or non-finite param. */
export function checkCall(call: KernelCall): void {
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

/**
 * Checks a call's tensors against its kernel's row (after `checkCall`); returns the inputs' element counts. An
 * optional input is counted when its shape rule comes up, after the required tensors' rules.
 */
export function checkShapes(call: KernelCall): number[] {
  const rule = RULES[call.kernel];
  const required = Math.min(...rule.inputs);
  const what = (index: number) => `${call.kernel} ${rule.names[index]}`;
  const counts: number[] = [];
  for (let i = 0; i < required; i++) counts.push(elementCount(input(call, i), what(i)));
  elementCount(call.output, `${call.kernel} output`);
  for (const [i, rank] of rule.ranks) requireRank(input(call, i), rank, what(i));
  for (const [target, expected] of rule.shapes(call.inputs)) {
    if (target === 'output') {
      requireShape(call.output, expected, `${call.kernel} output`);
      continue;
    }
    if (target >= call.inputs.length) continue; // an optional input the call leaves out
    if (target >= required) counts[target] = elementCount(input(call, target), what(target));
    requireShape(input(call, target), expected, what(target));
  }
  return counts;
}
